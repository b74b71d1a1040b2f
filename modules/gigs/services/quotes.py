"""A buyer's choice of a gig's package and extras, priced as a commerce custom offer from
the gig's seller to the buyer: the buyer puts the offer in the cart (``POST /cart/offers``)
and pays through the one checkout, so escrow, refunds and the ledger stay commerce's. The
quote keeps the package and extras as priced; fulfilment reads them back from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from core.catalog.models import Product, ProductStatus
from core.commerce.services.offers import create_offer
from core.sellers.models import Seller
from modules.gigs.errors import GigsErrorCode, invalid, not_found
from modules.gigs.models import GigExtra, GigPackage, GigQuote
from modules.gigs.services.listing import GIG
from tenants.selectors import current_tenant_row

QUOTE_HOURS = 24  # how long the priced offer stays open
OFFER_DAYS = 14  # how long a seller's milestone offer stays open
MIN_MILESTONES = 2
MAX_MILESTONES = 10
MAX_TOTAL = 100_000_000  # minor units


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


@dataclass(frozen=True)
class OfferMilestone:
    """One milestone of a seller's custom offer: its own price (minor units), funded in
    escrow by the buyer before its work starts."""

    title: str
    amount: int
    days: int
    description: str = ""


def _clean_milestones(milestones: list[OfferMilestone]) -> list[dict[str, Any]]:
    code = GigsErrorCode.INVALID_QUOTE
    if not MIN_MILESTONES <= len(milestones) <= MAX_MILESTONES:
        raise invalid(code, "milestones", f"Plan {MIN_MILESTONES}-{MAX_MILESTONES} milestones.")
    rows: list[dict[str, Any]] = []
    for index, data in enumerate(milestones):
        where = f"milestones[{index}]"
        title = data.title.strip()
        if not title or len(title) > 120:
            raise invalid(code, f"{where}.title", "Give the milestone a title (1-120).")
        if not 1 <= data.amount <= MAX_TOTAL:
            raise invalid(code, f"{where}.amount", "A milestone costs something (minor units).")
        if not 1 <= data.days <= 365:
            raise invalid(code, f"{where}.days", "A milestone takes 1-365 days.")
        if len(data.description) > 2000:
            raise invalid(code, f"{where}.description", "At most 2000 characters.")
        rows.append(
            {
                "title": title,
                "description": data.description.strip(),
                "amount": data.amount,
                "days": data.days,
            }
        )
    if sum(int(row["amount"]) for row in rows) > MAX_TOTAL:
        raise invalid(code, "milestones", "The offer's total is too large.")
    return rows


@transaction.atomic
def create_milestone_offer(
    *,
    seller: Seller,
    product_id: int,
    buyer_email: str,
    title: str,
    description: str,
    milestones: list[OfferMilestone],
    revisions: int | None = 1,
) -> GigQuote:
    """The seller's custom offer for one of their gigs, in milestones whose amounts add up
    to the offer's total. The commerce offer the buyer pays at checkout is the first
    milestone; each later one is funded by the buyer as its own payment (``fund_milestone``)
    and held in escrow until that milestone is accepted."""
    product = Product.objects.filter(pk=product_id, seller=seller, product_type=GIG).first()
    if product is None:
        raise not_found(GigsErrorCode.GIG_NOT_FOUND, "No such gig of yours.")
    title = title.strip()
    if not title or len(title) > 120:
        raise invalid(GigsErrorCode.INVALID_QUOTE, "title", "Give the offer a title (1-120).")
    if len(description) > 2000:
        raise invalid(GigsErrorCode.INVALID_QUOTE, "description", "At most 2000 characters.")
    if revisions is not None and not 0 <= revisions <= 20:
        raise invalid(GigsErrorCode.INVALID_QUOTE, "revisions", "0-20 revisions, or unlimited.")
    rows = _clean_milestones(milestones)
    package = GigPackage.objects.filter(product=product).order_by("price").first()
    tenant = current_tenant_row()
    currency = package.currency if package is not None else (tenant.currency if tenant else "USD")
    checklist = list(package.checklist) if package is not None else []
    total = sum(row["amount"] for row in rows)
    offer = create_offer(
        seller=seller,
        buyer_email=buyer_email,
        product_id=product.pk,
        variant_id=None,
        title=f"{title}: milestone 1 of {len(rows)}"[:160],
        description=description.strip()[:4000],
        amount=rows[0]["amount"],
        currency=currency,
        quantity=1,
        expires_at=timezone.now() + timedelta(days=OFFER_DAYS),
    )
    return GigQuote.objects.create(
        offer=offer,
        product=product,
        buyer_id=offer.buyer_id,
        package={
            "tier": "custom",
            "title": title,
            "description": description.strip(),
            "price": total,
            "currency": currency,
            "delivery_days": min(sum(row["days"] for row in rows), 365),
            "revisions": revisions,
            "features": [],
            "checklist": checklist,
            "milestones": rows,
        },
        extras=[],
    )
