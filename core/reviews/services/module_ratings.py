"""Ratings a module adds to a seller's core rating (``Seller.rating_count``/``rating_total``,
which the seller profile and search read), besides the product reviews that feed it.

A module counts a rating once it may be seen (a gig's delivery feedback after its blind
period) and removes it if what was rated goes away. Both are idempotent: the rating is a
``ModuleRating`` row unique on ``(source, key)``, inserted or deleted in the caller's
transaction with the seller's aggregate shifted by F() expressions in the same one."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from core.reviews.models import MAX_RATING, MIN_RATING, ModuleRating
from core.sellers.models import Seller


def _shift(seller_id: int, *, count: int, total: int) -> None:
    Seller.objects.filter(pk=seller_id).update(
        rating_count=F("rating_count") + count, rating_total=F("rating_total") + total
    )


@transaction.atomic
def count_module_rating(*, source: str, key: str, seller_id: int, stars: int) -> bool:
    """Count ``stars`` (1-5) in the seller's rating; False (and nothing changes) if this
    ``(source, key)`` was counted before."""
    if not MIN_RATING <= stars <= MAX_RATING:
        raise ValueError(f"stars must be {MIN_RATING}-{MAX_RATING}, not {stars}")
    _, created = ModuleRating.objects.get_or_create(
        source=source, key=key, defaults={"seller_id": seller_id, "stars": stars}
    )
    if created:
        _shift(seller_id, count=1, total=stars)
    return created


@transaction.atomic
def remove_module_rating(*, source: str, key: str) -> bool:
    """Take a counted rating out of its seller's rating; False if it was not counted."""
    rating = ModuleRating.objects.select_for_update().filter(source=source, key=key).first()
    if rating is None:
        return False
    rating.delete()
    _shift(rating.seller_id, count=-1, total=-rating.stars)
    return True
