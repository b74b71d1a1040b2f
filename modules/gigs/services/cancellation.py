"""Mutual cancellation: the buyer or the seller asks to cancel an open order with a reason;
the other party accepts (cancelled, the unpaid part refunded from escrow) or declines within
the order's frozen answer window; with no answer in time the order is cancelled as asked
(Fiverr's rule), through a core deadline that fires once."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core import events
from core.deadlines.services import cancel_deadline, schedule_deadline
from modules.gigs.errors import GigsErrorCode, invalid, wrong_state
from modules.gigs.models import OPEN_STATUSES, GigOrder
from modules.gigs.services.orders import (
    cancel_with_refund,
    deadline_key,
    event_payload,
    locked,
)

PARTIES = ("buyer", "seller")
DEFAULT_ANSWER_HOURS = 48  # orders placed before the policy had the setting


def _answer_hours(order: GigOrder) -> int:
    return int(order.policy.get("cancellation_answer_hours", DEFAULT_ANSWER_HOURS))


@transaction.atomic
def request_cancellation(*, order_id: int, party: str, reason: str) -> GigOrder:
    """``party`` ("buyer" or "seller", already shown to own the order) asks to cancel."""
    assert party in PARTIES
    order = locked(order_id)
    if order.status not in OPEN_STATUSES:
        raise wrong_state("Only an open order can be cancelled.", order.status)
    if order.cancellation_requested_at is not None:
        raise wrong_state("A cancellation is already waiting for an answer.", order.status)
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise invalid(GigsErrorCode.INVALID_DELIVERY, "reason", "Say why (1-500 characters).")
    now = timezone.now()
    order.cancellation_requested_by = party
    order.cancellation_requested_at = now
    order.cancellation_reason = reason
    order.save(
        update_fields=[
            "cancellation_requested_by",
            "cancellation_requested_at",
            "cancellation_reason",
        ]
    )
    schedule_deadline(
        key=deadline_key(order.pk, "cancellation-answer"),
        at=now + timedelta(hours=_answer_hours(order)),
        task="gigs.cancellation_unanswered",
        payload={"order_id": order.pk, "requested_at": now.isoformat()},
    )
    events.emit(
        "gig.cancellation_requested",
        event_payload(order, by=party, reason=reason, requested_at=now.isoformat()),
    )
    return order


def _clear(order: GigOrder) -> None:
    order.cancellation_requested_by = ""
    order.cancellation_requested_at = None
    order.cancellation_reason = ""
    order.save(
        update_fields=[
            "cancellation_requested_by",
            "cancellation_requested_at",
            "cancellation_reason",
        ]
    )
    cancel_deadline(key=deadline_key(order.pk, "cancellation-answer"))


@transaction.atomic
def answer_cancellation(*, order_id: int, party: str, is_accepted: bool) -> GigOrder:
    """The other party's answer; the one who asked cannot answer their own request."""
    assert party in PARTIES
    order = locked(order_id)
    if order.cancellation_requested_at is None or order.status not in OPEN_STATUSES:
        raise wrong_state("No cancellation is waiting for an answer.", order.status)
    if order.cancellation_requested_by == party:
        raise wrong_state("The other party answers your request.", order.status)
    if not is_accepted:
        _clear(order)
        return order
    return cancel_with_refund(order=order, reason="mutual")


@transaction.atomic
def cancellation_unanswered(*, order_id: int, requested_at: str) -> bool:
    """The deadline's work: the request it was set for is still waiting: cancel."""
    order = locked(order_id)
    if (
        order.status not in OPEN_STATUSES
        or order.cancellation_requested_at is None
        or order.cancellation_requested_at.isoformat() != requested_at
    ):
        return False
    cancel_with_refund(order=order, reason="mutual_no_answer")
    return True
