"""A buyer's choice of a gig's package and extras, priced as a commerce custom offer from
the gig's seller to the buyer: the buyer puts the offer in the cart (``POST /cart/offers``)
and pays through the one checkout, so escrow, refunds and the ledger stay commerce's. The
quote keeps the package and extras as priced; fulfilment reads them back from it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from core.catalog.models import Product, ProductStatus
from core.commerce.services.offers import create_offer
from modules.gigs.errors import GigsErrorCode, invalid, not_found
from modules.gigs.models import GigExtra, GigPackage, GigQuote
from modules.gigs.services.listing import GIG

QUOTE_HOURS = 24  # how long the priced offer stays open


def package_snapshot(package: GigPackage) -> dict[str, Any]:
    return {
        "tier": package.tier,
        "title": package.title,
        "price": package.price,
        "currency": package.currency,
        "delivery_days": package.delivery_days,
        "revisions": package.revisions,
        "features": list(package.features),
        "checklist": list(package.checklist),
    }


def extra_snapshot(extra: GigExtra) -> dict[str, Any]:
    return {
        "id": extra.pk,
        "kind": extra.kind,
        "title": extra.title,
        "price": extra.price,
        "days": extra.days,
        "revisions": extra.revisions,
    }


@transaction.atomic
def create_quote(*, buyer: User, product_id: int, tier: str, extra_ids: list[int]) -> GigQuote:
    product = (
        Product.objects.select_related("seller")
        .filter(pk=product_id, product_type=GIG, status=ProductStatus.PUBLISHED)
        .first()
    )
    if product is None:
        raise not_found(GigsErrorCode.GIG_NOT_FOUND, "No such gig.")
    package = GigPackage.objects.filter(product=product, tier=tier).first()
    if package is None:
        raise invalid(GigsErrorCode.INVALID_QUOTE, "tier", "This gig has no such package.")
    if len(set(extra_ids)) != len(extra_ids):
        raise invalid(GigsErrorCode.INVALID_QUOTE, "extra_ids", "Each extra once.")
    extras = list(GigExtra.objects.filter(product=product, pk__in=extra_ids).order_by("position"))
    if len(extras) != len(extra_ids):
        raise invalid(GigsErrorCode.INVALID_QUOTE, "extra_ids", "This gig has no such extra.")
    amount = package.price + sum(extra.price for extra in extras)
    names = ", ".join(extra.title for extra in extras)
    offer = create_offer(
        seller=product.seller,
        buyer_email=buyer.email,
        product_id=product.pk,
        variant_id=None,
        title=f"{product.name}: {package.title}"[:160],
        description=f"With {names}" if names else "",
        amount=amount,
        currency=package.currency,
        quantity=1,
        expires_at=timezone.now() + timedelta(hours=QUOTE_HOURS),
    )
    return GigQuote.objects.create(
        offer=offer,
        product=product,
        buyer=buyer,
        package=package_snapshot(package),
        extras=[extra_snapshot(extra) for extra in extras],
    )
