"""Reads shared by the API and the pages. Everything is in the current marketplace's schema,
so another marketplace's gigs and orders are out of reach by construction."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from core.accounts.models import User
from core.catalog.models import Category, Product, ProductStatus
from core.sellers.models import Seller
from modules.gigs.errors import GigsErrorCode, not_found
from modules.gigs.models import OPEN_STATUSES, GigDelivery, GigOrder
from modules.gigs.services.listing import GIG


def published_gig(product_id: int) -> Product:
    product = (
        Product.objects.filter(pk=product_id, product_type=GIG, status=ProductStatus.PUBLISHED)
        .prefetch_related("gig_packages", "gig_extras", "gig_questions", "gig_faqs")
        .first()
    )
    if product is None:
        raise not_found(GigsErrorCode.GIG_NOT_FOUND, "No such gig.")
    return product


def _with_work(orders: QuerySet[GigOrder]) -> QuerySet[GigOrder]:
    return orders.prefetch_related(
        Prefetch("deliveries", queryset=GigDelivery.objects.prefetch_related("files")),
        "revisions",
        "milestones",
        "addons",
        "feedback",
    )


def buyer_orders(buyer: User) -> QuerySet[GigOrder]:
    return GigOrder.objects.filter(buyer=buyer).order_by("-id")


def seller_queue(seller: Seller) -> QuerySet[GigOrder]:
    """Open orders first by due date (waiting-for-requirements ones last), then the rest."""
    return GigOrder.objects.filter(seller=seller, status__in=OPEN_STATUSES).order_by("due_at", "id")


def buyers_order_detail(buyer: User, order_id: int) -> GigOrder:
    order = _with_work(GigOrder.objects.filter(buyer=buyer, pk=order_id)).first()
    if order is None:
        raise not_found(GigsErrorCode.ORDER_NOT_FOUND, "No such gig order of yours.")
    return order


def sellers_order_detail(seller: Seller, order_id: int) -> GigOrder:
    order = _with_work(GigOrder.objects.filter(seller=seller, pk=order_id)).first()
    if order is None:
        raise not_found(GigsErrorCode.ORDER_NOT_FOUND, "No such gig order of yours.")
    return order


def category_slugs(product_id: int) -> set[str]:
    """The slugs of the product's category and its ancestors (empty without one)."""
    category_id = Product.objects.filter(pk=product_id).values_list("category_id", flat=True)
    path = Category.objects.filter(pk__in=category_id).values_list("path", flat=True).first()
    if not path:
        return set()
    ids = [int(part) for part in path.strip("/").split("/") if part]
    return set(Category.objects.filter(pk__in=ids).values_list("slug", flat=True))


def in_qc_categories(product_id: int, policy: dict[str, Any]) -> bool:
    """Whether the product sits in one of the policy's QC categories (or below one)."""
    slugs = set(policy.get("qc_category_slugs") or ())
    return bool(slugs) and not slugs.isdisjoint(category_slugs(product_id))
