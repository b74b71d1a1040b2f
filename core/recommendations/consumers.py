"""Outbox consumers: a paid order's purchases are counted once (a replayed event finds its
order recorded and counts nothing); changed products are embedded again when the optional
embeddings are on (an unchanged text is not)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core.events import consumer
from core.recommendations.embeddings import embeddings_enabled
from core.recommendations.services.embed_products import embed_products
from core.recommendations.services.record_purchases import record_paid_order


@consumer("order.paid")
def count_purchases(payload: dict[str, Any]) -> None:
    record_paid_order(
        order_id=int(payload["order_id"]),
        buyer_id=int(payload["buyer_id"]),
        product_ids=[int(line["product_id"]) for line in payload.get("lines", [])],
        paid_at=timezone.now(),
    )


@consumer("catalog.products_changed")
def embed_changed_products(payload: dict[str, Any]) -> None:
    if embeddings_enabled():
        embed_products(product_ids=[int(pk) for pk in payload.get("product_ids", [])])
