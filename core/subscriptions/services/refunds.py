"""A refund that revokes the line paying for the current period (or the trial) ends the
subscription at once: the buyer has their money back and the module has taken access away,
so renewing would charge for something the marketplace just undid. Partial refunds (a
goodwill credit) revoke nothing and change nothing here; neither does refunding a period
that is already over."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.commerce.models import OrderLine
from core.subscriptions.models import (
    CancelReason,
    Subscription,
    SubscriptionOrder,
    SubscriptionOrderKind,
    SubscriptionStatus,
)
from core.subscriptions.services.cancel import end_subscription

ACTOR = "system:refund"


def _paying_for_current_period(line: OrderLine) -> int | None:
    """The live subscription whose current period ``line`` paid for, if any."""
    if line.order.subscription_id is None:
        subscription = Subscription.objects.filter(first_order_line=line).first()
        if subscription is None:
            return None
        renewed = SubscriptionOrder.objects.filter(
            subscription=subscription,
            kind=SubscriptionOrderKind.RENEWAL,
            applied_at__isnull=False,
            period_start=subscription.current_period_start,
        ).exists()
        return None if renewed else subscription.pk
    link = (
        SubscriptionOrder.objects.filter(
            order_id=line.order_id, kind=SubscriptionOrderKind.RENEWAL, applied_at__isnull=False
        )
        .select_related("subscription")
        .first()
    )
    if link is None or link.period_start != link.subscription.current_period_start:
        return None
    return link.subscription_id


@transaction.atomic
def end_refunded_subscriptions(*, revoked_line_ids: list[int], now: datetime | None = None) -> int:
    now = now or timezone.now()
    lines = OrderLine.objects.filter(
        pk__in=revoked_line_ids, recurring_price__isnull=False
    ).select_related("order")
    subscription_ids = {pk for line in lines if (pk := _paying_for_current_period(line))}
    ended = 0
    for subscription in (
        Subscription.objects.select_for_update()
        .filter(pk__in=subscription_ids)
        .exclude(status=SubscriptionStatus.CANCELLED)
    ):
        end_subscription(subscription, at=now, reason=CancelReason.REFUNDED, actor_label=ACTOR)
        ended += 1
    return ended
