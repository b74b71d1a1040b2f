"""Outbox consumers: a paid order completes its products' checkouts (counted once per order),
and the money events refresh the sellers' cached dashboards."""

from __future__ import annotations

from typing import Any

from core.analytics import counters, sales
from core.events import consumer
from core.studio.dashboard.cache import bump_sellers


@consumer("order.paid")
def copy_paid_order(payload: dict[str, Any]) -> None:
    sales.copy_paid_order(order_id=int(payload["order_id"]))


@consumer("refund.created")
def copy_refund(payload: dict[str, Any]) -> None:
    sales.copy_refund(refund_id=int(payload["refund_id"]))


@consumer("order.paid")
def count_completed_checkout(payload: dict[str, Any]) -> None:
    lines = payload.get("lines", [])
    counters.record_checkout_completed(
        order_id=int(payload["order_id"]),
        product_ids=[int(line["product_id"]) for line in lines if line.get("product_id")],
    )
    bump_sellers(int(sub["seller_id"]) for sub in payload.get("sub_orders", []))


@consumer("refund.created")
@consumer("escrow.released")
@consumer("order.disputed")
@consumer("order.dispute_closed")
def refresh_dashboards_of_order(payload: dict[str, Any]) -> None:
    from core.commerce.models import SubOrder

    bump_sellers(
        SubOrder.objects.filter(order_id=int(payload["order_id"])).values_list(
            "seller_id", flat=True
        )
    )
