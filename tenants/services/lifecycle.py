"""Suspending, resuming and deleting tenants. Deleting is a request with a grace period; the
purge itself is ``tenants.services.fleet_ops.purge_tenant``."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import ErrorKind
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Plan, Tenant, TenantStatus
from tenants.validation import clean_email

logger = logging.getLogger(__name__)

# The suspension reason a deletion request sets (and its cancellation clears).
DELETION_REASON = "Scheduled for deletion."


def _refuse_platform(tenant: Tenant) -> None:
    if tenant.is_platform:
        raise TenantError(
            TenantErrorCode.PLATFORM_TENANT_PROTECTED,
            "The platform itself cannot be suspended or deleted.",
            kind=ErrorKind.CONFLICT,
        )


def suspend_tenant(*, tenant: Tenant, reason: str) -> Tenant:
    _refuse_platform(tenant)
    reason = reason.strip()[:300]
    if not reason:
        raise TenantError(
            TenantErrorCode.REASON_REQUIRED,
            "Say why the marketplace is suspended.",
            details={"field": "reason"},
            kind=ErrorKind.INVALID,
        )
    if tenant.is_suspended:
        raise TenantError(
            TenantErrorCode.ALREADY_IN_STATE,
            "The marketplace is already suspended.",
            kind=ErrorKind.CONFLICT,
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
            TenantErrorCode.ALREADY_IN_STATE,
            "The marketplace is not suspended.",
            kind=ErrorKind.CONFLICT,
        )
    if tenant.is_deletion_requested:
        raise TenantError(
            TenantErrorCode.DELETION_PENDING,
            "The marketplace is scheduled for deletion; cancel the deletion first.",
            kind=ErrorKind.CONFLICT,
        )
    Tenant.objects.filter(pk=tenant.pk).update(status=TenantStatus.ACTIVE, suspended_reason="")
    tenant.refresh_from_db()
    return tenant


def delete_tenant(*, tenant: Tenant, confirm_slug: str, grace_days: int | None = None) -> Tenant:
    """Request deletion: the marketplace is suspended now and purged - schema, files, search
    index, cache and rows, by ``fleet_ops.purge_due_tenants`` - once the grace period
    (SOUK_TENANT_DELETION_GRACE_DAYS unless given) is over; until then staff can cancel.
    The caller must type the slug, as on any destructive console action."""
    _refuse_platform(tenant)
    if confirm_slug != tenant.slug:
        raise TenantError(
            TenantErrorCode.CONFIRMATION_MISMATCH,
            "Type the marketplace's address to confirm deletion.",
            details={"field": "confirm_slug"},
            kind=ErrorKind.INVALID,
        )
    days = settings.SOUK_TENANT_DELETION_GRACE_DAYS if grace_days is None else grace_days
    if days < 0:
        raise ValueError("the grace period cannot be negative")
    now = timezone.now()
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if locked.is_deletion_requested:
            raise TenantError(
                TenantErrorCode.DELETION_PENDING,
                f"Deletion is already scheduled for {locked.purge_after:%Y-%m-%d %H:%M} UTC.",
                kind=ErrorKind.CONFLICT,
            )
        changes: dict[str, object] = {
            "deletion_requested_at": now,
            "purge_after": now + timedelta(days=days),
        }
        if not locked.is_suspended:
            changes.update(status=TenantStatus.SUSPENDED, suspended_reason=DELETION_REASON)
        # A tenant suspended for another reason keeps it: cancelling restores that state.
        Tenant.objects.filter(pk=tenant.pk).update(**changes)
    tenant.refresh_from_db()
    logger.info(
        "deletion of tenant %s requested; purge after %s", tenant.schema_name, tenant.purge_after
    )
    return tenant


def cancel_tenant_deletion(*, tenant: Tenant) -> Tenant:
    """Stop a scheduled purge. A tenant that was active before comes back active; one that
    was already suspended for another reason stays suspended."""
    _refuse_platform(tenant)
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if not locked.is_deletion_requested:
            raise TenantError(
                TenantErrorCode.NOT_SCHEDULED_FOR_DELETION,
                "The marketplace is not scheduled for deletion.",
                kind=ErrorKind.CONFLICT,
            )
        changes: dict[str, object] = {"deletion_requested_at": None, "purge_after": None}
        if locked.is_suspended and locked.suspended_reason == DELETION_REASON:
            changes.update(status=TenantStatus.ACTIVE, suspended_reason="")
        Tenant.objects.filter(pk=tenant.pk).update(**changes)
    tenant.refresh_from_db()
    logger.info("deletion of tenant %s cancelled", tenant.schema_name)
    return tenant


def update_tenant(*, tenant: Tenant, name: str, plan: Plan | None, owner_email: str) -> Tenant:
    name = name.strip()
    if not name or len(name) > 120:
        raise TenantError(
            TenantErrorCode.INVALID_NAME,
            "The name must be 1-120 characters.",
            kind=ErrorKind.INVALID,
        )
    Tenant.objects.filter(pk=tenant.pk).update(
        name=name, plan=plan, owner_email=clean_email(owner_email) if owner_email else ""
    )
    tenant.refresh_from_db()
    return tenant
