"""``{% module_nav "account" as links %}``: the links modules declare for an area of the
navigation (``pages=`` in their manifests), for the current tenant and user.

Only modules on for this tenant are listed; the studio lists only what the acting teammate
may open. No query of its own: the enabled modules are the request's memo, and a studio page
hands over the ``seller`` it authorised (the owner's permissions need no query, a teammate's
were read with their membership)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django import template
from django.http import HttpRequest
from django.template import Context
from django.urls import reverse

from core.accounts.models import User
from core.registry import get_registry
from core.registry.nav import nav_entries
from core.sellers.errors import SellerError
from core.sellers.models import Seller
from core.sellers.permissions import held_permissions
from core.sellers.selectors import acting_seller_holding
from tenants.models import Tenant
from tenants.selectors import enabled_module_keys

register = template.Library()


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    module: str
    is_current: bool


@register.simple_tag(takes_context=True)
def module_nav(context: Context, area: str) -> list[NavLink]:
    request: HttpRequest | None = context.get("request")
    tenant = getattr(request, "tenant", None)
    if request is None or not isinstance(tenant, Tenant) or tenant.is_platform:
        return []
    held = _studio_permissions(request, context.get("seller")) if area == "studio" else None
    entries = nav_entries(
        get_registry(), area, enabled=enabled_module_keys(tenant), held_permissions=held
    )
    links = []
    for item in entries:
        href = item.entry.url if item.entry.is_path else reverse(item.entry.url)
        links.append(NavLink(item.entry.label, href, item.module_key, _is_current(request, href)))
    return links


def _studio_permissions(request: HttpRequest, seller: object) -> frozenset[str] | None:
    """The team permissions of the signed-in user for the seller the page shows (looked up
    only when the page did not say); None when they act for no seller."""
    user = request.user
    if not isinstance(user, User):
        return None
    if not isinstance(seller, Seller):
        try:
            seller = acting_seller_holding(user, ())
        except SellerError:
            return None
    return held_permissions(user, seller)


def _is_current(request: HttpRequest, href: str) -> bool:
    path = urlsplit(href).path
    return request.path == path or (path != "/" and request.path.startswith(path))
