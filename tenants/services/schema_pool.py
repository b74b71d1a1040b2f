"""Where new tenants' schemas come from: a warm pool of pre-migrated schemas (renamed on use),
a template schema to clone, or - last resort - migrations."""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

from tenants.models import PooledSchema
from tenants.schemas_sql import create_schema, drop_schema, rename_schema, use_public_schema

logger = logging.getLogger(__name__)

POOL_PREFIX = "pool_"
# Serialises pool fillers so two of them never overshoot the target size.
_POOL_LOCK_ID = 0x50_4F_4F_4C


def migrate_schema(schema_name: str) -> None:
    """Bring one existing schema to the latest migration state (tenant apps)."""
    call_command(
        "migrate_schemas", schema_name=schema_name, tenant=True, interactive=False, verbosity=0
    )
    use_public_schema()


def ensure_template_schema() -> bool:
    """Create and migrate the template schema if it is missing. True if it was created."""
    template = settings.SOUK_TEMPLATE_SCHEMA
    if schema_exists(template):
        return False
    logger.info("creating template schema %s with migrations", template)
    create_schema(template)
    try:
        migrate_schema(template)
    except Exception:
        drop_schema(template)
        raise
    return True


def clone_template(new_schema: str) -> None:
    """Copy the template's structure and rows (migration records, content types)."""
    CloneSchema().clone_schema(settings.SOUK_TEMPLATE_SCHEMA, new_schema, "DATA")
    use_public_schema()


def create_migrated_schema(new_schema: str) -> None:
    create_schema(new_schema)
    migrate_schema(new_schema)


def fill_schema_pool(*, size: int | None = None) -> int:
    """Top the pool up to ``size`` schemas (default SOUK_SCHEMA_POOL_SIZE); returns how many
    were added. Runs in a worker or a command, never in a request.

    Pool schemas are built by migrations, not cloned: a migrated schema is exactly what
    `migrate_tenants` expects, and migrating costs the same at any fleet size, whereas
    django-tenants' clone function reads the whole catalogue per table and slows to seconds
    with hundreds of schemas (measured: ~0.3 s at 5 schemas, ~6 s at 500). The template is
    kept for the request-time fallback when the pool is empty."""
    target = settings.SOUK_SCHEMA_POOL_SIZE if size is None else size
    ensure_template_schema()
    added = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_POOL_LOCK_ID])
            if PooledSchema.objects.count() >= target:
                return added
            schema_name = POOL_PREFIX + uuid.uuid4().hex[:16]
            create_migrated_schema(schema_name)
            PooledSchema.objects.create(schema_name=schema_name)
            added += 1


def claim_pooled_schema(new_schema: str) -> bool:
    """Inside the caller's transaction: rename a pool schema to ``new_schema``. A rollback
    puts it back in the pool. False when the pool is empty."""
    pooled = PooledSchema.objects.select_for_update(skip_locked=True).order_by("id").first()
    if pooled is None:
        return False
    rename_schema(pooled.schema_name, new_schema)
    pooled.delete()
    return True


def pool_size() -> int:
    return PooledSchema.objects.count()
