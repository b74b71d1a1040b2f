"""Core's webhook events, from the outbox: a seller hears of their own sub-order and lines
(``order.paid``), refunds of their lines (``refund.created``) and subscriptions to their
products (``subscription.renewed``/``cancelled``) - never of another seller's. Modules send
their own events the same way (``emit_webhook``, ``webhook_publisher``).

Registered by importing this module in the app's ``ready()``. Idempotent: deliveries are one
per endpoint and event id."""

from __future__ import annotations

from typing import Any

from core.commerce.models import Order, OrderLine, SubOrder
from core.events import consumer

# Imported with the consumers so that workers register the tasks.
from core.integrations import tasks  # noqa: F401
from core.integrations.services.webhooks import webhook_publisher


def order_paid_audience(payload: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Each seller hears of their own sub-order and lines only."""
    order = Order.objects.filter(pk=payload["order_id"]).only("email", "billing_name").first()
    totals = {
        sub["pk"]: sub
        for sub in SubOrder.objects.filter(order_id=payload["order_id"]).values(
            "pk", "total", "seller_net"
        )
    }
    by_seller: dict[int, dict[str, Any]] = {}
    for sub in payload.get("sub_orders", []):
        amounts: dict[str, Any] = dict(totals.get(sub["id"], {}))
        by_seller[sub["seller_id"]] = {
            "order_id": payload["order_id"],
            "sub_order_id": sub["id"],
            "currency": payload.get("currency"),
            "total": amounts.get("total"),
            "seller_net": amounts.get("seller_net"),
            "subscription_id": payload.get("subscription_id"),
            "buyer": {
                "email": order.email if order else "",
                "name": order.billing_name if order else "",
            },
            "lines": [
                line for line in payload.get("lines", []) if line["seller_id"] == sub["seller_id"]
            ],
        }
    return by_seller


def refund_audience(payload: dict[str, Any]) -> dict[int, dict[str, Any]]:
    line_ids = [line["id"] for line in payload.get("lines", [])]
    seller_of = dict(
        OrderLine.objects.filter(pk__in=line_ids).values_list("pk", "sub_order__seller_id")
    )
    revoked = set(payload.get("revoked_line_ids", []))
    by_seller: dict[int, dict[str, Any]] = {}
    for line in payload.get("lines", []):
        seller_id = seller_of.get(line["id"])
        if seller_id is None:
            continue
        data = by_seller.setdefault(
            seller_id,
            {
                "refund_id": payload["refund_id"],
                "order_id": payload["order_id"],
                "currency": payload.get("currency"),
                "amount": 0,
                "lines": [],
                "revoked_line_ids": [],
            },
        )
        data["amount"] += line["amount"]
        data["lines"].append(line)
        if line["id"] in revoked:
            data["revoked_line_ids"].append(line["id"])
    return by_seller


def seller_audience(payload: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The event names its seller (``seller_id``), who hears all of it."""
    seller_id = payload.get("seller_id")
    return {} if seller_id is None else {int(seller_id): dict(payload)}


for _event, _audience in {
    "order.paid": order_paid_audience,
    "refund.created": refund_audience,
    "subscription.renewed": seller_audience,
    "subscription.cancelled": seller_audience,
}.items():
    consumer(_event)(webhook_publisher(_event, _audience))
