"""Switching a subscription to another recurring price of the same product.

- During a trial nothing has been paid: the switch is immediate and the trial's end charges
  the new price.
- An upgrade (a dearer price on the same billing cycle) takes effect when the prorated
  difference for the rest of the current period is paid: an order for it is placed and
  charged now with the saved method, the buyer present (3-D Secure may ask them to confirm
  at ``/orders/{id}/confirm``); its ``order.paid`` switches the plan. The period and the
  billing anchor stay. See ``billing`` for the arithmetic.
- A downgrade, or a change of billing interval, waits for the next renewal, which charges the
  new price for the new period. Nothing is refunded for the rest of the current one.
- The same price at the same cycle (another variant, say) switches at once for nothing.
- Choosing the current price again drops a scheduled change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from core.commerce.models import Order, OrderStatus, Payment, RecurringPrice
from core.commerce.services.payment_events import cancel_order
from core.commerce.services.renewals import charge_subscription_order, place_subscription_order
from core.errors import ErrorKind
from core.subscriptions import outbox
from core.subscriptions.billing import is_same_cycle, prorate_upgrade
from core.subscriptions.errors import (
    SubscriptionError,
    SubscriptionErrorCode,
    already_cancelled,
    field_error,
)
from core.subscriptions.models import (
    Subscription,
    SubscriptionEventKind,
    SubscriptionOrder,
    SubscriptionOrderKind,
    SubscriptionStatus,
)
from core.subscriptions.services.history import record


class PlanChangeKind(StrEnum):
    SWITCHED = "switched"  # in effect now, nothing to pay
    UPGRADE_ORDERED = "upgrade_ordered"  # in effect once the prorated order is paid
    SCHEDULED = "scheduled"  # in effect at the next renewal
    KEPT = "kept"  # a scheduled change was dropped


@dataclass(frozen=True)
class PlanChange:
    kind: PlanChangeKind
    subscription: Subscription
    order: Order | None = None
    payment: Payment | None = None


def change_plan(
    *,
    subscription: Subscription,
    recurring_price_id: int,
    actor: User,
    idempotency_key: str,
    now: datetime | None = None,
) -> PlanChange:
    now = now or timezone.now()
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        new_price = _new_price(locked, recurring_price_id)
        change = _decide(locked, new_price, actor=actor, key=idempotency_key, now=now)
    if change.kind != PlanChangeKind.UPGRADE_ORDERED or change.order is None:
        return change
    method = locked.payment_method
    assert method is not None  # checked by _decide
    payment = charge_subscription_order(
        order=change.order,
        payment_method=method.reference,
        is_off_session=False,
        actor_label="buyer",
    )
    locked.refresh_from_db()
    return PlanChange(change.kind, locked, change.order, payment)


def _new_price(subscription: Subscription, recurring_price_id: int) -> RecurringPrice:
    if subscription.status == SubscriptionStatus.CANCELLED:
        raise already_cancelled()
    if subscription.status == SubscriptionStatus.PAST_DUE:
        raise SubscriptionError(
            SubscriptionErrorCode.PAST_DUE,
            "Settle the overdue renewal before changing the plan.",
            kind=ErrorKind.CONFLICT,
        )
    price = RecurringPrice.objects.filter(
        pk=recurring_price_id, product_id=subscription.product_id, is_active=True
    ).first()
    if price is None:
        raise field_error(
            SubscriptionErrorCode.RECURRING_PRICE_NOT_FOUND,
            "recurring_price_id",
            "No such plan for this product.",
        )
    return price


def _decide(
    subscription: Subscription, new: RecurringPrice, *, actor: User, key: str, now: datetime
) -> PlanChange:
    current = subscription.recurring_price
    same_cycle = is_same_cycle(current, new)
    is_upgrade = (
        subscription.status != SubscriptionStatus.TRIALING
        and same_cycle
        and new.amount > current.amount
    )
    waiting = _settle_unpaid_upgrades(subscription, keep=new if is_upgrade else None)
    if new.pk == current.pk:
        if subscription.scheduled_price_id is None:
            raise SubscriptionError(
                SubscriptionErrorCode.SAME_PLAN,
                "This is already your plan.",
                kind=ErrorKind.CONFLICT,
            )
        subscription.scheduled_price = None
        subscription.save(update_fields=["scheduled_price"])
        record(
            subscription,
            SubscriptionEventKind.PLAN_CHANGE_SCHEDULED,
            actor=actor,
            actor_label="buyer",
            note="scheduled change dropped",
        )
        return PlanChange(PlanChangeKind.KEPT, subscription)
    if not is_upgrade and (
        subscription.status == SubscriptionStatus.TRIALING
        or (same_cycle and new.amount == current.amount)
    ):
        return _switch(subscription, new, actor=actor)
    if not is_upgrade:
        subscription.scheduled_price = new
        subscription.save(update_fields=["scheduled_price"])
        record(
            subscription,
            SubscriptionEventKind.PLAN_CHANGE_SCHEDULED,
            actor=actor,
            actor_label="buyer",
            note=f"to price {new.pk} at {subscription.current_period_end.isoformat()}",
        )
        return PlanChange(PlanChangeKind.SCHEDULED, subscription)
    if waiting is not None:  # asked again before paying: the same order, charged once
        return PlanChange(PlanChangeKind.UPGRADE_ORDERED, subscription, waiting)
    proration = prorate_upgrade(
        old_amount=current.amount,
        new_amount=new.amount,
        currency=new.currency,
        period_start=subscription.current_period_start,
        period_end=subscription.current_period_end,
        at=now,
    )
    if proration.amount == 0:  # the period is (all but) over: nothing left to prorate
        return _switch(subscription, new, actor=actor)
    method = subscription.payment_method
    if method is None:
        raise SubscriptionError(
            SubscriptionErrorCode.PAYMENT_METHOD_NOT_FOUND,
            "Choose a saved payment method for this subscription first.",
            kind=ErrorKind.CONFLICT,
        )
    order = place_subscription_order(
        subscription_id=subscription.pk,
        buyer=subscription.buyer,
        recurring_price=new,
        amount=proration.amount,
        billing_order=subscription.first_order_line.order,
        provider=method.provider,
        idempotency_key=f"plan-change:{subscription.pk}:{key}"[:100],
        actor_label="buyer",
    )
    SubscriptionOrder.objects.get_or_create(
        order_id=order.pk,
        defaults={
            "subscription": subscription,
            "kind": SubscriptionOrderKind.PLAN_CHANGE,
            "recurring_price": new,
            "period_start": subscription.current_period_start,
            "period_end": subscription.current_period_end,
            "unused_seconds": proration.unused_seconds,
            "period_seconds": proration.period_seconds,
        },
    )
    return PlanChange(PlanChangeKind.UPGRADE_ORDERED, subscription, order)


def _settle_unpaid_upgrades(
    subscription: Subscription, *, keep: RecurringPrice | None
) -> Order | None:
    """The unpaid upgrade order to ``keep`` in this period, if there is one; every other
    unpaid upgrade order is cancelled, so no two plan changes can both be paid."""
    waiting = None
    unpaid = SubscriptionOrder.objects.filter(
        subscription=subscription, kind=SubscriptionOrderKind.PLAN_CHANGE, applied_at__isnull=True
    ).order_by("-id")
    for link in unpaid:
        order = Order.objects.filter(pk=link.order_id, status=OrderStatus.PENDING_PAYMENT).first()
        if order is None:
            continue
        is_same = (
            keep is not None
            and link.recurring_price_id == keep.pk
            and link.period_start == subscription.current_period_start
        )
        if is_same and waiting is None:
            waiting = order
        else:
            cancel_order(order_id=order.pk, actor_label="buyer", note="another plan chosen")
    return waiting


def _switch(subscription: Subscription, new: RecurringPrice, *, actor: User) -> PlanChange:
    subscription.recurring_price = new
    subscription.variant_id = new.variant_id
    subscription.scheduled_price = None
    subscription.save(update_fields=["recurring_price", "variant", "scheduled_price"])
    record(subscription, SubscriptionEventKind.PLAN_CHANGED, actor=actor, actor_label="buyer")
    outbox.announce(outbox.PLAN_CHANGED, subscription)
    return PlanChange(PlanChangeKind.SWITCHED, subscription)
