"""Pages of the platform host: the "open your marketplace" form."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from tenants import services
from tenants.errors import TenantError
from tenants.forms import OpenMarketplaceForm


@require_http_methods(["GET", "POST"])
def open_marketplace(request: HttpRequest) -> HttpResponse:
    form = OpenMarketplaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.provision_tenant(
                slug=form.cleaned_data["slug"],
                name=form.cleaned_data["name"],
                owner_email=form.cleaned_data["owner_email"],
                owner_password=form.cleaned_data["owner_password"],
                modules=form.cleaned_data["modules"] or None,
                branding=form.branding(),
                issue_login=True,
            )
        except TenantError as error:
            field = (error.details or {}).get("field") if isinstance(error.details, dict) else None
            form.add_error(field if field in form.fields else None, error.message)
        else:
            primary = result.tenant.domains.get(is_primary=True).domain
            port = request.get_port()
            host = primary if port in {"80", "443"} else f"{primary}:{port}"
            query = urlencode({"token": result.login_token})
            return HttpResponseRedirect(f"{request.scheme}://{host}/accounts/handoff/?{query}")
    status = 400 if request.method == "POST" else 200
    return render(request, "platform/open_marketplace.html", {"form": form}, status=status)
