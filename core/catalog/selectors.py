"""Reads of the catalogue shared by the API, pages and search."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from core.catalog.models import Product, ProductImage, ProductPrice, ProductStatus
from core.registry.enablement import sellable_product_types
from core.sellers.models import SellerStatus, VerificationStatus


def visible_products() -> QuerySet[Product]:
    """What buyers may see: published, by a verified and active seller, of a type that a
    module enabled on this marketplace sells."""
    return Product.objects.filter(
        status=ProductStatus.PUBLISHED,
        seller__status=SellerStatus.ACTIVE,
        seller__verification_status=VerificationStatus.VERIFIED,
        product_type__in=sorted(sellable_product_types()),
    )


def with_card_data(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Everything a product card or list item shows, in a fixed number of queries (and not the
    columns a card never shows: the long texts)."""
    return (
        queryset.defer("description", "features", "tags")
        .select_related("seller", "category")
        .prefetch_related(
            Prefetch("prices", queryset=ProductPrice.objects.filter(variant__isnull=True)),
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")),
        )
    )


def with_detail_data(queryset: QuerySet[Product]) -> QuerySet[Product]:
    return queryset.select_related("seller", "category").prefetch_related(
        "prices", "variants__prices", "images"
    )
