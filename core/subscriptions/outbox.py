"""The domain events subscriptions emit through the outbox (the licensing module consumes
them to grant, extend, suspend and end access). Every payload names the subscription, its
buyer, seller, product and plan, the line that started it and the current period; events
caused by an order also carry ``order_id`` and ``order_line_id``."""

from __future__ import annotations

from core import events
from core.subscriptions.models import Subscription

CREATED = "subscription.created"
RENEWED = "subscription.renewed"
PAST_DUE = "subscription.past_due"
CANCELLED = "subscription.cancelled"
PLAN_CHANGED = "subscription.plan_changed"


def announce(event_type: str, subscription: Subscription, **extra: object) -> None:
    events.emit(
        event_type,
        {
            "subscription_id": subscription.pk,
            "buyer_id": subscription.buyer_id,
            "seller_id": subscription.seller_id,
            "product_id": subscription.product_id,
            "variant_id": subscription.variant_id,
            "recurring_price_id": subscription.recurring_price_id,
            "first_order_line_id": subscription.first_order_line_id,
            "status": subscription.status,
            "current_period_start": subscription.current_period_start.isoformat(),
            "current_period_end": subscription.current_period_end.isoformat(),
            "cancel_at_period_end": subscription.cancel_at_period_end,
            **extra,
        },
    )
