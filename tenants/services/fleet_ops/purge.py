"""Hard deletion after the grace period: schema, files, search index, cache, rows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.search import get_search_backend
from core.errors import ErrorKind
from core.storage import delete_tenant_files
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services.lifecycle import delete_tenant

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgedTenant:
    slug: str
    schema_name: str
    files: int
    search_index_dropped: bool
    cache_cleared: bool


def purge_due_tenants(*, now: datetime | None = None) -> list[PurgedTenant]:
    """Purge every tenant whose deletion grace period is over (beat, hourly). One tenant's
    failure is logged and retried next time; it does not stop the others."""
    now = now or timezone.now()
    due = Tenant.objects.filter(purge_after__lte=now).exclude(schema_name="public")
    purged = []
    for tenant in due.order_by("purge_after"):
        try:
            result = purge_tenant(tenant=tenant, now=now)
        except Exception:
            logger.exception("purging tenant %s failed; retrying on the next run", tenant.slug)
            continue
        if result is not None:
            purged.append(result)
    return purged


def purge_tenant(
    *, tenant: Tenant, ignore_grace_period: bool = False, now: datetime | None = None
) -> PurgedTenant | None:
    """Delete a tenant whose deletion was requested: search index, files, cache entries, then
    its public rows and schema in one transaction. The row goes last, so a purge that fails
    half-way is found and finished by the next run. Idempotent: None when already gone.
    Under the row lock, so a cancellation racing it either wins (nothing purged) or waits."""
    now = now or timezone.now()
    use_public_schema()
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        if locked is None:
            return None
        if locked.is_platform or locked.purge_after is None:
            raise TenantError(
                TenantErrorCode.NOT_SCHEDULED_FOR_DELETION,
                f"{locked.slug} is not scheduled for deletion (never requested or cancelled).",
                kind=ErrorKind.CONFLICT,
            )
        if locked.purge_after > now and not ignore_grace_period:
            raise TenantError(
                TenantErrorCode.DELETION_PENDING,
                f"{locked.slug} is in its grace period until {locked.purge_after:%Y-%m-%d %H:%M}.",
                kind=ErrorKind.CONFLICT,
            )
        schema_name = locked.schema_name
        dropped = drop_search_index(schema_name)
        files = delete_tenant_files(schema_name)
        cleared = clear_tenant_cache(schema_name)
        Tenant.objects.filter(pk=locked.pk).delete()  # domains, branding, modules cascade
        drop_schema(schema_name)
    logger.info("purged tenant %s (%d files)", schema_name, files)
    return PurgedTenant(
        slug=locked.slug,
        schema_name=schema_name,
        files=files,
        search_index_dropped=dropped,
        cache_cleared=cleared,
    )


def delete_tenant_now(*, tenant: Tenant, confirm_slug: str) -> PurgedTenant | None:
    """Request the deletion (if not yet requested) and purge at once, skipping the grace
    period: for scripts and test clean-up. Staff delete through ``delete_tenant``."""
    current = Tenant.objects.filter(pk=tenant.pk).first()
    if current is None:
        return None
    if not current.is_deletion_requested:
        delete_tenant(tenant=current, confirm_slug=confirm_slug, grace_days=0)
    return purge_tenant(tenant=current, ignore_grace_period=True)


def drop_search_index(schema_name: str) -> bool:
    """The hook for search backends that keep a tenant's index outside its schema: a backend
    with ``drop_tenant_index()`` is called in the tenant's schema. The Postgres backend's
    index is a column of the tenant's tables and goes with the schema."""
    drop = getattr(get_search_backend(), "drop_tenant_index", None)
    if drop is None:
        return False
    with schema_context(schema_name):
        drop()
    return True


def clear_tenant_cache(schema_name: str) -> bool:
    """Delete the tenant's cache entries (django-redis ``delete_pattern``; the tenant-aware
    key function scopes the pattern to the schema). Other caches (local memory) just expire."""
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is None:
        return False
    with schema_context(schema_name):
        delete_pattern("*")
    return True
