"""Outbox consumers of subscriptions (idempotent, like every consumer)."""

from __future__ import annotations

from typing import Any

from core.events import consumer
from core.subscriptions.services.paid_orders import on_order_paid
from core.subscriptions.services.refunds import end_refunded_subscriptions


@consumer("order.paid")
def start_or_renew(payload: dict[str, Any]) -> None:
    """A paid checkout with recurring lines starts subscriptions; a paid renewal or upgrade
    order applies to its subscription. Orders without a recurring line cost no query."""
    if any(line.get("recurring_price_id") for line in payload.get("lines", [])):
        on_order_paid(order_id=int(payload["order_id"]))


@consumer("refund.created")
def end_refunded(payload: dict[str, Any]) -> None:
    """A refund that revoked the line paying for the current period ends the subscription."""
    revoked = [int(pk) for pk in payload.get("revoked_line_ids", [])]
    if revoked:
        end_refunded_subscriptions(revoked_line_ids=revoked)
