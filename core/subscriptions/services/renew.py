"""Renewal by the beat, and dunning.

A subscription is due when ``next_attempt_at`` has passed. Its renewal is an order for the
next period (``renewal:<subscription id>:<period start>``, one per period however often the
beat runs), charged off-session with the saved method. Three steps, so no lock is held while
the provider is called: (1) under the subscription's row lock, check it is still due, find or
place the period's order and claim the subscription for a while (``next_attempt_at`` moves
past the claim, so another beat run skips it); (2) charge; (3) record a failure, unless
someone else moved the subscription meanwhile. A success is applied by the ``order.paid``
consumer (or by the next run, if it finds the order paid first).

Dunning: the first failure makes the subscription past due; it is tried again after each
delay of ``conf.retry_delays()`` (1, 3 and 5 days by default), and cancelled when the try
after the last delay fails - the unpaid renewal order is cancelled with it. Until then the
buyer may pay the renewal order themselves (``/orders/{id}/pay``) or pick another saved card,
and a paid renewal makes it active again."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from core.commerce.models import Order, OrderStatus, PaymentStatus
from core.commerce.services.renewals import (
    charge_subscription_order,
    place_subscription_order,
    renewal_key,
)
from core.errors import DomainError
from core.payments.providers import get_provider
from core.subscriptions import conf, outbox
from core.subscriptions.billing import period_end
from core.subscriptions.models import (
    CancelReason,
    Subscription,
    SubscriptionEventKind,
    SubscriptionOrder,
    SubscriptionOrderKind,
    SubscriptionStatus,
)
from core.subscriptions.services.cancel import end_subscription
from core.subscriptions.services.history import record
from core.subscriptions.services.paid_orders import apply_subscription_order

logger = logging.getLogger(__name__)

ACTOR = "system:renewal"
NO_PAYMENT_METHOD = "no_payment_method"


class RenewalOutcome(StrEnum):
    NOT_DUE = "not_due"  # not due (any more): another run or the buyer got there first
    RENEWED = "renewed"  # paid; the period is extended from the order.paid event
    FAILED = "failed"  # past due, tried again later
    CANCELLED = "cancelled"  # ended at the period end, or dunning gave up
    ERROR = "error"  # an unexpected failure, logged; due again once the claim lapses


@dataclass(frozen=True)
class _Attempt:
    order: Order
    method_reference: str
    claimed_until: datetime


def renew_due_subscriptions(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Every due subscription of the current schema, oldest first; how many had each
    outcome."""
    now = now or timezone.now()
    due = list(
        Subscription.objects.filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes: Counter[str] = Counter()
    for subscription_id in due:
        try:
            outcome = renew_subscription(subscription_id=subscription_id, now=now)
        except Exception:  # one subscription's failure must not hold up the others
            logger.exception("renewing subscription %s failed", subscription_id)
            outcome = RenewalOutcome.ERROR
        outcomes[outcome] += 1
    return dict(outcomes)


def renew_subscription(*, subscription_id: int, now: datetime | None = None) -> RenewalOutcome:
    now = now or timezone.now()
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
        if subscription.next_attempt_at is None or subscription.next_attempt_at > now:
            return RenewalOutcome.NOT_DUE
        if subscription.cancel_at_period_end and now >= subscription.current_period_end:
            end_subscription(
                subscription,
                at=subscription.current_period_end,
                reason=CancelReason.BUYER,
                actor_label=ACTOR,
            )
            return RenewalOutcome.CANCELLED
        prepared = _prepare(subscription, now)
        if not isinstance(prepared, _Attempt):
            return prepared
    try:
        payment = charge_subscription_order(
            order=prepared.order,
            payment_method=prepared.method_reference,
            is_off_session=True,
            actor_label=ACTOR,
        )
    except DomainError as problem:  # e.g. the order stopped being payable meanwhile
        code, message = str(problem.code), problem.message
    else:
        if payment.status == PaymentStatus.SUCCEEDED:
            return RenewalOutcome.RENEWED
        code = payment.failure_code or "authentication_required"
        message = payment.failure_message or "The payment needs the buyer's confirmation."
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().get(pk=subscription_id)
        if subscription.next_attempt_at != prepared.claimed_until:
            return RenewalOutcome.NOT_DUE
        return _record_failure(
            subscription, code=code, message=message, now=now, order_id=prepared.order.pk
        )


def _prepare(subscription: Subscription, now: datetime) -> _Attempt | RenewalOutcome:
    """The period's payable order (placed now if needed) and the claim, or the outcome when
    there is nothing to charge."""
    period_start = subscription.current_period_end
    links = SubscriptionOrder.objects.filter(
        subscription=subscription, kind=SubscriptionOrderKind.RENEWAL, period_start=period_start
    ).order_by("-id")
    link = links.first()
    order = Order.objects.filter(pk=link.order_id).first() if link is not None else None
    if order is not None and order.status not in (
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.CANCELLED,
    ):
        apply_subscription_order(order_id=order.pk)  # paid; its event may still be on its way
        return RenewalOutcome.RENEWED
    method = subscription.payment_method
    if order is None or order.status == OrderStatus.CANCELLED:
        price = subscription.scheduled_price or subscription.recurring_price
        key = renewal_key(
            subscription_id=subscription.pk, period_start_iso=period_start.isoformat()
        )
        if link is not None:  # the period's order was cancelled under us: a fresh one
            key = f"{key}:{links.count()}"
        try:
            order = place_subscription_order(
                subscription_id=subscription.pk,
                buyer=subscription.buyer,
                recurring_price=price,
                amount=price.amount,
                billing_order=subscription.first_order_line.order,
                provider=method.provider if method is not None else get_provider().key,
                idempotency_key=key,
                actor_label=ACTOR,
            )
        except DomainError as problem:  # no longer sold: a failed attempt, like a decline
            return _record_failure(
                subscription, code=str(problem.code), message=problem.message, now=now
            )
        SubscriptionOrder.objects.create(
            subscription=subscription,
            order_id=order.pk,
            kind=SubscriptionOrderKind.RENEWAL,
            recurring_price=price,
            period_start=period_start,
            period_end=period_end(period_start, price, anchor=subscription.billing_anchor),
        )
    if method is None:
        return _record_failure(
            subscription,
            code=NO_PAYMENT_METHOD,
            message="No saved payment method to charge.",
            now=now,
            order_id=order.pk,
        )
    claimed_until = now + conf.claim_duration()
    subscription.next_attempt_at = claimed_until
    subscription.save(update_fields=["next_attempt_at"])
    return _Attempt(order=order, method_reference=method.reference, claimed_until=claimed_until)


def _record_failure(
    subscription: Subscription,
    *,
    code: str,
    message: str,
    now: datetime,
    order_id: int | None = None,
) -> RenewalOutcome:
    """Count the failed try on the (locked) subscription: past due with the next try
    scheduled, or cancelled when the retries are used up."""
    delays = conf.retry_delays()
    subscription.failed_attempts += 1
    record(
        subscription,
        SubscriptionEventKind.PAYMENT_FAILED,
        actor_label=ACTOR,
        order_id=order_id,
        note=f"{code}: {message}",
    )
    if subscription.failed_attempts > len(delays):
        subscription.save(update_fields=["failed_attempts"])
        end_subscription(
            subscription, at=now, reason=CancelReason.PAYMENT_FAILED, actor_label=ACTOR, note=code
        )
        return RenewalOutcome.CANCELLED
    became_past_due = subscription.status != SubscriptionStatus.PAST_DUE
    subscription.status = SubscriptionStatus.PAST_DUE
    subscription.next_attempt_at = now + delays[subscription.failed_attempts - 1]
    subscription.save(update_fields=["failed_attempts", "status", "next_attempt_at"])
    if became_past_due:
        record(subscription, SubscriptionEventKind.PAST_DUE, actor_label=ACTOR, order_id=order_id)
        outbox.announce(
            outbox.PAST_DUE,
            subscription,
            order_id=order_id,
            failure_code=code,
            next_attempt_at=subscription.next_attempt_at.isoformat(),
        )
    return RenewalOutcome.FAILED
