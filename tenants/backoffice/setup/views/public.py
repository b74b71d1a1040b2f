"""What the set-up pages publish to everyone on the storefront: the uploaded logo and favicon
(from the tenant's own storage; only the ones in use) and the legal pages."""

from __future__ import annotations

import re

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tenants.backoffice.models import LegalPage, LegalPageKind
from tenants.models import Branding, Tenant
from tenants.services.branding_assets import ASSET_URL_PREFIX, CONTENT_TYPES, asset_storage_name

ASSET_NAME = re.compile(r"^(logo|favicon)-[0-9a-f]{16}\.(png|jpg|webp|gif|ico)$")
YEAR = 365 * 24 * 3600


@require_GET
def brand_asset(request: HttpRequest, name: str) -> HttpResponseBase:
    """The marketplace's current logo or favicon. Names carry a hash of the bytes, so a
    response never changes and may be cached for a year."""
    tenant: Tenant | None = getattr(request, "tenant", None)
    match = ASSET_NAME.match(name)
    if tenant is None or tenant.is_platform or match is None:
        raise Http404("No such file.")
    branding = Branding.objects.filter(tenant=tenant).first()
    in_use = {branding.logo_url, branding.favicon_url} if branding else set()
    if ASSET_URL_PREFIX + name not in in_use:
        raise Http404("No such file.")
    try:
        handle = default_storage.open(asset_storage_name(tenant.schema_name, name), "rb")
    except FileNotFoundError:
        raise Http404("No such file.") from None
    response = FileResponse(handle, content_type=CONTENT_TYPES[match.group(2)])
    response["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
def legal_page(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        page_kind = LegalPageKind(kind)
    except ValueError:
        raise Http404("No such page.") from None
    page = LegalPage.objects.filter(kind=page_kind).first()
    if page is None:
        raise Http404("No such page.")
    return render(request, "backoffice/setup_legal_page.html", {"page": page})
