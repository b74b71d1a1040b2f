"""Migrating the fleet: skip schemas already at the latest migration state, migrate the rest
in parallel, report each failure without stopping the others."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from tenants.models import PooledSchema, Tenant
from tenants.schemas_sql import quoted, schema_exists
from tenants.services.schema_pool import migrate_schema

logger = logging.getLogger(__name__)

# One query reads the migration records of this many schemas.
_BATCH = 200


@dataclass
class FleetMigration:
    up_to_date: list[str] = field(default_factory=list)
    migrated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def is_success(self) -> bool:
        return not self.failed


def latest_migration_state() -> frozenset[tuple[str, str]]:
    """Every migration on disk. Tenant schemas record all of them (the router skips the
    operations of shared-only apps but the records are written), so this is the target."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


def fleet_schemas() -> list[str]:
    """Tenants, the template and the warm pool: pool schemas are migrated with everyone."""
    names = list(
        Tenant.objects.exclude(schema_name="public")
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )
    names += list(PooledSchema.objects.order_by("id").values_list("schema_name", flat=True))
    if schema_exists(settings.SOUK_TEMPLATE_SCHEMA):
        names.append(settings.SOUK_TEMPLATE_SCHEMA)
    return names


def applied_migrations(schemas: Sequence[str]) -> dict[str, set[tuple[str, str]]]:
    """Migration records per schema, read in a few UNION ALL queries. A schema with no
    ``django_migrations`` table (half-made) has an empty set."""
    applied: dict[str, set[tuple[str, str]]] = {schema: set() for schema in schemas}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'django_migrations' AND table_schema = ANY(%s)",
            [list(schemas)],
        )
        with_table = [row[0] for row in cursor.fetchall()]
        for start in range(0, len(with_table), _BATCH):
            batch = with_table[start : start + _BATCH]
            sql = " UNION ALL ".join(
                f"SELECT %s, app, name FROM {quoted(schema)}.django_migrations" for schema in batch
            )
            cursor.execute(sql, batch)
            for schema, app, name in cursor.fetchall():
                applied[schema].add((app, name))
    return applied


def pending_schemas(schemas: Sequence[str]) -> list[str]:
    target = latest_migration_state()
    applied = applied_migrations(schemas)
    return [schema for schema in schemas if not target <= applied[schema]]


def _migrate_one(schema_name: str) -> tuple[str, str | None]:
    try:
        migrate_schema(schema_name)
    except Exception as exc:  # reported per schema; the others go on
        logger.exception("migrating %s failed", schema_name)
        return schema_name, f"{type(exc).__name__}: {exc}"
    return schema_name, None


def migrate_fleet(
    *, schemas: Iterable[str] | None = None, parallel: int | None = None
) -> FleetMigration:
    """Every tenant-side schema (tenants, pool, template) that is behind; the public schema is
    the caller's (``migrate_tenants`` migrates it first)."""
    result = FleetMigration()
    all_schemas = list(schemas) if schemas is not None else fleet_schemas()
    pending = pending_schemas(all_schemas)
    behind = set(pending)
    result.up_to_date = [schema for schema in all_schemas if schema not in behind]
    if not pending:
        return result
    workers = max(1, min(parallel or settings.SOUK_MIGRATE_PARALLEL, len(pending)))
    if workers == 1:
        outcomes = [_migrate_one(schema) for schema in pending]
    else:
        # Children are forked with Django set up; each opens its own connection.
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            outcomes = list(pool.map(_migrate_one, pending))
    for schema, error in outcomes:
        if error is None:
            result.migrated.append(schema)
        else:
            result.failed[schema] = error
    return result


def public_schema_is_current() -> bool:
    return not pending_schemas(["public"])
