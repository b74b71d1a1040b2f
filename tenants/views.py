"""The platform host's "open your marketplace" form, and on the new marketplace's own host the
owner's confirmation that opens it to everyone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.accounts.models import User
from core.envelope import http_status
from core.errors import DomainError
from core.ratelimit import RateLimited, client_ip
from core.security_headers import allow_form_action
from tenants.forms import OpenMarketplaceForm, issue_form_stamp
from tenants.models import Tenant
from tenants.selectors import current_tenant
from tenants.services.open_marketplace import hand_off_again, open_marketplace
from tenants.services.owner_verification import (
    resend_owner_verification,
    verify_marketplace_owner,
)

# The marketplaces this browser opened (platform session): a resubmitted form lands on its own.
OPENED_SESSION_KEY = "souk.opened_marketplaces"
OPENED_REMEMBERED = 5


def _port_suffix(request: HttpRequest) -> str:
    """The port this server answers on (SERVER_PORT, not the Host header), when not default."""
    port = request.get_port()
    return "" if port in {"80", "443"} else f":{port}"


def base_url_for_host(request: HttpRequest, host: str) -> str:
    return f"{request.scheme}://{host}{_port_suffix(request)}"


def tenant_hosts_source(request: HttpRequest) -> list[str]:
    """Every marketplace's subdomain, the only place the sign-up form's answer leads."""
    return [f"{request.scheme}://*.{settings.PLATFORM_DOMAIN}{_port_suffix(request)}"]


def _handoff_url(request: HttpRequest, tenant: Tenant, token: str) -> str:
    primary = tenant.domains.get(is_primary=True).domain
    query = urlencode({"token": token})
    return f"{base_url_for_host(request, primary)}/accounts/handoff/?{query}"


def _remember(request: HttpRequest, tenant: Tenant) -> None:
    opened = [
        {
            "tenant": tenant.pk,
            "slug": tenant.slug,
            "owner_email": tenant.owner_email,
            "at": timezone.now().isoformat(),
        },
        *request.session.get(OPENED_SESSION_KEY, []),
    ]
    request.session[OPENED_SESSION_KEY] = opened[:OPENED_REMEMBERED]


def _opened_here_before(request: HttpRequest, form: OpenMarketplaceForm) -> HttpResponse | None:
    """The same marketplace sent again from the browser that made it: its hand-off again."""
    data = form.cleaned_data
    email = data["owner_email"].strip().lower()
    for entry in request.session.get(OPENED_SESSION_KEY, []):
        if entry.get("slug") != data["slug"] or entry.get("owner_email") != email:
            continue
        again = hand_off_again(
            tenant_id=int(entry["tenant"]),
            slug=data["slug"],
            owner_email=email,
            owner_password=data["owner_password"],
            made_at=datetime.fromisoformat(entry["at"]),
        )
        if again is not None:
            tenant, token = again
            return HttpResponseRedirect(_handoff_url(request, tenant, token))
    return None


@require_http_methods(["GET", "POST"])
@allow_form_action(tenant_hosts_source)
def open_marketplace_page(request: HttpRequest) -> HttpResponse:
    form = OpenMarketplaceForm(request.POST or None)
    refusal: DomainError | None = None
    if request.method == "POST" and form.is_valid():
        again = _opened_here_before(request, form)
        if again is not None:
            return again
        data = form.cleaned_data
        try:
            result = open_marketplace(
                slug=data["slug"],
                name=data["name"],
                owner_email=data["owner_email"],
                owner_password=data["owner_password"],
                modules=data["modules"] or None,
                branding=form.branding(),
                ip=client_ip(request),
                base_url_for=lambda host: base_url_for_host(request, host),
            )
        except DomainError as error:
            refusal = error
            field = error.details.get("field") if isinstance(error.details, dict) else None
            form.add_error(field if field in form.fields else None, error.message)
        else:
            _remember(request, result.tenant)
            assert result.login_token is not None  # issue_login=True
            return HttpResponseRedirect(_handoff_url(request, result.tenant, result.login_token))
    status = 200
    if request.method == "POST":
        refused_status = http_status(refusal) if refusal is not None else 400
        status = refused_status if refused_status >= 429 else 400
    context = {"form": form, "form_stamp": issue_form_stamp()}
    response = render(request, "platform/open_marketplace.html", context, status=status)
    for name, value in (refusal.headers if refusal is not None else {}).items():
        response[name] = value  # Retry-After when rate-limited or at capacity
    return response


# --- on the new marketplace's host ------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def verify_owner_page(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the owner's mail. A GET shows a button and changes nothing (mail scanners
    open links); the POST opens the marketplace."""
    tenant = current_tenant(request)
    context: dict[str, Any] = {"token": token}
    if request.method == "GET":
        return render(request, "marketplace/verify_owner.html", context)
    try:
        verify_marketplace_owner(tenant=tenant, token=token)
    except DomainError as error:
        context["error"] = error
        return render(request, "marketplace/verify_owner.html", context, status=400)
    return render(request, "marketplace/owner_verified.html", context)


@require_POST
@login_required
def resend_owner_verification_page(request: HttpRequest) -> HttpResponse:
    tenant = current_tenant(request)
    user = request.user
    if not isinstance(user, User) or not user.is_operator:
        raise Http404("Not an operator of this marketplace")
    context: dict[str, Any] = {}
    status = 200
    try:
        resend_owner_verification(
            tenant=tenant, base_url_for=lambda host: base_url_for_host(request, host)
        )
    except RateLimited as error:
        context["error"], status = error, 429
    response = render(request, "marketplace/verification_sent.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(context["error"].retry_after)
    return response
