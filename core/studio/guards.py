"""The studio's one guard. ``studio_page("studio:orders")`` lets through the seller's owner,
or a teammate who may open that section (``core.studio.nav.SECTIONS``), so the navigation
and the pages agree on who sees what; anyone else gets the 403 page naming what is missing.
Views read the seller with ``core.sellers.auth.authorised_seller(request)``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.accounts.views import signed_in_user
from core.sellers.auth import remember_authorised_seller
from core.sellers.errors import SellerError
from core.sellers.models import TeamPermission
from core.sellers.permissions import held_permissions
from core.sellers.selectors import acting_seller_holding
from core.sellers.views import seller_page
from core.studio.nav import SECTIONS, StudioSection

P = ParamSpec("P")
View = Callable[Concatenate[HttpRequest, P], HttpResponse]


def section_named(url: str) -> StudioSection:
    for section in SECTIONS:
        if section.url == url:
            return section
    raise LookupError(f"no studio section {url!r} in core.studio.nav.SECTIONS")


def _refusal(section: StudioSection) -> str:
    if section.is_owner_only:
        return f"Only the shop's owner can open {section.label}."
    labels = dict(TeamPermission.choices)
    needed = [section.permission] if section.permission else list(section.any_of)
    named = " or ".join(f"“{labels.get(code, code)}”" for code in needed)
    return f"{section.label} needs the team permission {named}. Ask the shop's owner."


def studio_page(section_url: str) -> Callable[[View[P]], View[P]]:
    section = section_named(section_url)

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        def guarded(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            user = signed_in_user(request)
            try:
                seller = acting_seller_holding(user, ())
            except SellerError as error:
                return render(request, "errors/403.html", {"message": error.message}, status=403)
            held = held_permissions(user, seller)
            if not section.is_open_to(held, is_owner=seller.owner_id == user.pk):
                return render(
                    request, "errors/403.html", {"message": _refusal(section)}, status=403
                )
            remember_authorised_seller(request, seller)
            return view(request, *args, **kwargs)

        return seller_page(guarded)

    return decorate
