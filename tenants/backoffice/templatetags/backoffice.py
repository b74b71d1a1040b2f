"""``{% operator_nav as links %}``: the back-office sections (``tenants.backoffice.nav``) and the
operator pages of the modules on here."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.http import HttpRequest
from django.template import Context
from django.urls import NoReverseMatch, reverse

from core.registry import get_registry
from core.registry.nav import current_href, nav_entries
from tenants.backoffice.nav import SECTIONS
from tenants.models import Tenant
from tenants.selectors import enabled_module_keys

register = template.Library()


@dataclass(frozen=True)
class OperatorLink:
    label: str
    href: str
    is_current: bool
    module: str = ""


@register.simple_tag(takes_context=True)
def operator_nav(context: Context) -> list[OperatorLink]:
    request: HttpRequest | None = context.get("request")
    tenant = getattr(request, "tenant", None)
    if request is None or not isinstance(tenant, Tenant):
        return []
    found: list[tuple[str, str, str]] = []  # (label, href, module key)
    for label, url in SECTIONS:
        try:
            found.append((label, reverse(url), ""))
        except NoReverseMatch:  # a section still being built (tests/test_backoffice_nav.py)
            continue
    entries = nav_entries(get_registry(), "operator", enabled=enabled_module_keys(tenant))
    for item in entries:
        href = item.entry.url if item.entry.is_path else reverse(item.entry.url)
        found.append((item.entry.label, href, item.module_key))
    # One link is current: the longest that leads to this page ("/operator/gigs/qc/" is Gig
    # QC's, not also Gig orders' at "/operator/gigs/").
    current = current_href(request.path, (href for _, href, _ in found), home="/operator")
    return [OperatorLink(label, href, href == current, module) for label, href, module in found]
