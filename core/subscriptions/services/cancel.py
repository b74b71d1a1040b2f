"""Ending a subscription: the buyer cancels at the period end (and may resume until then), an
operator cancels at once, dunning gives up. Cancelling never refunds: the period paid for is
the buyer's (an operator refunds the order separately when that is wanted). An unpaid renewal
order left behind is cancelled too."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from core.commerce.services.payment_events import cancel_order
from core.errors import ErrorKind
from core.subscriptions import outbox
from core.subscriptions.errors import SubscriptionError, SubscriptionErrorCode, already_cancelled
from core.subscriptions.models import (
    CancelReason,
    Subscription,
    SubscriptionEventKind,
    SubscriptionOrder,
    SubscriptionStatus,
)
from core.subscriptions.services.history import record


def end_subscription(
    subscription: Subscription,
    *,
    at: datetime,
    reason: CancelReason,
    actor_label: str,
    actor: User | None = None,
    note: str = "",
) -> None:
    """Cancel the (locked) subscription now, with ``at`` as its end."""
    subscription.status = SubscriptionStatus.CANCELLED
    subscription.cancelled_at = at
    subscription.cancel_reason = reason
    subscription.next_attempt_at = None
    subscription.save(update_fields=["status", "cancelled_at", "cancel_reason", "next_attempt_at"])
    record(
        subscription,
        SubscriptionEventKind.CANCELLED,
        actor=actor,
        actor_label=actor_label,
        note=note or reason,
    )
    outbox.announce(outbox.CANCELLED, subscription, reason=reason, ended_at=at.isoformat())
    unpaid = SubscriptionOrder.objects.filter(subscription=subscription, applied_at__isnull=True)
    for order_id in unpaid.values_list("order_id", flat=True):
        cancel_order(
            order_id=order_id, actor=actor, actor_label=actor_label, note="subscription ended"
        )


def _lock(subscription: Subscription) -> Subscription:
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.status == SubscriptionStatus.CANCELLED:
        raise already_cancelled()
    return locked


@transaction.atomic
def cancel_at_period_end(*, subscription: Subscription, actor: User) -> Subscription:
    """The buyer's cancel: access runs to the end of the period paid for (or the trial), then
    the renewal beat ends it instead of charging. Asking twice changes nothing."""
    locked = _lock(subscription)
    if not locked.cancel_at_period_end:
        locked.cancel_at_period_end = True
        locked.save(update_fields=["cancel_at_period_end"])
        record(locked, SubscriptionEventKind.CANCEL_SCHEDULED, actor=actor, actor_label="buyer")
    return locked


@transaction.atomic
def resume(*, subscription: Subscription, actor: User, now: datetime | None = None) -> Subscription:
    """Undo a cancel at the period end, while the period has not ended yet."""
    now = now or timezone.now()
    locked = _lock(subscription)
    if not locked.cancel_at_period_end:
        raise SubscriptionError(
            SubscriptionErrorCode.NOT_CANCELLING,
            "This subscription is not set to cancel.",
            kind=ErrorKind.CONFLICT,
        )
    if locked.status != SubscriptionStatus.PAST_DUE and now >= locked.current_period_end:
        raise SubscriptionError(
            SubscriptionErrorCode.PERIOD_OVER,
            "The period has ended; subscribe again instead.",
            kind=ErrorKind.CONFLICT,
        )
    locked.cancel_at_period_end = False
    locked.save(update_fields=["cancel_at_period_end"])
    record(locked, SubscriptionEventKind.RESUMED, actor=actor, actor_label="buyer")
    return locked


@transaction.atomic
def cancel_now(
    *, subscription: Subscription, actor: User, note: str = "", now: datetime | None = None
) -> Subscription:
    """An operator's cancel: access ends now, with no refund."""
    locked = _lock(subscription)
    end_subscription(
        locked,
        at=now or timezone.now(),
        reason=CancelReason.OPERATOR,
        actor=actor,
        actor_label="operator",
        note=note,
    )
    return locked
