"""The public "open your marketplace" form's way to make one: anyone on the internet may call
it, so unlike the console, the platform API and commands it is rate-limited per IP and for the
whole platform, takes only a schema from the warm pool (a flood of sign-ups must never make
requests clone the template or run migrations), and leaves the marketplace unopened until the
owner confirms their address."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from core import ratelimit
from core.accounts import throttles
from core.accounts.models import Role, User
from core.accounts.services.login_handoff import issue_login_handoff
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Tenant
from tenants.services.lifecycle import delete_tenant
from tenants.services.owner_verification import (
    OWNER_VERIFICATION_MAX_AGE,
    BaseUrlFor,
    send_owner_verification,
)
from tenants.services.provision_tenant import (
    POOL_ONLY,
    ProvisionedTenant,
    provision_tenant,
    request_pool_refill,
)

logger = logging.getLogger(__name__)

# How long the browser that opened a marketplace may send the form again and land on it.
RESUBMISSION_WINDOW = timedelta(hours=1)
# A marketplace whose owner has not confirmed by the time the link expires is deleted: it holds
# a schema, and its address may never have been the owner's.
UNOPENED_LIFETIME = timedelta(seconds=OWNER_VERIFICATION_MAX_AGE)


def throttle_open_marketplace(*, ip: str) -> None:
    """Per client address (an IPv6 client per /64), then for the whole platform (the warm
    pool is shared by all), which counts only what the client's own bucket admitted."""
    ratelimit.check_in_order(
        ratelimit.Bucket(
            scope="open_marketplace_ip",
            key=ratelimit.ip_bucket_key(ip),
            rate=throttles.rate("open_marketplace_ip"),
        ),
        ratelimit.Bucket(
            scope="open_marketplace_all", key="all", rate=throttles.rate("open_marketplace_all")
        ),
    )


def open_marketplace(
    *,
    slug: str,
    name: str,
    owner_email: str,
    owner_password: str,
    modules: Sequence[str] | None,
    branding: dict[str, Any],
    ip: str,
    base_url_for: BaseUrlFor,
) -> ProvisionedTenant:
    """Provision from the pool with a sign-in ticket for the owner and mail them the link
    that opens the marketplace. With the pool empty: ``at_capacity`` and a refill queued."""
    throttle_open_marketplace(ip=ip)
    try:
        result = provision_tenant(
            slug=slug,
            name=name,
            owner_email=owner_email,
            owner_password=owner_password,
            modules=modules,
            branding=branding,
            issue_login=True,
            schema_sources=POOL_ONLY,
            is_owner_verified=False,
        )
    except TenantError as error:
        if error.code == TenantErrorCode.AT_CAPACITY:
            request_pool_refill()
        raise
    send_owner_verification(tenant=result.tenant, base_url_for=base_url_for)
    return result


def hand_off_again(
    *, tenant_id: int, slug: str, owner_email: str, owner_password: str, made_at: datetime
) -> tuple[Tenant, str] | None:
    """A fresh sign-in ticket for the owner of a marketplace this browser opened a moment ago
    (the form sent twice, or again after a lost answer), instead of "address taken" and a
    second marketplace. Only for the same address, owner and password, within
    RESUBMISSION_WINDOW; None otherwise."""
    if timezone.now() - made_at > RESUBMISSION_WINDOW:
        return None
    tenant = Tenant.objects.filter(pk=tenant_id, slug=slug, owner_email=owner_email).first()
    if tenant is None or tenant.is_suspended or tenant.is_deletion_requested:
        return None
    with schema_context(tenant.schema_name):
        owner = User.objects.filter(email=owner_email, role=Role.OPERATOR, is_active=True).first()
        if owner is None or not owner.check_password(owner_password):
            return None
        return tenant, issue_login_handoff(user=owner)


def delete_unopened_marketplaces(*, now: datetime | None = None) -> list[str]:
    """Request the deletion, with no grace period, of every marketplace whose owner did not
    confirm within UNOPENED_LIFETIME (the hourly purge then removes schema, files and rows);
    the slugs. Nobody but its operators ever saw one, and the mail warned them."""
    cutoff = (now or timezone.now()) - UNOPENED_LIFETIME
    stale = (
        Tenant.objects.filter(
            owner_verified_at__isnull=True,
            deletion_requested_at__isnull=True,
            created_at__lt=cutoff,
        )
        .exclude(schema_name="public")
        .order_by("created_at")
    )
    deleted = []
    for tenant in stale:
        try:
            delete_tenant(tenant=tenant, confirm_slug=tenant.slug, grace_days=0)
        except TenantError as error:  # confirmed or deleted meanwhile: nothing to do
            logger.info("not deleting unopened marketplace %s: %s", tenant.slug, error.message)
            continue
        logger.info("deleting marketplace %s: its owner never confirmed", tenant.slug)
        deleted.append(tenant.slug)
    return deleted
