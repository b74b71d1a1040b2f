"""Receivers that replace a marketplace's cached storefront pages when what every page shows
changes: its branding or settings (public schema rows, so the bump is made in the
marketplace's own schema) or its legal pages."""

from __future__ import annotations

from django_tenants.utils import schema_context

from core import cache_versions
from core.schema import current_schema_name
from tenants.backoffice.models import LegalPage
from tenants.models import Branding, Tenant


def tenant_changed(
    sender: type[Branding | Tenant], instance: Branding | Tenant, **kwargs: object
) -> None:
    if kwargs.get("created"):
        return  # a new marketplace (or its first branding) has no pages cached yet
    tenant = instance if isinstance(instance, Tenant) else instance.tenant
    if not tenant.schema_name or tenant.is_platform:
        return
    if current_schema_name() == tenant.schema_name:
        cache_versions.bump(cache_versions.STOREFRONT)
        return
    with schema_context(tenant.schema_name):
        cache_versions.bump(cache_versions.STOREFRONT)


def legal_page_changed(sender: type[LegalPage], instance: LegalPage, **kwargs: object) -> None:
    cache_versions.bump(cache_versions.STOREFRONT)
