"""What a buyer already has and would not buy again: products of their live order lines whose
type delivers something kept (a download, a course enrolment, a licence). Services (a gig, a
consultation) are bought again, so they stay recommendable. Cached per buyer; the
``order.paid`` consumer forgets the entry when the buyer buys."""

from __future__ import annotations

from django.core.cache import cache

from core.commerce.models import LineStatus, OrderLine
from core.registry import get_registry

KEPT_DELIVERIES = frozenset({"download", "enrolment", "licence"})
LIVE_LINE_STATUSES = (LineStatus.FULFILLING, LineStatus.FULFILLED, LineStatus.COMPLETED)
OWNED_CACHE_SECONDS = 300


def _key(buyer_id: int) -> str:
    return f"reco:owned:{buyer_id}"


def kept_product_types() -> list[str]:
    return sorted(
        spec.key
        for manifest in get_registry()
        for spec in manifest.product_types
        if spec.delivers in KEPT_DELIVERIES
    )


def owned_product_ids(buyer_id: int) -> frozenset[int]:
    cached: frozenset[int] | None = cache.get(_key(buyer_id))
    if cached is not None:
        return cached
    owned = frozenset(
        OrderLine.objects.filter(
            order__buyer_id=buyer_id,
            status__in=LIVE_LINE_STATUSES,
            product_type__in=kept_product_types(),
        ).values_list("product_id", flat=True)
    )
    cache.set(_key(buyer_id), owned, OWNED_CACHE_SECONDS)
    return owned


def forget_owned(buyer_id: int) -> None:
    cache.delete(_key(buyer_id))
