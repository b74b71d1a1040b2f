"""The subscription's history rows, written beside every change."""

from __future__ import annotations

from core.accounts.models import User
from core.subscriptions.models import Subscription, SubscriptionEvent, SubscriptionEventKind


def record(
    subscription: Subscription,
    kind: SubscriptionEventKind,
    *,
    actor_label: str,
    actor: User | None = None,
    order_id: int | None = None,
    note: str = "",
) -> SubscriptionEvent:
    return SubscriptionEvent.objects.create(
        subscription=subscription,
        kind=kind,
        actor=actor,
        actor_label=actor_label[:80],
        order_id=order_id,
        note=note[:300],
    )
