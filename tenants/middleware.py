"""Host -> tenant, with clear answers for unknown hosts and suspended tenants, the per-tenant
guard in front of disabled modules, and the end of platform support's sessions."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from core.accounts.models import User
from core.accounts.services.login_handoff import SUPPORT_SESSION_KEY
from core.envelope import error_response, wants_json
from core.registry import get_registry
from core.registry.root_urls import root_segments
from tenants.models import Tenant
from tenants.selectors import current_tenant, is_module_enabled
from tenants.services.support import is_support_session_live


class TenantMiddleware(TenantMainMiddleware):
    def get_tenant(self, domain_model: type, hostname: str) -> Tenant:
        domain = domain_model.objects.select_related("tenant", "tenant__branding").get(  # type: ignore[attr-defined]
            domain=hostname.lower()
        )
        tenant: Tenant = domain.tenant
        return tenant

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        response: HttpResponse | None = super().process_request(request)
        if response is not None:
            return response
        tenant = current_tenant(request)
        if tenant.is_suspended:
            return suspended_response(request, tenant)
        return None

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        if wants_json(request):
            return error_response(
                request, 404, "unknown_host", f"No marketplace is served at {hostname}."
            )
        return render(request, "errors/unknown_host.html", {"hostname": hostname}, status=404)


def suspended_response(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    if wants_json(request):
        return error_response(
            request,
            403,
            "tenant_suspended",
            f"{tenant.name} is suspended and cannot be used right now.",
        )
    return render(request, "errors/suspended.html", {"tenant": tenant}, status=403)


class ModuleGuardMiddleware:
    """404 for the API and pages of a module that is off for this tenant. Routers are mounted
    once for every tenant (ninja routers freeze), so enabling is checked per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        registry = get_registry()
        self.prefixes: list[tuple[str, str]] = []
        for manifest in registry:
            self.prefixes.append((f"/api/v1/{manifest.api_prefix}", manifest.key))
            if manifest.partner_router:
                self.prefixes.append((f"/api/v1/{manifest.partner_prefix}", manifest.key))
            self.prefixes.append((f"/{manifest.page_prefix}", manifest.key))
            if manifest.root_urls:
                self.prefixes.extend(
                    (f"/{segment}/", manifest.key) for segment in root_segments(manifest.root_urls)
                )
            if manifest.seller_urls:
                self.prefixes.append((f"/seller/{manifest.page_prefix}", manifest.key))
                self.prefixes.append((f"/studio/{manifest.page_prefix}", manifest.key))
            if manifest.operator_urls:
                self.prefixes.append((f"/operator/{manifest.page_prefix}", manifest.key))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant: Tenant | None = getattr(request, "tenant", None)
        if tenant is not None and not tenant.is_platform:
            for prefix, key in self.prefixes:
                if request.path.startswith(prefix) and not is_module_enabled(tenant, key):
                    return module_off_response(request)
        return self.get_response(request)


def module_off_response(request: HttpRequest) -> HttpResponse:
    # The same answer as a path that does not exist: a disabled module is not advertised.
    if wants_json(request):
        return error_response(request, 404, "not_found", "Not found.")
    return render(request, "errors/404.html", status=404)


class SupportSessionMiddleware:
    """After authentication: a support agent's session lasts only while the SupportSession it
    was opened for (public schema) is neither ended nor expired. Checked on every request of
    such a session (one primary-key query), before any view: pages then send the agent to the
    sign-in form and the API answers 401. A support agent's session without a SupportSession
    is signed out too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        tenant: Tenant | None = getattr(request, "tenant", None)
        if isinstance(user, User) and user.is_support_agent and tenant is not None:
            support_session_id = request.session.get(SUPPORT_SESSION_KEY)
            if not isinstance(support_session_id, int) or not is_support_session_live(
                support_session_id=support_session_id, tenant_id=tenant.pk
            ):
                logout(request)
        return self.get_response(request)


class UnopenedMarketplaceMiddleware:
    """After authentication: a marketplace opened on the public sign-up form whose owner has
    not confirmed their address yet is shown only to its operators (with a banner); everyone
    else gets a 404 "not open yet" page, or the API's envelope. Nothing of it is indexed. The
    sign-in, hand-off, password-reset and confirmation pages stay reachable so the owner can
    always get in. No query: the tenant row is already loaded."""

    # Reachable by anyone while the marketplace is not open (prefixes).
    OPEN_PATHS = (
        "/accounts/handoff/",
        "/accounts/login/",
        "/accounts/logout/",
        "/accounts/reset/",
        "/marketplace/verify/",
        "/static/",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant: Tenant | None = getattr(request, "tenant", None)
        if tenant is None or tenant.is_platform or tenant.is_owner_verified:
            return self.get_response(request)
        user = getattr(request, "user", None)
        is_operator = isinstance(user, User) and user.is_operator
        if is_operator or request.path.startswith(self.OPEN_PATHS):
            response = self.get_response(request)
        else:
            response = not_open_response(request, tenant)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response


def not_open_response(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    # 404, as for a host we do not serve: an unopened marketplace is not advertised.
    if wants_json(request):
        return error_response(
            request, 404, "marketplace_not_open", f"{tenant.name} is not open yet."
        )
    return render(request, "errors/not_open.html", {"tenant": tenant}, status=404)
