"""A gig on the storefront's product page (``/p/<slug>/``): the package chooser in the buy
box (packages side by side, extras as checkboxes, a total kept by a small script) and the
FAQ; "Continue" posts to ``continue_to_checkout``, which prices the choice through the quotes
service, puts the offer in the buyer's cart and sends the buyer to checkout.

A refused choice (a package gone, an extra of another gig, an offer the cart will not take)
comes back to the product page with the buyer's choice kept and the error beside its field:
the choice and the error wait in the session for the next render of that gig's page. A
signed-out buyer is sent to sign in and comes back to the page with the choice made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.accounts.models import User
from core.catalog.models import Product
from core.catalog.selectors import visible_products
from core.commerce.services import cart as carts
from core.errors import DomainError, ErrorKind
from core.money import CURRENCY_EXPONENTS, Money
from core.registry.panels import ProductPanel
from modules.gigs.errors import GigsErrorCode, invalid
from modules.gigs.models import TIERS, GigExtra, GigFaq, GigPackage
from modules.gigs.services import quotes
from modules.gigs.services.listing import GIG

SESSION_KEY = "gigs_quote_refused"  # {"product": id, "tier", "extra_ids", "field", "message"}
DEFAULT_TIER = "standard"  # preselected where the gig has it: the usual middle choice


@dataclass(frozen=True)
class Choice:
    """What the chooser shows as chosen."""

    tier: str
    extra_ids: frozenset[int]
    field: str = ""  # the refused field ("tier", "extra_ids", ...) or ""
    message: str = ""


def _money(amount: int, currency: str) -> str:
    return str(Money(amount, currency))


def _revisions(value: int | None) -> str:
    return "Unlimited" if value is None else str(value)


def _int_list(values: list[str]) -> list[int]:
    return [int(value) for value in values if value.isdigit()][:50]


def _choice(request: HttpRequest, product: Any, tiers: list[str]) -> Choice:
    """A refused choice waiting for this gig's page, else the one in the address (a signed-out
    buyer's, after signing in), else the default package with no extras."""
    refused = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if isinstance(refused, dict) and refused.get("product") == product.pk:
        del request.session[SESSION_KEY]
        return Choice(
            tier=str(refused.get("tier", "")),
            extra_ids=frozenset(int(pk) for pk in refused.get("extra_ids", [])),
            field=str(refused.get("field", "")),
            message=str(refused.get("message", "")),
        )
    tier = request.GET.get("package", "")
    if tier not in tiers:
        tier = DEFAULT_TIER if DEFAULT_TIER in tiers else (tiers[0] if tiers else "")
    return Choice(tier=tier, extra_ids=frozenset(_int_list(request.GET.getlist("extra"))))


def _package_row(package: GigPackage, choice: Choice) -> dict[str, Any]:
    return {
        "tier": package.tier,
        "title": package.title,
        "description": package.description,
        "price": package.price,
        "price_display": _money(package.price, package.currency),
        "delivery_days": package.delivery_days,
        "revisions_display": _revisions(package.revisions),
        "features": list(package.features),
        "checklist": list(package.checklist),
        "is_chosen": package.tier == choice.tier,
    }


def _days_change(extra: dict[str, Any]) -> int:
    """Extra-fast delivery takes its days off; an add-on adds its days (as orders count)."""
    return -extra["days"] if extra["kind"] == "fast_delivery" else int(extra["days"])


def _extra_row(extra: GigExtra, choice: Choice) -> dict[str, Any]:
    return {
        "id": extra.pk,
        "kind": extra.kind,
        "title": extra.title,
        "price": extra.price,
        "price_display": _money(extra.price, extra.currency),
        "days": extra.days,
        "revisions": extra.revisions,
        "is_chosen": extra.pk in choice.extra_ids,
    }


def _compare_rows(packages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The comparison table's rows: delivery, revisions, then every feature any package
    includes (True/False per package), in the order the packages list them."""
    features: list[str] = []
    for package in packages:
        features.extend(f for f in package["features"] if f not in features)
    return [
        {"label": "Delivery", "cells": [f"{p['delivery_days']} days" for p in packages]},
        {"label": "Revisions", "cells": [p["revisions_display"] for p in packages]},
        *(
            {"label": feature, "cells": [feature in p["features"] for p in packages]}
            for feature in features
        ),
    ]


def product_panel(request: HttpRequest, product: Any) -> ProductPanel | None:
    """The chooser and the FAQ of a gig with packages (a gig without any keeps the page's
    default buy box). Three small queries: packages, extras, FAQ."""
    packages = list(GigPackage.objects.filter(product_id=product.pk))
    if not packages:
        return None
    packages.sort(key=lambda package: TIERS.index(package.tier))
    extras = list(GigExtra.objects.filter(product_id=product.pk))
    faq = list(GigFaq.objects.filter(product_id=product.pk))
    choice = _choice(request, product, [package.tier for package in packages])
    package_rows = [_package_row(package, choice) for package in packages]
    extra_rows = [_extra_row(extra, choice) for extra in extras]
    chosen = next((row for row in package_rows if row["is_chosen"]), None)
    total = (chosen["price"] if chosen else 0) + sum(
        row["price"] for row in extra_rows if row["is_chosen"]
    )
    days = (chosen["delivery_days"] if chosen else 0) + sum(
        _days_change(row) for row in extra_rows if row["is_chosen"]
    )
    currency = packages[0].currency
    context = {
        "product": product,
        "packages": package_rows,
        "extras": extra_rows,
        "compare_rows": _compare_rows(package_rows),
        "faq": faq,
        "choice": choice,
        "currency": currency,
        "exponent": CURRENCY_EXPONENTS.get(currency, 2),
        "total": total,
        "total_display": _money(total, currency) if chosen else "",
        "delivery_days": max(1, days) if chosen else 0,
        "action": reverse("gigs:continue", kwargs={"slug": product.slug}),
        "is_signed_in": isinstance(getattr(request, "user", None), User),
    }
    return ProductPanel(
        buy_box=render_to_string("gigs/_product_chooser.html", context, request=request),
        sections=render_to_string("gigs/_product_sections.html", context, request=request),
    )


def _back_to_page(product: Product, tier: str, extra_ids: list[int]) -> str:
    query = urlencode([("package", tier), *(("extra", str(pk)) for pk in extra_ids)])
    return f"/p/{product.slug}/?{query}#gig-chooser"


def _refuse(
    request: HttpRequest, product: Product, tier: str, extra_ids: list[int], error: DomainError
) -> HttpResponse:
    """Back to the page, the choice kept, the error beside its field."""
    request.session[SESSION_KEY] = {
        "product": product.pk,
        "tier": tier,
        "extra_ids": extra_ids,
        "field": str((error.details or {}).get("field", "")),
        "message": error.message,
    }
    return HttpResponseRedirect(f"/p/{product.slug}/#gig-chooser")


@never_cache
@require_POST
def continue_to_checkout(request: HttpRequest, slug: str) -> HttpResponse:
    """Price the chosen package and extras (a quote: a custom offer to the buyer), put the
    offer in the buyer's cart and go to checkout. Where the module is off, the registry's
    guard answers 404 before this runs; a gig of another marketplace is not found here."""
    # What the product page shows: published, of an active and verified seller.
    product = visible_products().filter(slug=slug, product_type=GIG).first()
    if product is None:
        raise Http404("No such gig")
    tier = request.POST.get("package", "")
    raw_extras = request.POST.getlist("extra")
    extra_ids = _int_list(raw_extras)
    if len(extra_ids) != len(raw_extras):
        message = "Choose extras from this gig's list."
        error = invalid(GigsErrorCode.INVALID_QUOTE, "extra_ids", message)
        return _refuse(request, product, tier, extra_ids, error)
    user = request.user
    if not isinstance(user, User):
        back = _back_to_page(product, tier, extra_ids)
        return HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode({'next': back})}")
    try:
        with transaction.atomic():  # an offer the cart refuses is not left behind
            quote = quotes.create_quote(
                buyer=user, product_id=product.pk, tier=tier, extra_ids=extra_ids
            )
            cart = carts.get_or_create_cart(buyer=user, token=None)
            carts.add_offer(cart=cart, buyer=user, offer_id=quote.offer_id)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        return _refuse(request, product, tier, extra_ids, error)
    return HttpResponseRedirect(reverse("commerce:checkout"))
