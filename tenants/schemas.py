"""API shapes of the fleet (platform API) and of a marketplace's public profile."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema

from core.accounts.models import User
from core.registry import get_registry
from core.schemas import StrictSchema, model_max_length
from tenants.models import Branding, Domain, Plan, SupportSession, Tenant, TenantModule
from tenants.services.branding import BrandingSpec


class BrandingOut(Schema):
    display_name: str
    tagline: str
    theme: str
    logo_url: str
    primary_colour: str
    accent_colour: str
    background_colour: str
    text_colour: str
    font: str


class ModuleOut(Schema):
    key: str
    name: str
    is_enabled: bool
    config: dict[str, Any]


class DomainOut(Schema):
    domain: str
    is_primary: bool
    is_custom: bool


class MarketplaceOut(Schema):
    slug: str
    name: str
    default_currency: str
    branding: BrandingOut | None
    modules: list[str]


class TenantOut(Schema):
    slug: str
    name: str
    default_currency: str
    extra_currencies: list[str]
    time_zone: str
    deletion_requested_at: datetime | None
    purge_after: datetime | None
    schema_name: str
    status: str
    suspended_reason: str
    plan: str | None
    owner_email: str
    created_at: datetime
    domains: list[DomainOut]
    modules: list[ModuleOut]
    branding: BrandingOut | None

    @staticmethod
    def resolve_plan(tenant: Tenant) -> str | None:
        return tenant.plan.slug if tenant.plan else None

    @staticmethod
    def resolve_domains(tenant: Tenant) -> list[Domain]:
        # .all() so a prefetch (list endpoint) is used.
        return sorted(tenant.domains.all(), key=lambda d: (not d.is_primary, d.domain))

    @staticmethod
    def resolve_modules(tenant: Tenant) -> list[dict[str, Any]]:
        """Every installed module, on or off, so staff see what they can enable."""
        stored = {row.key: row for row in tenant.modules.all()}
        return [
            {
                "key": manifest.key,
                "name": manifest.name,
                "is_enabled": manifest.key in stored and stored[manifest.key].is_enabled,
                "config": stored[manifest.key].config if manifest.key in stored else {},
            }
            for manifest in get_registry()
        ]

    @staticmethod
    def resolve_branding(tenant: Tenant) -> Branding | None:
        return getattr(tenant, "branding", None)


HostName = Annotated[str, Field(min_length=1, max_length=model_max_length(Domain, "domain"))]
ModuleKey = Annotated[str, Field(max_length=model_max_length(TenantModule, "key"))]
CurrencyCode = Annotated[
    str, Field(min_length=3, max_length=model_max_length(Tenant, "default_currency"))
]


class TenantCreateIn(StrictSchema):
    slug: str = Field(..., min_length=1, max_length=model_max_length(Tenant, "slug"))
    name: str = Field(..., min_length=1, max_length=model_max_length(Tenant, "name"))
    owner_email: str = Field(..., max_length=model_max_length(User, "email"))
    owner_password: str | None = Field(None, max_length=256)
    plan: str | None = Field(None, max_length=model_max_length(Plan, "slug"))
    modules: list[ModuleKey] | None = None
    module_config: dict[str, dict[str, Any]] | None = None
    custom_domains: list[HostName] = Field(default_factory=list, max_length=20)
    branding: BrandingSpec | None = None
    default_currency: CurrencyCode = "USD"
    extra_currencies: list[CurrencyCode] = Field(default_factory=list, max_length=20)
    time_zone: str = Field("UTC", max_length=model_max_length(Tenant, "time_zone"))


class ProvisionOut(Schema):
    tenant: TenantOut
    schema_source: str
    elapsed_ms: float


class SuspendIn(StrictSchema):
    reason: str = Field(..., min_length=1, max_length=model_max_length(Tenant, "suspended_reason"))


class DeleteIn(StrictSchema):
    confirm_slug: str = Field(max_length=model_max_length(Tenant, "slug"))


class ModuleSetIn(StrictSchema):
    is_enabled: bool
    config: dict[str, Any] | None = None


class SupportSessionIn(StrictSchema):
    reason: str = Field(..., max_length=model_max_length(SupportSession, "reason"))


class SupportSessionOut(Schema):
    id: int
    staff_email: str
    tenant: str
    reason: str
    ip_address: str | None
    started_at: datetime
    expires_at: datetime
    ended_at: datetime | None

    @staticmethod
    def resolve_staff_email(session: SupportSession) -> str:
        return session.staff.email

    @staticmethod
    def resolve_tenant(session: SupportSession) -> str:
        return session.tenant.slug


class SupportTicketOut(Schema):
    session: SupportSessionOut
    url: str = Field(..., description="Single-use sign-in link to the storefront, 2 minutes.")


class DomainIn(StrictSchema):
    domain: HostName
    is_primary: bool = False
