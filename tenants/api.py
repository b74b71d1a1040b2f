"""Two routers: a marketplace's public profile (tenant hosts, ``/api/v1/marketplace``) and
the fleet API for platform staff (platform host, ``/api/platform/v1/``). Every fleet operation
names the Django permissions the console asks for the same action (``PlatformStaffAuth``)."""

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from core.accounts.auth import PlatformStaffAuth
from core.accounts.models import User
from core.errors import ErrorKind
from core.pagination import CursorPagination
from core.ratelimit import client_ip
from tenants import services
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Plan, SupportSession, Tenant, TenantStatus
from tenants.schemas import (
    DeleteIn,
    DomainIn,
    DomainOut,
    MarketplaceOut,
    ModuleSetIn,
    ProvisionOut,
    SupportSessionIn,
    SupportSessionOut,
    SupportTicketOut,
    SuspendIn,
    TenantCreateIn,
    TenantOut,
)
from tenants.selectors import current_tenant, enabled_module_keys, tenants_for_listing
from tenants.services.lifecycle import cancel_tenant_deletion
from tenants.services.support import end_support_session, open_support_session

marketplace_router = Router()
platform_router = Router()


@marketplace_router.get("", response=MarketplaceOut, summary="This marketplace's public profile")
def marketplace(request: HttpRequest) -> dict[str, Any]:
    tenant = current_tenant(request)
    return {
        "slug": tenant.slug,
        "name": tenant.name,
        "default_currency": tenant.default_currency,
        "branding": getattr(tenant, "branding", None),
        "modules": sorted(enabled_module_keys(tenant)),
    }


def _tenant(slug: str) -> Tenant:
    tenant = tenants_for_listing().filter(slug=slug).first()
    if tenant is None:
        raise TenantError(
            TenantErrorCode.TENANT_NOT_FOUND,
            f"No marketplace '{slug[:60]}'.",
            kind=ErrorKind.NOT_FOUND,
        )
    return tenant


def _plan(slug: str | None) -> Plan | None:
    if slug is None:
        return None
    plan = Plan.objects.filter(slug=slug).first()
    if plan is None:
        raise TenantError(
            TenantErrorCode.UNKNOWN_PLAN,
            f"There is no plan '{slug[:60]}'.",
            details={"field": "plan"},
            kind=ErrorKind.INVALID,
        )
    return plan


class TenantFilter(Schema):
    status: TenantStatus | None = None
    q: str | None = None


@platform_router.get(
    "/tenants",
    response=list[TenantOut],
    summary="List marketplaces",
    auth=PlatformStaffAuth("tenants.view_tenant"),
)
@paginate(CursorPagination)
def list_tenants(request: HttpRequest, filters: Query[TenantFilter]) -> QuerySet[Tenant]:
    tenants = tenants_for_listing()
    if filters.status:
        tenants = tenants.filter(status=filters.status)
    if filters.q:
        tenants = tenants.filter(Q(name__icontains=filters.q) | Q(slug__icontains=filters.q))
    return tenants


@platform_router.post(
    "/tenants",
    response={201: ProvisionOut},
    summary="Open a marketplace (provision a tenant)",
    auth=PlatformStaffAuth("tenants.add_tenant"),
)
def create_tenant(request: HttpRequest, payload: TenantCreateIn) -> Status[dict[str, Any]]:
    result = services.provision_tenant(
        slug=payload.slug,
        name=payload.name,
        owner_email=payload.owner_email,
        owner_password=payload.owner_password,
        plan=_plan(payload.plan),
        modules=payload.modules,
        module_config=payload.module_config,
        custom_domains=payload.custom_domains,
        branding=payload.branding,
        default_currency=payload.default_currency,
        extra_currencies=payload.extra_currencies,
        time_zone=payload.time_zone,
    )
    return Status(
        201,
        {
            "tenant": _tenant(result.tenant.slug),
            "schema_source": result.schema_source,
            "elapsed_ms": round(result.elapsed_ms, 1),
        },
    )


@platform_router.get(
    "/tenants/{slug}",
    response=TenantOut,
    summary="One marketplace",
    auth=PlatformStaffAuth("tenants.view_tenant"),
)
def get_tenant(request: HttpRequest, slug: str) -> Tenant:
    return _tenant(slug)


@platform_router.post(
    "/tenants/{slug}/suspend", response=TenantOut, auth=PlatformStaffAuth("tenants.change_tenant")
)
def suspend_tenant(request: HttpRequest, slug: str, payload: SuspendIn) -> Tenant:
    services.suspend_tenant(tenant=_tenant(slug), reason=payload.reason)
    return _tenant(slug)


@platform_router.post(
    "/tenants/{slug}/resume", response=TenantOut, auth=PlatformStaffAuth("tenants.change_tenant")
)
def resume_tenant(request: HttpRequest, slug: str) -> Tenant:
    services.resume_tenant(tenant=_tenant(slug))
    return _tenant(slug)


class DeletionScheduledOut(Schema):
    slug: str
    status: str
    deletion_requested_at: datetime
    purge_after: datetime


@platform_router.delete(
    "/tenants/{slug}",
    response={202: DeletionScheduledOut},
    summary="Delete a marketplace: suspended now, purged after the grace period",
    auth=PlatformStaffAuth("tenants.delete_tenant"),
)
def delete_tenant(request: HttpRequest, slug: str, payload: DeleteIn) -> Status[Tenant]:
    tenant = services.delete_tenant(tenant=_tenant(slug), confirm_slug=payload.confirm_slug)
    return Status(202, tenant)


@platform_router.post(
    "/tenants/{slug}/cancel-deletion",
    response=TenantOut,
    summary="Cancel a scheduled deletion during the grace period",
    auth=PlatformStaffAuth("tenants.delete_tenant"),
)
def cancel_deletion(request: HttpRequest, slug: str) -> Tenant:
    cancel_tenant_deletion(tenant=_tenant(slug))
    return _tenant(slug)


@platform_router.put(
    "/tenants/{slug}/modules/{key}",
    response=TenantOut,
    auth=PlatformStaffAuth("tenants.change_tenant", "tenants.change_tenantmodule"),
)
def set_module(request: HttpRequest, slug: str, key: str, payload: ModuleSetIn) -> Tenant:
    services.set_module_enabled(
        tenant=_tenant(slug), key=key, is_enabled=payload.is_enabled, config=payload.config
    )
    return _tenant(slug)


@platform_router.post(
    "/tenants/{slug}/domains",
    response={201: DomainOut},
    auth=PlatformStaffAuth("tenants.change_tenant", "tenants.add_domain"),
)
def add_domain(request: HttpRequest, slug: str, payload: DomainIn) -> Status[Any]:
    domain = services.add_domain(
        tenant=_tenant(slug), domain=payload.domain, is_primary=payload.is_primary
    )
    return Status(201, domain)


@platform_router.post(
    "/tenants/{slug}/domains/{domain}/primary",
    response=DomainOut,
    auth=PlatformStaffAuth("tenants.change_tenant", "tenants.change_domain"),
)
def make_primary_domain(request: HttpRequest, slug: str, domain: str) -> Any:
    return services.set_primary_domain(tenant=_tenant(slug), domain=domain)


@platform_router.delete(
    "/tenants/{slug}/domains/{domain}",
    response={204: None},
    auth=PlatformStaffAuth("tenants.change_tenant", "tenants.delete_domain"),
)
def remove_domain(request: HttpRequest, slug: str, domain: str) -> Status[None]:
    services.remove_domain(tenant=_tenant(slug), domain=domain)
    return Status(204, None)


@platform_router.post(
    "/tenants/{slug}/support-sessions",
    response={201: SupportTicketOut},
    summary="Enter a marketplace as support (audit-logged)",
    auth=PlatformStaffAuth("tenants.add_supportsession"),
)
def start_support_session(request: HttpRequest, slug: str, payload: SupportSessionIn) -> Any:
    staff: User = request.auth  # type: ignore[attr-defined]
    ticket = open_support_session(
        staff=staff,
        tenant=_tenant(slug),
        reason=payload.reason,
        ip_address=client_ip(request) if client_ip(request) != "unknown" else None,
        scheme=request.scheme or "https",
        port=request.get_port(),
    )
    return Status(201, {"session": ticket.session, "url": ticket.url})


@platform_router.get(
    "/support-sessions",
    response=list[SupportSessionOut],
    auth=PlatformStaffAuth("tenants.view_supportsession"),
)
@paginate(CursorPagination)
def list_support_sessions(request: HttpRequest, tenant: str | None = None) -> Any:
    sessions = SupportSession.objects.select_related("staff", "tenant")
    return sessions.filter(tenant__slug=tenant) if tenant else sessions


@platform_router.post(
    "/support-sessions/{session_id}/end",
    response=SupportSessionOut,
    auth=PlatformStaffAuth("tenants.change_supportsession"),
)
def finish_support_session(request: HttpRequest, session_id: int) -> Any:
    session = SupportSession.objects.select_related("staff", "tenant").filter(pk=session_id).first()
    if session is None:
        raise TenantError(
            TenantErrorCode.TENANT_NOT_FOUND, "No such support session.", kind=ErrorKind.NOT_FOUND
        )
    return end_support_session(session=session)
