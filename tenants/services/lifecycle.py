"""Suspending, resuming and deleting tenants."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import schema_context

from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Plan, Tenant, TenantStatus
from tenants.schemas_sql import drop_schema
from tenants.validation import clean_email

logger = logging.getLogger(__name__)


def _refuse_platform(tenant: Tenant) -> None:
    if tenant.is_platform:
        raise TenantError(
            TenantErrorCode.PLATFORM_TENANT_PROTECTED,
            "The platform itself cannot be suspended or deleted.",
            status=409,
        )


def suspend_tenant(*, tenant: Tenant, reason: str) -> Tenant:
    _refuse_platform(tenant)
    reason = reason.strip()[:300]
    if not reason:
        raise TenantError(
            TenantErrorCode.REASON_REQUIRED,
            "Say why the marketplace is suspended.",
            details={"field": "reason"},
            status=422,
        )
    if tenant.is_suspended:
        raise TenantError(
            TenantErrorCode.ALREADY_IN_STATE, "The marketplace is already suspended.", status=409
        )
    Tenant.objects.filter(pk=tenant.pk).update(
        status=TenantStatus.SUSPENDED, suspended_reason=reason
    )
    tenant.refresh_from_db()
    return tenant


def resume_tenant(*, tenant: Tenant) -> Tenant:
    _refuse_platform(tenant)
    if not tenant.is_suspended:
        raise TenantError(
            TenantErrorCode.ALREADY_IN_STATE, "The marketplace is not suspended.", status=409
        )
    Tenant.objects.filter(pk=tenant.pk).update(status=TenantStatus.ACTIVE, suspended_reason="")
    tenant.refresh_from_db()
    return tenant


def delete_tenant(*, tenant: Tenant, confirm_slug: str) -> None:
    """Drop the tenant's schema and rows in one transaction; its cache entries go too.
    The caller must type the slug, as on any destructive console action."""
    _refuse_platform(tenant)
    if confirm_slug != tenant.slug:
        raise TenantError(
            TenantErrorCode.CONFIRMATION_MISMATCH,
            "Type the marketplace's address to confirm deletion.",
            details={"field": "confirm_slug"},
            status=422,
        )
    schema_name = tenant.schema_name
    with transaction.atomic():
        Tenant.objects.filter(pk=tenant.pk).delete()
        drop_schema(schema_name)
    with schema_context(schema_name):
        _clear_tenant_cache()
    logger.info("deleted tenant %s", schema_name)


def _clear_tenant_cache() -> None:
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("*")  # tenant-aware key function scopes the pattern to this schema


def update_tenant(*, tenant: Tenant, name: str, plan: Plan | None, owner_email: str) -> Tenant:
    name = name.strip()
    if not name or len(name) > 120:
        raise TenantError(
            TenantErrorCode.INVALID_NAME, "The name must be 1-120 characters.", status=422
        )
    Tenant.objects.filter(pk=tenant.pk).update(
        name=name, plan=plan, owner_email=clean_email(owner_email) if owner_email else ""
    )
    tenant.refresh_from_db()
    return tenant
