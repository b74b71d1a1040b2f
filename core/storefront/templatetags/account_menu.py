"""``{% account_menu as menu %}``: the links of the header's account menu for whoever is
signed in on this marketplace (none for guests and on the platform host).

Everyone gets their profile and orders (and the module pages of the account area, e.g.
licences, from ``{% module_nav "account" %}`` in the template); sellers and teammates the
studio; operators the back-office; a platform support agent in a support session the way back
to the console. One query at most (is the user part of a seller?, none on a studio page),
none for guests."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.template import Context
from django.urls import reverse

from core.accounts.models import User
from core.accounts.services.login_handoff import SUPPORT_SESSION_KEY
from core.conversations.selectors import unread_total_expression
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller

register = template.Library()


@dataclass(frozen=True)
class MenuLink:
    label: str
    href: str
    key: str
    is_current: bool = False


@dataclass(frozen=True)
class AccountMenu:
    first: list[MenuLink]  # the user's own pages, before the modules' account pages
    work: list[MenuLink]  # where they run something: studio, back-office, console
    name: str


def _is_in_seller_and_unread(request: HttpRequest, user: User) -> tuple[bool, int | None]:
    """Owner or teammate of a seller, and unread messages: a studio page's guard already said
    the first (no query, and the studio shows its own messages); elsewhere one query asks
    both (an ``EXISTS`` and the indexed unread SUM)."""
    try:
        authorised_seller(request)
    except RuntimeError:  # not a studio page
        is_in_seller = Exists(
            Seller.objects.filter(Q(owner=OuterRef("pk")) | Q(members__user=OuterRef("pk")))
        )
        row = (
            User.objects.filter(pk=user.pk)
            .values_list(is_in_seller, unread_total_expression(OuterRef("pk")))
            .first()
        )
        return (bool(row[0]), int(row[1])) if row else (False, 0)
    return True, None


def console_url(request: HttpRequest, tenant_id: int) -> str:
    """The tenant's page in the platform console, on the platform host (same scheme and
    port as this request, so it also works on a dev server)."""
    port = request.get_port()
    default_port = "443" if request.is_secure() else "80"
    host = (
        settings.PLATFORM_DOMAIN if port == default_port else f"{settings.PLATFORM_DOMAIN}:{port}"
    )
    return f"{request.scheme}://{host}/console/tenants/tenant/{tenant_id}/change/"


def _link(request: HttpRequest, label: str, href: str, key: str) -> MenuLink:
    path = href.split("?", 1)[0]
    is_current = request.path == path or (path not in ("/",) and request.path.startswith(path))
    return MenuLink(label, href, key, is_current)


MEMO_ATTR = "_souk_account_menu"


@register.simple_tag(takes_context=True)
def account_menu(context: Context) -> AccountMenu | None:
    """Built once per request (the header and the account pages' own nav both ask)."""
    request: HttpRequest | None = context.get("request")
    if request is None:
        return None
    if not hasattr(request, MEMO_ATTR):
        setattr(request, MEMO_ATTR, _build(request))
    menu: AccountMenu | None = getattr(request, MEMO_ATTR)
    return menu


def _build(request: HttpRequest) -> AccountMenu | None:
    tenant = getattr(request, "tenant", None)
    if tenant is None or getattr(tenant, "is_platform", True):
        return None
    user = request.user
    if not isinstance(user, User):
        return None
    is_in_seller, unread = (
        (False, None) if user.is_support_agent else _is_in_seller_and_unread(request, user)
    )
    first = [
        _link(request, "Profile", reverse("accounts:profile"), "profile"),
        _link(request, "Orders", reverse("commerce:orders"), "orders"),
        _link(
            request,
            f"Messages ({unread})" if unread else "Messages",
            reverse("conversations:inbox"),
            "messages",
        ),
    ]
    work: list[MenuLink] = []
    if user.is_operator:
        work.append(_link(request, "Back-office", reverse("operator:dashboard"), "operator"))
    if user.is_support_agent and request.session.get(SUPPORT_SESSION_KEY):
        work.append(MenuLink("Back to the console", console_url(request, tenant.pk), "console"))
    if not user.is_support_agent and is_in_seller:
        work.append(_link(request, "Studio", "/studio/", "studio"))
    return AccountMenu(first=first, work=work, name=user.full_name or user.email)


@register.filter
def has_link(menu: AccountMenu | None, key: str) -> bool:
    """``{% if menu|has_link:"studio" %}``."""
    return menu is not None and any(link.key == key for link in (*menu.first, *menu.work))
