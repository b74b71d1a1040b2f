"""A buyer cancelling a booked session under the policy snapshotted on the booking: the
refund tier's share goes back through commerce exactly once (``refund_escrow`` keyed by
the booking), the rest is released to the consultant; the slot frees up at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from core.commerce.models import OrderLine
from core.commerce.services.escrow import held_in_escrow, refund_escrow, release_escrow
from core.deadlines.services import cancel_deadline
from core.integrations.services.webhooks import emit_webhook
from core.sellers.models import Seller
from modules.consulting.errors import ConsultingErrorCode, conflict, not_found
from modules.consulting.models import Booking, BookingStatus
from modules.consulting.services.booking import (
    as_payload,
    emit_change,
    release_key,
    release_seat,
)
from modules.consulting.services.policy import Policy
from modules.consulting.services.reminders import cancel_reminders


@dataclass(frozen=True)
class Cancelled:
    booking: Booking
    refunded: int
    released: int


def refund_preview(booking: Booking, now: datetime | None = None) -> int:
    policy = Policy.model_validate(booking.policy)
    return policy.refund_amount(
        amount=booking.amount, now=now or timezone.now(), starts_at=booking.starts_at
    )


@transaction.atomic
def cancel_by_buyer(*, buyer: User, booking_id: int, now: datetime | None = None) -> Cancelled:
    """Cancel one of ``buyer``'s booked sessions. Cancelling again answers the first
    outcome; another buyer's booking is not found."""
    now = now or timezone.now()
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("consultant__seller")
        .filter(pk=booking_id, buyer=buyer)
        .first()
    )
    if booking is None:
        raise not_found()
    if booking.status == BookingStatus.CANCELLED and booking.cancelled_by == "buyer":
        return Cancelled(booking, booking.refunded_amount, 0)
    if booking.status != BookingStatus.BOOKED or booking.order_line_id is None:
        raise conflict(
            ConsultingErrorCode.NOT_CANCELLABLE, "Only a booked session can be cancelled."
        )
    policy = Policy.model_validate(booking.policy)
    if booking.starts_at <= now or booking.starts_at - now < timedelta(
        hours=policy.cancellation_cutoff_hours
    ):
        raise conflict(
            ConsultingErrorCode.CANCELLATION_CLOSED,
            "It is too late to cancel this session.",
        )
    refund = policy.refund_amount(amount=booking.amount, now=now, starts_at=booking.starts_at)
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at, booking.cancelled_by = now, "buyer"
    booking.refunded_amount = refund
    booking.sequence += 1
    booking.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "refunded_amount", "sequence"]
    )
    release_seat(booking.session_id)
    cancel_deadline(key=release_key(booking.pk))
    cancel_reminders(booking)
    line_id = booking.order_line_id
    if refund > 0:
        refund_escrow(
            order_line_id=line_id,
            reference=f"consulting-cancel-{booking.pk}",
            amount=refund,
            reason="Cancelled by the buyer under the consultant's policy.",
        )
    line = OrderLine.objects.select_related("order").get(pk=line_id)
    released = 0
    if line.is_escrow:
        held = held_in_escrow(line, line.order.currency)
        if held > 0:
            released = release_escrow(
                order_line_id=line_id, reference=f"consulting-cancel-{booking.pk}", amount=held
            )
    emit_webhook(
        seller=booking.consultant.seller,
        event="consulting.cancelled",
        payload={**as_payload(booking), "refunded": refund, "cancelled_by": "buyer"},
    )
    emit_change("consulting.cancelled", booking)
    return Cancelled(booking, refund, released)


@transaction.atomic
def cancel_by_consultant(
    *, seller: Seller, booking_id: int, now: datetime | None = None
) -> Cancelled:
    """The consultant calls a session off: the buyer gets everything back, whatever the
    policy says (once: the refund is keyed by the booking, like the buyer's). Another
    consultant's booking is not found."""
    now = now or timezone.now()
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("consultant__seller")
        .filter(pk=booking_id, consultant__seller=seller)
        .first()
    )
    if booking is None:
        raise not_found()
    if booking.status == BookingStatus.CANCELLED and booking.cancelled_by == "consultant":
        return Cancelled(booking, booking.refunded_amount, 0)
    if booking.status != BookingStatus.BOOKED or booking.order_line_id is None:
        raise conflict(
            ConsultingErrorCode.NOT_CANCELLABLE, "Only a booked session can be cancelled."
        )
    if booking.ends_at <= now:
        raise conflict(ConsultingErrorCode.NOT_CANCELLABLE, "This session is over.")
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at, booking.cancelled_by = now, "consultant"
    booking.refunded_amount = booking.amount
    booking.sequence += 1
    booking.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "refunded_amount", "sequence"]
    )
    release_seat(booking.session_id)
    cancel_deadline(key=release_key(booking.pk))
    cancel_reminders(booking)
    refund = refund_escrow(
        order_line_id=booking.order_line_id,
        reference=f"consulting-cancel-{booking.pk}",
        reason="Cancelled by the consultant.",
    )
    if refund.amount != booking.amount:
        Booking.objects.filter(pk=booking.pk).update(refunded_amount=refund.amount)
        booking.refunded_amount = refund.amount
    emit_webhook(
        seller=seller,
        event="consulting.cancelled",
        payload={**as_payload(booking), "refunded": refund.amount, "cancelled_by": "consultant"},
    )
    emit_change("consulting.cancelled", booking)
    return Cancelled(booking, refund.amount, 0)
