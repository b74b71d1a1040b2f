"""``{% studio_nav as links %}``: the studio sections (``core.studio.nav``) and modules'
studio pages the signed-in teammate may open, for the seller the page authorised."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.http import HttpRequest
from django.template import Context
from django.urls import NoReverseMatch, reverse

from core.accounts.models import User
from core.registry import get_registry
from core.registry.enablement import enabled_module_keys
from core.registry.nav import current_href, nav_entries
from core.sellers.models import Seller
from core.sellers.permissions import held_permissions
from core.studio.nav import SECTIONS

register = template.Library()


@dataclass(frozen=True)
class StudioLink:
    label: str
    href: str
    is_current: bool
    module: str = ""


@register.simple_tag(takes_context=True)
def studio_nav(context: Context) -> list[StudioLink]:
    request: HttpRequest | None = context.get("request")
    seller = getattr(request, "_souk_authorised_seller", None) if request else None
    user = getattr(request, "user", None)
    if request is None or not isinstance(seller, Seller) or not isinstance(user, User):
        return []
    held = held_permissions(user, seller)
    is_owner = seller.owner_id == user.pk
    found: list[tuple[str, str, str]] = []  # (label, href, module key)
    for section in SECTIONS:
        if not section.is_open_to(held, is_owner=is_owner):
            continue
        try:
            found.append((section.label, reverse(section.url), ""))
        except NoReverseMatch:  # a section still being built (tests/test_studio_nav.py)
            continue
    entries = nav_entries(
        get_registry(),
        "studio",
        enabled=enabled_module_keys(),
        held_permissions=held,
    )
    for item in entries:
        href = item.entry.url if item.entry.is_path else reverse(item.entry.url)
        found.append((item.entry.label, href, item.module_key))
    current = current_href(request.path, (href for _, href, _ in found), home="/studio")
    return [StudioLink(label, href, href == current, module) for label, href, module in found]
