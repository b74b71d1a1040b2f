"""Subscriptions and recurring prices as the API shows them (plain dicts, so a stored
idempotent answer is exactly what was sent)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.commerce.models import RecurringPrice
from core.commerce.presenters import money
from core.subscriptions.models import Subscription, SubscriptionEvent


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def price_dict(price: RecurringPrice) -> dict[str, Any]:
    return {
        "id": price.pk,
        "product_id": price.product_id,
        "variant_id": price.variant_id,
        "interval": price.interval,
        "interval_count": price.interval_count,
        "amount": money(price.amount, price.currency),
        "trial_days": price.trial_days,
        "is_active": price.is_active,
    }


def subscription_dict(
    subscription: Subscription,
    *,
    with_buyer: bool = False,
    events: list[SubscriptionEvent] | None = None,
) -> dict[str, Any]:
    method = subscription.payment_method
    data: dict[str, Any] = {
        "id": subscription.pk,
        "status": subscription.status,
        "product": {
            "id": subscription.product_id,
            "name": subscription.product.name,
            "slug": subscription.product.slug,
        },
        "variant_id": subscription.variant_id,
        "plan": price_dict(subscription.recurring_price),
        "scheduled_plan": (
            price_dict(subscription.scheduled_price) if subscription.scheduled_price else None
        ),
        "current_period_start": _when(subscription.current_period_start),
        "current_period_end": _when(subscription.current_period_end),
        "trial_end": _when(subscription.trial_end),
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "cancelled_at": _when(subscription.cancelled_at),
        "cancel_reason": subscription.cancel_reason,
        "failed_attempts": subscription.failed_attempts,
        "next_attempt_at": _when(subscription.next_attempt_at),
        "payment_method": None
        if method is None
        else {"id": method.pk, "brand": method.brand, "last4": method.last4},
        "first_order_id": subscription.first_order_line.order_id,
        "created_at": _when(subscription.created_at),
    }
    if with_buyer:
        data["buyer"] = {"id": subscription.buyer_id, "email": subscription.buyer.email}
    if events is not None:
        data["history"] = [
            {
                "kind": event.kind,
                "actor": event.actor_label,
                "order_id": event.order_id,
                "note": event.note,
                "at": _when(event.created_at),
            }
            for event in events
        ]
    return data
