"""The console's pages beside the admin, mounted by ``ConsoleSite.get_urls`` behind the
admin's own guard (active staff with a verified second factor); each page also needs the
Django permission the admin and the platform API ask for the same thing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core.accounts.models import User
from core.charts import Chart, Series
from core.ratelimit import client_ip
from core.registry import UnknownModule, get_registry
from core.security_headers import extend_form_action
from tenants import services
from tenants.console.forms import ModuleSettingsForm, SupportSessionForm, TenantSearchForm
from tenants.errors import TenantError
from tenants.models import Tenant, TenantModule, TenantStatus
from tenants.selectors import (
    FleetSnapshot,
    TenantFigures,
    fleet_snapshot,
    search_tenants,
    tenant_figures,
)
from tenants.services.support import open_support_session
from tenants.views import base_url_for_host

# Bars per chart: the rest of the fleet is in the table below the charts.
TOP_TENANTS = 10
CHART_CURRENCIES = 3
TABLE_ROWS = 200


def _require(request: HttpRequest, *permissions: str) -> User:
    user = request.user
    if not isinstance(user, User) or not user.has_perms(permissions):
        raise PermissionDenied(f"Your staff account needs {', '.join(permissions)}.")
    return user


def _context(site: AdminSite, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
    return {**site.each_context(request), "title": title, **extra}


def fleet_charts(snapshot: FleetSnapshot) -> list[Chart]:
    statuses = dict(TenantStatus.choices)
    charts = [
        Chart(
            id="by-status",
            title="Marketplaces by status",
            kind="doughnut",
            labels=[str(statuses.get(status, status)) for status in snapshot.by_status],
            series=[Series("Marketplaces", list(snapshot.by_status.values()))],
        ),
        Chart(
            id="by-plan",
            title="Marketplaces by plan",
            kind="bar",
            labels=list(snapshot.by_plan),
            series=[Series("Marketplaces", list(snapshot.by_plan.values()))],
        ),
        Chart(
            id="provisioning",
            title="Marketplaces opened per day",
            description="Last 30 days",
            kind="bar",
            labels=[day.strftime("%d %b") for day, _ in snapshot.created_per_day],
            series=[Series("Opened", [count for _, count in snapshot.created_per_day])],
        ),
    ]
    for currency in list(snapshot.gmv_total)[:CHART_CURRENCIES]:
        top = sorted(
            (row for row in snapshot.tenants if row.gmv.get(currency)),
            key=lambda row: -row.gmv[currency],
        )[:TOP_TENANTS]
        charts.append(
            Chart(
                id=f"gmv-{currency.lower()}",
                title=f"GMV per marketplace ({currency})",
                description=f"Captured payments, top {TOP_TENANTS}",
                kind="bar",
                labels=[row.name for row in top],
                series=[Series("GMV", [row.gmv[currency] for row in top])],
                unit="money",
                currency=currency,
            )
        )
    backlog = sorted(
        (row for row in snapshot.tenants if row.has_backlog),
        key=lambda row: -(row.outbox_pending + row.deadlines_failed),
    )[:TOP_TENANTS]
    charts.append(
        Chart(
            id="backlog",
            title="Task backlog per marketplace",
            description="Undelivered outbox events and failed deadlines",
            kind="bar",
            labels=[row.name for row in backlog],
            series=[
                Series("Outbox pending", [row.outbox_pending for row in backlog]),
                Series("Failed deadlines", [row.deadlines_failed for row in backlog]),
            ],
            empty_message="No backlog: every outbox is delivered, no deadline failed.",
        )
    )
    return charts


@require_http_methods(["GET", "POST"])
def fleet_page(request: HttpRequest, *, site: AdminSite) -> HttpResponse:
    """Tenants by status and plan, provisioning and the warm pool, GMV, backlogs; search."""
    _require(request, "tenants.view_tenant")
    if request.method == "POST":  # "Refresh figures"
        fleet_snapshot(refresh=True)
        return HttpResponseRedirect(reverse(f"{site.name}:fleet"))
    snapshot = fleet_snapshot()
    search = TenantSearchForm(request.GET or None)
    found = None
    if search.is_valid() and search.cleaned_data["q"]:
        found = list(search_tenants(search.cleaned_data["q"]))
        if len(found) == 1 and request.GET.get("go"):
            return HttpResponseRedirect(reverse(f"{site.name}:fleet_tenant", args=[found[0].slug]))
    context = _context(
        site,
        request,
        "Fleet overview",
        snapshot=snapshot,
        charts=fleet_charts(snapshot),
        rows=sorted(snapshot.tenants, key=lambda row: row.name.lower())[:TABLE_ROWS],
        is_truncated=len(snapshot.tenants) > TABLE_ROWS,
        search=search,
        found=found,
        active=snapshot.by_status.get(TenantStatus.ACTIVE, 0),
        suspended=snapshot.by_status.get(TenantStatus.SUSPENDED, 0),
    )
    return TemplateResponse(request, "console/fleet.html", context)


def _module_rows(tenant: Tenant) -> list[dict[str, Any]]:
    stored = {row.key: row for row in TenantModule.objects.filter(tenant=tenant)}
    rows = []
    for manifest in get_registry():
        row = stored.get(manifest.key)
        rows.append(
            {
                "manifest": manifest,
                "is_enabled": bool(row and row.is_enabled),
                "is_allowed": tenant.plan is None or tenant.plan.allows(manifest.key),
                "has_settings": bool(manifest.settings_model.model_fields),
            }
        )
    return rows


def _tenant_page(
    request: HttpRequest,
    site: AdminSite,
    tenant: Tenant,
    support_form: SupportSessionForm,
    status: int = 200,
) -> HttpResponse:
    user = _require(request, "tenants.view_tenant")
    domains = list(tenant.domains.order_by("-is_primary", "domain"))
    primary = next((d.domain for d in domains if d.is_primary), None)
    context = _context(
        site,
        request,
        tenant.name,
        tenant=tenant,
        domains=domains,
        figures=TenantFigures(
            tenant_id=tenant.pk,
            slug=tenant.slug,
            name=tenant.name,
            status=tenant.status,
            plan=tenant.plan.name if tenant.plan is not None else "No plan",
            primary_domain=primary or "",
            **tenant_figures(tenant),
        ),
        modules=_module_rows(tenant),
        support_form=support_form,
        may_enter=user.has_perm("tenants.add_supportsession") and not tenant.is_suspended,
        may_change_modules=user.has_perms(("tenants.change_tenant", "tenants.change_tenantmodule")),
        primary_url=base_url_for_host(request, primary) if primary else None,
    )
    response = TemplateResponse(request, "console/tenant.html", context, status=status)
    if primary:
        # "Enter as support" is answered by a redirect to the marketplace's own host.
        extend_form_action(response, [base_url_for_host(request, primary)])
    return response


def _tenant(slug: str) -> Tenant:
    tenant: Tenant = get_object_or_404(
        Tenant.objects.exclude(schema_name="public").select_related("plan", "branding"),
        slug=slug,
    )
    return tenant


@require_http_methods(["GET"])
def tenant_page(request: HttpRequest, slug: str, *, site: AdminSite) -> HttpResponse:
    """One marketplace: figures, domains, modules and the way in as support."""
    return _tenant_page(request, site, _tenant(slug), SupportSessionForm())


@require_POST
def enter_as_support(request: HttpRequest, slug: str, *, site: AdminSite) -> HttpResponse:
    """Open an audited support session (the platform API's service) and hand off to the
    marketplace's host, signed in as this staff member's support identity there."""
    staff = _require(request, "tenants.add_supportsession")
    tenant = _tenant(slug)
    form = SupportSessionForm(request.POST)
    if not form.is_valid():
        return _tenant_page(request, site, tenant, form, status=400)
    ip = client_ip(request)
    try:
        ticket = open_support_session(
            staff=staff,
            tenant=tenant,
            reason=form.cleaned_data["reason"],
            ip_address=ip if ip != "unknown" else None,
            scheme=request.scheme or "https",
            port=request.get_port(),
        )
    except TenantError as error:
        form.add_error("reason" if error.details == {"field": "reason"} else None, error.message)
        return _tenant_page(request, site, tenant, form, status=400)
    return HttpResponseRedirect(ticket.url)


@require_http_methods(["GET", "POST"])
def module_page(request: HttpRequest, slug: str, key: str, *, site: AdminSite) -> HttpResponse:
    """A module on or off for one marketplace, with its settings as a form."""
    _require(request, "tenants.view_tenant", "tenants.change_tenant", "tenants.change_tenantmodule")
    tenant = _tenant(slug)
    try:
        manifest = get_registry().get(key)
    except UnknownModule:
        raise Http404("No such module") from None
    row = TenantModule.objects.filter(tenant=tenant, key=key).first()
    form = ModuleSettingsForm(
        request.POST if request.method == "POST" else None,
        manifest=manifest,
        is_enabled=bool(row and row.is_enabled),
        stored=dict(row.config) if row else {},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.set_module_enabled(
                    tenant=tenant,
                    key=key,
                    is_enabled=form.cleaned_data["is_enabled"],
                    config=form.config,
                )
            except TenantError as error:
                form.add_service_errors(error.details, error.message)
            else:
                state = "on" if form.cleaned_data["is_enabled"] else "off"
                messages.success(request, f"{manifest.name} is {state} for {tenant.name}.")
                return HttpResponseRedirect(reverse(f"{site.name}:fleet_tenant", args=[slug]))
    context = _context(
        site,
        request,
        f"{manifest.name} on {tenant.name}",
        tenant=tenant,
        manifest=manifest,
        form=form,
        is_allowed=tenant.plan is None or tenant.plan.allows(key),
    )
    return TemplateResponse(request, "console/module.html", context, status=status)
