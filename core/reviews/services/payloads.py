"""The payload every ``review.*`` outbox event carries."""

from __future__ import annotations

from core.reviews.models import Review


def review_payload(review: Review) -> dict[str, int | str]:
    return {
        "review_id": review.pk,
        "order_line_id": review.order_line_id,
        "product_id": review.product_id,
        "seller_id": review.seller_id,
        "buyer_id": review.buyer_id,
        "rating": review.rating,
        "status": review.status,
    }
