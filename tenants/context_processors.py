"""What every storefront template knows: the tenant, its branding and its enabled modules."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tenants.models import Branding, Tenant
from tenants.selectors import enabled_manifests


def storefront(request: HttpRequest) -> dict[str, Any]:
    tenant: Tenant | None = getattr(request, "tenant", None)
    if tenant is None or tenant.is_platform:
        return {"tenant": tenant, "branding": None, "brand_css": "", "enabled_modules": []}
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
    }
