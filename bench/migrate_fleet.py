"""Fleet migration with nothing to do: Souk's ``migrate_tenants`` against django-tenants'
``migrate_schemas``, over the same fleet of T tenants on one fresh database.

    python bench/migrate_fleet.py [--tenants 500]

The last line printed is one JSON object (tenants, souk_noop_s, migrate_schemas_noop_s,
ratio)."""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench._support import (  # noqa: E402
    bench_database_url,
    fast_fill_pool,
    migration_count,
    recreate_database,
    setup_django,
)

# Without pg_dump, pool schemas are cloned (fill_schema_pool) this many at a time.
SETUP_CHUNK = 50


def build_fleet(tenants: int) -> str:
    """Untimed: T real tenants made by provision_tenant, each claiming a pooled schema. The
    pool is filled by restoring a pg_dump of the template (fast at any fleet size), else by
    fill_schema_pool's clones (slow once the database holds many schemas). Returns which."""
    from django.db import connection

    from tenants.services import fill_schema_pool, provision_tenant

    started = time.perf_counter()
    method = "pg_dump restore" if fast_fill_pool(tenants) else "fill_schema_pool clone"
    made = 0
    while made < tenants:
        chunk = min(SETUP_CHUNK, tenants - made)
        fill_schema_pool(size=chunk)  # a no-op when the pool was filled by fast_fill_pool
        for _ in range(chunk):
            slug = f"shop-{made:05d}"
            result = provision_tenant(
                slug=slug,
                name=f"Shop {made}",
                owner_email=f"owner@{slug}.example",
                owner_password=None,
            )
            assert result.schema_source == "pool", result.schema_source
            connection.set_schema_to_public()
            made += 1
        print(
            f"  setup: {made}/{tenants} tenants provisioned ({time.perf_counter() - started:.0f} s)"
        )
    return method


def time_souk() -> tuple[float, str]:
    from django.core.management import call_command

    out = io.StringIO()
    start = time.perf_counter()
    call_command("migrate_tenants", stdout=out)
    return time.perf_counter() - start, out.getvalue().strip()


def time_migrate_schemas(total: int) -> float:
    """django-tenants' own command, standard executor, public schema included (as Souk's
    command checks public too). Progress comes from its schema_migrated signal."""
    from django.core.management import call_command
    from django_tenants.signals import schema_migrated

    done = 0
    step = max(1, total // 10)

    def progress(sender: Any, schema_name: str, **kwargs: Any) -> None:
        nonlocal done
        done += 1
        if done % step == 0 or done == total:
            print(
                f"  migrate_schemas: {done}/{total} schemas ({time.perf_counter() - start:.1f} s)"
            )

    schema_migrated.connect(progress, weak=False)
    start = time.perf_counter()
    try:
        call_command("migrate_schemas", interactive=False, verbosity=0)
        return time.perf_counter() - start
    finally:
        schema_migrated.disconnect(progress)


def run(tenants: int) -> dict[str, object]:
    url = bench_database_url()
    started = time.perf_counter()
    name = recreate_database(url)
    print(f"database {name}: dropped and created; building the public schema")
    setup_django(url)

    from tenants.models import Tenant
    from tenants.services import fill_schema_pool
    from tenants.services.migrate_fleet import fleet_schemas, pending_schemas

    print(f"{migration_count()} migrations in the graph; building {tenants} tenants (untimed)")
    method = build_fleet(tenants)
    fleet = fleet_schemas()
    tenant_schemas = Tenant.objects.exclude(schema_name="public").count()
    assert tenant_schemas == tenants, (tenant_schemas, tenants)
    behind = pending_schemas(["public", *fleet])
    assert not behind, f"not a no-op, these are behind: {behind[:5]}"
    print(
        f"fleet ready in {time.perf_counter() - started:.0f} s (pool filled by {method}): "
        f"public + {tenants} tenant "
        f"schemas (+ {len(fleet) - tenants} template/pool schema(s) only Souk's command "
        "checks); every schema is at the latest migration state"
    )

    print("timing migrate_tenants (Souk) ...")
    souk_s, souk_output = time_souk()
    print(f"  {souk_output}")
    print(f"migrate_tenants: {souk_s:.2f} s")

    print("timing migrate_schemas (django-tenants, standard executor) ...")
    default_s = time_migrate_schemas(total=tenants + 1)
    print(f"migrate_schemas: {default_s:.2f} s")

    behind = pending_schemas(["public", *fleet])
    assert not behind, f"schemas behind after the runs: {behind[:5]}"
    # Context, untimed in the comparison: what one pool refill (a template clone by
    # django-tenants' clone_schema) costs with this many schemas in the database.
    clone_start = time.perf_counter()
    fill_schema_pool(size=1)
    clone_s = time.perf_counter() - clone_start
    print(f"one pool refill (template clone) with {tenants} tenants present: {clone_s:.2f} s")
    print(f"total wall time {time.perf_counter() - started:.1f} s")
    return {
        "tenants": tenants,
        "souk_noop_s": round(souk_s, 3),
        "migrate_schemas_noop_s": round(default_s, 3),
        "ratio": round(default_s / souk_s, 1),
        "pool_refill_clone_s": round(clone_s, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(
            "Build a fleet of T tenants (untimed), then time a no-op `migrate_tenants` (Souk) "
            "and a no-op `migrate_schemas` (django-tenants) over it, on one fresh database "
            "(DATABASE_URL, default postgres://postgres@127.0.0.1:5432/souk_bench; a name "
            "without 'bench' in it gets a _bench suffix). The database is dropped and "
            "recreated. The last line of output is a JSON object."
        )
    )
    parser.add_argument("--tenants", type=int, default=500, help="fleet size (default 500)")
    args = parser.parse_args(argv)
    if args.tenants < 1:
        parser.error("--tenants must be >= 1")
    print(json.dumps(run(args.tenants)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
