"""Provisioning latency: Souk's provision_tenant (warm pool) against django-tenants' default
(``auto_create_schema``: CREATE SCHEMA + migrate_schemas on save), on one fresh database.

    python bench/provisioning.py [--count 30] [--clone-count 10]

The last line printed is one JSON object (souk_p50_ms, souk_p95_ms, default_p50_ms,
default_p95_ms, speedup, ...)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench._support import (  # noqa: E402
    bench_database_url,
    migration_count,
    percentile,
    recreate_database,
    setup_django,
    summary,
)


def souk_provision(slug: str) -> str:
    """Souk's one way of making a tenant; returns where its schema came from."""
    from tenants.services import provision_tenant

    result = provision_tenant(
        slug=slug,
        name=slug.replace("-", " ").title(),
        owner_email=f"owner@{slug}.example",
        owner_password=None,
    )
    return result.schema_source


def default_provision(slug: str) -> str:
    """django-tenants' default: the tenant row's save() creates and migrates the schema; then
    the primary domain and the owner, as provision_tenant makes them. Returns the schema."""
    from django.conf import settings
    from django_tenants.utils import schema_context

    from core.accounts.models import Role, User
    from tenants.models import Domain, Tenant

    schema_name = "t_" + slug.replace("-", "_")
    tenant = Tenant(
        schema_name=schema_name,
        slug=slug,
        name=slug.replace("-", " ").title(),
        owner_email=f"owner@{slug}.example",
    )
    tenant.auto_create_schema = True  # Souk's model turns it off; this is the library default
    tenant.save(verbosity=0)
    Domain.objects.create(
        domain=f"{slug}.{settings.PLATFORM_DOMAIN}", tenant=tenant, is_primary=True
    )
    with schema_context(schema_name):
        User.objects.create_user(f"owner@{slug}.example", None, role=Role.OPERATOR, is_staff=True)
    return schema_name


def timed_ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def run(count: int, clone_count: int) -> dict[str, object]:
    url = bench_database_url()
    started = time.perf_counter()
    name = recreate_database(url)
    print(f"database {name}: dropped and created; building the public schema")
    setup_django(url)

    from django.db import connection

    from tenants.models import Tenant
    from tenants.services import ensure_template_schema, fill_schema_pool
    from tenants.services.migrate_fleet import pending_schemas
    from tenants.services.schema_pool import pool_size

    migrations = migration_count()
    template_started = time.perf_counter()
    ensure_template_schema()
    print(
        f"{migrations} migrations in the graph; template schema made by migrations in "
        f"{timed_ms(template_started):.0f} ms (one-off setup, untimed)"
    )

    # One untimed provision per path first: imports, caches and prepared plans warm up.
    fill_schema_pool(size=1)
    souk_provision("warm-souk")
    default_provision("warm-dflt")
    print("warm-up: one untimed provision per path (excluded from the numbers)")

    souk_ms: list[float] = []
    default_ms: list[float] = []
    sources: Counter[str] = Counter()
    for index in range(count):
        fill_schema_pool(size=1)  # untimed refill: every timed Souk provision claims a pool schema
        # Alternate which path goes first so neither always meets the other's leftovers.
        order = ("souk", "default") if index % 2 == 0 else ("default", "souk")
        for path in order:
            if path == "souk":
                start = time.perf_counter()
                source = souk_provision(f"fast-{index:03d}")
                souk_ms.append(timed_ms(start))
                sources[source] += 1
            else:
                start = time.perf_counter()
                default_provision(f"dflt-{index:03d}")
                default_ms.append(timed_ms(start))
            connection.set_schema_to_public()
        if (index + 1) % 10 == 0 or index + 1 == count:
            print(
                f"  {index + 1}/{count}: souk last {souk_ms[-1]:.1f} ms, "
                f"default last {default_ms[-1]:.1f} ms"
            )
    assert sources == Counter({"pool": count}), f"expected every timed one from the pool: {sources}"

    # The pool's fallback: with the pool empty, the template is cloned (no migrations run).
    assert pool_size() == 0, "the pool should be drained by now"
    clone_schemas_present = Tenant.objects.exclude(schema_name="public").count() + 1
    clone_ms: list[float] = []
    clone_sources: Counter[str] = Counter()
    for index in range(clone_count):
        start = time.perf_counter()
        source = souk_provision(f"clone-{index:03d}")
        clone_ms.append(timed_ms(start))
        clone_sources[source] += 1
        connection.set_schema_to_public()
    assert clone_sources == Counter({"clone": clone_count}), f"unexpected: {clone_sources}"

    # Both paths must have produced fully migrated schemas.
    schemas = list(
        Tenant.objects.exclude(schema_name="public").values_list("schema_name", flat=True)
    )
    behind = pending_schemas(schemas)
    assert not behind, f"schemas not at the latest migration state: {behind}"
    print(f"check: all {len(schemas)} tenant schemas are at the latest migration state")

    print()
    print(f"souk pool path   {summary(souk_ms)}  sources {dict(sources)}")
    if clone_ms:
        print(f"souk clone path  {summary(clone_ms)}  sources {dict(clone_sources)}")
    print(f"django-tenants   {summary(default_ms)}  (auto_create_schema: CREATE + migrate)")
    print()
    print(
        "Notes: owner_password=None on both paths, so password hashing (a deliberate fixed "
        "cost) is not in the timed part. The pool path's schema step is one "
        "`ALTER SCHEMA ... RENAME` (O(1): independent of the migration count and of the fleet "
        "size); the clone path (pool empty) runs django-tenants' clone_schema, which runs no "
        "migrations but whose catalog queries grow with the number of schemas in the "
        f"database ({clone_schemas_present} here; see bench/migrate_fleet.py for 500); the "
        f"default path replays all {migrations} migrations per tenant. Souk's path also "
        "writes branding and module rows, the default path does not."
    )
    print(f"total wall time {time.perf_counter() - started:.1f} s")

    souk_p50 = percentile(souk_ms, 50)
    default_p50 = percentile(default_ms, 50)
    result: dict[str, object] = {
        "souk_p50_ms": round(souk_p50, 1),
        "souk_p95_ms": round(percentile(souk_ms, 95), 1),
        "default_p50_ms": round(default_p50, 1),
        "default_p95_ms": round(percentile(default_ms, 95), 1),
        "speedup": round(default_p50 / souk_p50, 1),
        "count": count,
        "migrations": migrations,
        "password_hashing_timed": False,
        "souk_schema_sources": dict(sources),
    }
    if clone_ms:
        result["clone_count"] = clone_count
        result["souk_clone_p50_ms"] = round(percentile(clone_ms, 50), 1)
        result["clone_schemas_present"] = clone_schemas_present
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(
            "Time provisioning N tenants with Souk's provision_tenant (warm pool) and N with "
            "django-tenants' default auto_create_schema path, on one fresh database "
            "(DATABASE_URL, default postgres://postgres@127.0.0.1:5432/souk_bench; a name "
            "without 'bench' in it gets a _bench suffix). The database is dropped and "
            "recreated. The last line of output is a JSON object."
        )
    )
    parser.add_argument("--count", type=int, default=30, help="tenants per path (default 30)")
    parser.add_argument(
        "--clone-count",
        type=int,
        default=10,
        help="extra Souk provisions with the pool empty (template clone path; default 10, 0 off)",
    )
    args = parser.parse_args(argv)
    if args.count < 1 or args.clone_count < 0:
        parser.error("--count must be >= 1 and --clone-count >= 0")
    result = run(args.count, args.clone_count)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
