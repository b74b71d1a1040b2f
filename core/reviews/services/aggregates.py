"""Product and seller rating aggregates: integer counts and star totals that only published
reviews feed. Shifted with F() expressions in the caller's transaction, so concurrent reviews
never lose an update; the catalogue (cached pages, search facets and sorting) follows."""

from __future__ import annotations

from django.db.models import F

from core.catalog.models import Product
from core.catalog.services.products import products_changed
from core.reviews.models import Review
from core.sellers.models import Seller


def shift_ratings(*, review: Review, count: int, total: int) -> None:
    """Add ``count`` reviews worth ``total`` stars (negative to take them away) to the
    review's product and seller."""
    if not count and not total:
        return
    Product.objects.filter(pk=review.product_id).update(
        rating_count=F("rating_count") + count, rating_total=F("rating_total") + total
    )
    Seller.objects.filter(pk=review.seller_id).update(
        rating_count=F("rating_count") + count, rating_total=F("rating_total") + total
    )
    # Re-index the product (rating facets and sort) and drop cached catalogue answers.
    products_changed([review.product_id])


def count_in(review: Review) -> None:
    shift_ratings(review=review, count=1, total=review.rating)


def count_out(review: Review) -> None:
    shift_ratings(review=review, count=-1, total=-review.rating)
