"""What every storefront template knows: the tenant, its branding, its enabled modules and
the links to its legal pages (read only when a template uses them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

from tenants.backoffice.models import LegalPageKind
from tenants.backoffice.setup.services.legal_pages import written_kinds
from tenants.models import Branding, Tenant
from tenants.selectors import enabled_manifests


@dataclass(frozen=True)
class FooterLink:
    label: str
    href: str


def legal_links() -> list[FooterLink]:
    links = []
    for kind in written_kinds():
        try:
            href = reverse("legal_page", args=[kind])
        except NoReverseMatch:  # core/urls.py mounts tenants.backoffice.setup.public_urls
            return []
        links.append(FooterLink(LegalPageKind(kind).label, href))
    return links


def storefront(request: HttpRequest) -> dict[str, Any]:
    tenant: Tenant | None = getattr(request, "tenant", None)
    if tenant is None or tenant.is_platform:
        return {
            "tenant": tenant,
            "branding": None,
            "brand_css": "",
            "enabled_modules": [],
            "legal_links": [],
        }
    branding: Branding | None = getattr(tenant, "branding", None)
    css = ""
    if branding is not None:
        # Values are validated (hex colours, a font from a fixed list) before they are stored.
        css = "".join(f"{name}:{value};" for name, value in branding.css_variables().items())
    return {
        "tenant": tenant,
        "branding": branding,
        "brand_css": css,
        "enabled_modules": enabled_manifests(tenant),
        "legal_links": SimpleLazyObject(legal_links),
    }
