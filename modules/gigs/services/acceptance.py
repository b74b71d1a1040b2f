"""Acceptance of a delivered gig order: by the buyer, or for them when the frozen policy's
auto-accept period passes without an answer (reminders 48 h and 24 h before; core
deadlines, each fires once even after a worker dies). Accepting releases the line's escrow
once (milestone by milestone when milestones were agreed)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core import events
from core.accounts.models import User
from core.commerce.errors import CommerceError
from core.commerce.services.escrow import release_escrow
from core.deadlines.services import cancel_deadline, schedule_deadline
from modules.gigs.errors import GigsErrorCode, invalid, wrong_state
from modules.gigs.models import DeliveryStatus, GigOrder, OrderStatus
from modules.gigs.services.addons import release_addons, withdraw_unpaid
from modules.gigs.services.milestones import complete_current
from modules.gigs.services.orders import (
    buyers_order,
    close_timers,
    deadline_key,
    event_payload,
    locked,
)

AUTO_ACCEPT_REMINDERS = ((48, "auto-accept-reminder-48h"), (24, "auto-accept-reminder-24h"))


def start_auto_accept(order: GigOrder, number: int) -> None:
    """The delivery ``number`` is in the buyer's hands from now: the order is delivered and
    the frozen policy's auto-accept period (and its reminders) starts."""
    now = timezone.now()
    order.status = OrderStatus.DELIVERED
    order.delivered_at = now
    order.auto_accept_at = now + timedelta(days=order.policy["auto_accept_days"])
    order.save(update_fields=["status", "delivered_at", "auto_accept_at"])
    schedule_auto_accept(order, number)


def schedule_auto_accept(order: GigOrder, number: int) -> None:
    assert order.auto_accept_at is not None
    now = timezone.now()
    payload = {"order_id": order.pk, "delivery_number": number}
    for hours, timer in AUTO_ACCEPT_REMINDERS:
        at = order.auto_accept_at - timedelta(hours=hours)
        if at > now:
            schedule_deadline(
                key=deadline_key(order.pk, timer),
                at=at,
                task="gigs.auto_accept_reminder",
                payload={**payload, "hours": hours},
            )
        else:  # a period this short has no such reminder (nor one left from before)
            cancel_deadline(key=deadline_key(order.pk, timer))
    schedule_deadline(
        key=deadline_key(order.pk, "auto-accept"),
        at=order.auto_accept_at,
        task="gigs.auto_accept",
        payload=payload,
    )


def cancel_auto_accept(order: GigOrder) -> None:
    for _, timer in AUTO_ACCEPT_REMINDERS:
        cancel_deadline(key=deadline_key(order.pk, timer))
    cancel_deadline(key=deadline_key(order.pk, "auto-accept"))


def _complete(order: GigOrder, *, is_auto: bool) -> GigOrder:
    """Release the line's escrow to the seller (once: the reference is the order's) and
    close the order; with agreed milestones, release the one delivered and go on with the
    next (the order closes with the last)."""
    if order.milestones_agreed_at is not None:
        if complete_current(order):
            order.status = OrderStatus.IN_PROGRESS
            order.auto_accept_at = None
            order.save(update_fields=["status", "auto_accept_at"])
            cancel_auto_accept(order)
            return order
    else:
        release_escrow(order_line_id=order.order_line_id, reference=f"gig:{order.pk}:accept")
    release_addons(order)
    withdraw_unpaid(order)
    now = timezone.now()
    order.status = OrderStatus.COMPLETED
    order.completed_at = now
    order.is_auto_accepted = is_auto
    order.auto_accept_at = None
    order.save(update_fields=["status", "completed_at", "is_auto_accepted", "auto_accept_at"])
    close_timers(order)
    events.emit("gig.completed", event_payload(order, is_auto_accepted=is_auto))
    return order


@transaction.atomic
def accept(*, buyer: User, order_id: int, confirmed: list[str] | None = None) -> GigOrder:
    """The buyer accepts the delivery, confirming the order's acceptance criteria (its frozen
    checklist): every one of them, or none is accepted (a criterion not met is a revision
    to ask for). ``confirmed`` None confirms them all (the API's plain accept)."""
    order = buyers_order(buyer=buyer, order_id=order_id, lock=True)
    if order.status != OrderStatus.DELIVERED:
        raise wrong_state("Only a delivered order can be accepted.", order.status)
    checklist = [str(item) for item in order.checklist]
    if confirmed is not None:
        missing = [item for item in checklist if item not in confirmed]
        if missing or any(item not in checklist for item in confirmed):
            raise invalid(
                GigsErrorCode.CHECKLIST_INCOMPLETE,
                "confirmed",
                "Confirm every criterion you accept, or ask for a revision instead"
                + (f" (not confirmed: {', '.join(missing)})." if missing else "."),
            )
    delivery = order.deliveries.filter(status=DeliveryStatus.SUBMITTED).order_by("-number").first()
    if delivery is not None:
        delivery.checklist_confirmed = checklist
        delivery.save(update_fields=["checklist_confirmed"])
    return _complete(order, is_auto=False)


@transaction.atomic
def auto_accept(*, order_id: int, delivery_number: int) -> bool:
    """The deadline's work: accept the delivery it was set for, if nothing happened since.
    Escrow frozen by an open dispute leaves the order delivered (the dispute decides)."""
    order = locked(order_id)
    if order.status != OrderStatus.DELIVERED:
        return False
    last = order.deliveries.aggregate(last=Max("number"))["last"]
    if last != delivery_number:
        return False
    try:
        with transaction.atomic():
            _complete(order, is_auto=True)
    except CommerceError as error:
        if isinstance(error.details, dict) and error.details.get("frozen"):
            return False
        raise
    return True


@transaction.atomic
def remind_auto_accept(*, order_id: int, delivery_number: int, hours: int) -> bool:
    order = locked(order_id)
    last = order.deliveries.aggregate(last=Max("number"))["last"]
    if order.status != OrderStatus.DELIVERED or last != delivery_number:
        return False
    events.emit(
        "gig.auto_accept_soon",
        event_payload(order, hours=hours, delivery_number=delivery_number),
    )
    return True
