"""The platform's own tenant row: the public schema, reached on PLATFORM_DOMAIN."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection

from tenants.models import Domain, Tenant


def ensure_platform_tenant() -> Tenant:
    """Idempotent: the public tenant exists and PLATFORM_DOMAIN is its primary domain."""
    tenant: Tenant
    tenant, _ = Tenant.objects.get_or_create(
        schema_name="public", defaults={"slug": "platform", "name": "Souk platform"}
    )
    domain = settings.PLATFORM_DOMAIN
    if not Domain.objects.filter(tenant=tenant, domain=domain, is_primary=True).exists():
        Domain.objects.filter(tenant=tenant, is_primary=True).update(is_primary=False)
        Domain.objects.update_or_create(
            domain=domain, defaults={"tenant": tenant, "is_primary": True}
        )
    return tenant


def ensure_platform_tenant_after_migrate(**kwargs: Any) -> None:
    """post_migrate of the tenants app, public schema only (tenant schemas skip it)."""
    if getattr(connection, "schema_name", "public") == "public":
        ensure_platform_tenant()
