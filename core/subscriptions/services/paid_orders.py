"""What a paid order does to subscriptions (the ``order.paid`` consumer calls this; the renewal
beat calls it too when it finds a paid order whose event is still on its way). Both paths are
idempotent: a checkout line starts at most one subscription (its line is unique on the
subscription), and a subscription's order is applied once (``applied_at`` under the lock)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.commerce.models import Order, OrderLine
from core.subscriptions import outbox
from core.subscriptions.billing import period_end
from core.subscriptions.models import (
    Subscription,
    SubscriptionEventKind,
    SubscriptionOrder,
    SubscriptionOrderKind,
    SubscriptionStatus,
)
from core.subscriptions.services.history import record
from core.subscriptions.services.payment_methods import method_of_order

ACTOR = "system:order.paid"


def on_order_paid(*, order_id: int) -> None:
    order = Order.objects.get(pk=order_id)
    if order.subscription_id is None:
        start_subscriptions(order=order)
    else:
        apply_subscription_order(order_id=order.pk)


@transaction.atomic
def start_subscriptions(*, order: Order) -> list[Subscription]:
    """A subscription per recurring line of a checkout, from the moment it was paid: trialing
    until the trial's end when the price has trial days, else active for its first period."""
    lines = list(
        OrderLine.objects.filter(order=order, recurring_price__isnull=False)
        .exclude(Exists(Subscription.objects.filter(first_order_line=OuterRef("pk"))))
        .select_related("recurring_price", "sub_order")
        .order_by("id")
    )
    if not lines:
        return []
    started = order.paid_at or timezone.now()
    method = method_of_order(order)
    made = []
    for line in lines:
        price = line.recurring_price
        assert price is not None  # filtered above
        trial_end = started + timedelta(days=price.trial_days) if price.trial_days else None
        anchor = trial_end or started
        end = trial_end or period_end(started, price, anchor=anchor)
        subscription = Subscription.objects.create(
            buyer_id=order.buyer_id,
            seller_id=line.sub_order.seller_id,
            product_id=line.product_id,
            variant_id=line.variant_id,
            recurring_price=price,
            first_order_line=line,
            status=SubscriptionStatus.TRIALING if trial_end else SubscriptionStatus.ACTIVE,
            billing_anchor=anchor,
            current_period_start=started,
            current_period_end=end,
            trial_end=trial_end,
            payment_method=method,
            next_attempt_at=end,
        )
        record(subscription, SubscriptionEventKind.CREATED, actor_label=ACTOR, order_id=order.pk)
        outbox.announce(outbox.CREATED, subscription, order_id=order.pk, order_line_id=line.pk)
        made.append(subscription)
    return made


@transaction.atomic
def apply_subscription_order(*, order_id: int) -> bool:
    """A paid renewal extends the subscription to the period it paid for (active again, the
    dunning count cleared); a paid upgrade switches the plan. False when applied before."""
    link = SubscriptionOrder.objects.filter(order_id=order_id).first()
    if link is None:
        return False
    subscription = Subscription.objects.select_for_update().get(pk=link.subscription_id)
    link = (
        SubscriptionOrder.objects.select_for_update()
        .select_related("recurring_price")
        .get(pk=link.pk)
    )
    if link.applied_at is not None:
        return False
    link.applied_at = timezone.now()
    link.save(update_fields=["applied_at"])
    order = Order.objects.get(pk=order_id)
    if subscription.status == SubscriptionStatus.CANCELLED:
        # Paid in a race with the cancellation (an operator's, or dunning's last try): the
        # money is booked on the order, which an operator can refund.
        record(
            subscription,
            SubscriptionEventKind.PAID_AFTER_CANCEL,
            actor_label=ACTOR,
            order_id=order_id,
        )
        return False
    line_id = OrderLine.objects.filter(order_id=order_id).values_list("pk", flat=True).first()
    subscription.recurring_price = link.recurring_price
    subscription.variant_id = link.recurring_price.variant_id
    if subscription.scheduled_price_id == link.recurring_price.pk:
        subscription.scheduled_price = None
    if link.kind == SubscriptionOrderKind.RENEWAL:
        _extend(subscription, link, order)
        kind, event_type = SubscriptionEventKind.RENEWED, outbox.RENEWED
    else:
        subscription.scheduled_price = None  # the latest choice wins over a scheduled one
        subscription.save(update_fields=["recurring_price", "variant", "scheduled_price"])
        kind, event_type = SubscriptionEventKind.PLAN_CHANGED, outbox.PLAN_CHANGED
    record(subscription, kind, actor_label=ACTOR, order_id=order_id)
    outbox.announce(event_type, subscription, order_id=order_id, order_line_id=line_id)
    return True


def _extend(subscription: Subscription, link: SubscriptionOrder, order: Order) -> None:
    if link.period_end > subscription.current_period_end:
        subscription.current_period_start = link.period_start
        subscription.current_period_end = link.period_end
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.failed_attempts = 0
    subscription.next_attempt_at = subscription.current_period_end
    # A buyer who paid an overdue renewal with a new card renews with that card from now on.
    subscription.payment_method = method_of_order(order) or subscription.payment_method
    subscription.save()
