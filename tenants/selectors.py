"""Reads of the fleet shared by middleware, views, the API and services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest

from core.marketplace import MarketplaceSettings
from core.registry import ModuleManifest, get_registry
from core.schema import current_schema_name
from tenants.models import Domain, PooledSchema, Tenant, TenantModule

_ENABLED_ATTR = "_souk_enabled_modules"
ENABLED_MODULES_CACHE_SECONDS = 300


def current_tenant(request: HttpRequest) -> Tenant:
    """The tenant the middleware resolved from the request's host."""
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def enabled_modules(tenant: Tenant) -> dict[str, dict[str, Any]]:
    """Installed modules that are on for ``tenant``, with their stored config. Memoised on the
    tenant object, which the tenant middleware makes once per request."""
    cached: dict[str, dict[str, Any]] | None = getattr(tenant, _ENABLED_ATTR, None)
    if cached is None:
        # Also cached across requests, keyed by the tenant's modules revision.
        cache_key = f"enabled-modules:{tenant.pk}:{tenant.modules_revision}"
        rows: list[tuple[str, dict[str, Any]]] | None = cache.get(cache_key)
        if rows is None:
            rows = list(
                TenantModule.objects.filter(tenant_id=tenant.pk, is_enabled=True).values_list(
                    "key", "config"
                )
            )
            cache.set(cache_key, rows, ENABLED_MODULES_CACHE_SECONDS)
        registry = get_registry()
        cached = {key: config for key, config in rows if key in registry}
        setattr(tenant, _ENABLED_ATTR, cached)
    return cached


def enabled_module_keys(tenant: Tenant) -> frozenset[str]:
    return frozenset(enabled_modules(tenant))


def current_schema_enabled_module_keys() -> frozenset[str]:
    """Enabled modules of the tenant the database connection is set to."""
    tenant = current_tenant_row()
    return enabled_module_keys(tenant) if tenant is not None else frozenset()


def current_tenant_row() -> Tenant | None:
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Tenant):
        return tenant
    # schema_context() sets a stand-in with no row.
    row: Tenant | None = Tenant.objects.filter(schema_name=current_schema_name()).first()
    return row


def current_marketplace_settings() -> MarketplaceSettings:
    tenant = current_tenant_row()
    if tenant is None:
        return MarketplaceSettings(name="Souk", default_currency="USD", currencies=("USD",))
    extra = tuple(c for c in tenant.extra_currencies if c != tenant.default_currency)
    return MarketplaceSettings(
        name=tenant.name,
        default_currency=tenant.default_currency,
        currencies=(tenant.default_currency, *extra),
    )


def current_primary_domain() -> str:
    """The primary domain of the tenant the connection is set to (the platform domain on the
    public schema). One indexed query; asked only when a link is built, not per request."""
    domain = (
        Domain.objects.filter(tenant__schema_name=current_schema_name(), is_primary=True)
        .values_list("domain", flat=True)
        .first()
    )
    return domain or settings.PLATFORM_DOMAIN


def pooled_schema_count() -> int:
    """Pre-migrated schemas waiting in the warm pool (the /metrics gauge)."""
    return PooledSchema.objects.count()


def forget_enabled_modules(tenant: Tenant) -> None:
    if hasattr(tenant, _ENABLED_ATTR):
        delattr(tenant, _ENABLED_ATTR)


def is_module_enabled(tenant: Tenant, key: str) -> bool:
    return key in enabled_modules(tenant)


def enabled_module_config(tenant: Tenant, key: str) -> dict[str, Any]:
    """The stored config of ``key`` where it is on for ``tenant`` (else empty: defaults). Core
    reads it through ``ModuleManifest.settings_for``, which validates it with the module's
    settings model."""
    return enabled_modules(tenant).get(key, {})


def enabled_manifests(tenant: Tenant) -> list[ModuleManifest]:
    enabled = enabled_modules(tenant)
    return [manifest for manifest in get_registry() if manifest.key in enabled]


def tenants_for_listing() -> QuerySet[Tenant]:
    tenants: QuerySet[Tenant] = (
        Tenant.objects.exclude(schema_name="public")
        .select_related("plan", "branding")
        .prefetch_related("domains", "modules")
        .order_by("-id")
    )
    return tenants
