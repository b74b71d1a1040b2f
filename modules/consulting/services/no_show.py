"""No-shows, reported from ``no_show_after_minutes`` after the start until the escrow is
released (the end plus the dispute window), one report per booking.

- The consultant reports that the buyer did not come: recorded (``no_show = "buyer"``) and
  the buyer told; the escrow is still released to the consultant on schedule unless the
  buyer disputes it (core disputes) before then.
- The buyer reports that the consultant did not come: recorded (``no_show = "consultant"``)
  and a dispute of kind "delivery" opened on the order line, which freezes the escrow (the
  release deadline then does nothing; the dispute's decision settles the money).
- The consultant may confirm their own no-show: the buyer gets everything back, once. With
  the buyer's dispute open, through the dispute's decision (a full refund: what escrow holds
  plus the commission, as core disputes pays a complainant who wins); with no dispute,
  through ``refund_escrow`` (reference ``consulting-noshow-<booking>``). The booking is then
  cancelled by the consultant. Confirming again answers the first outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from core.commerce.services.escrow import refund_escrow
from core.deadlines.services import cancel_deadline
from core.disputes.models import OPEN_STATUSES, Dispute, ResolutionType
from core.disputes.services import full_refund_split, open_dispute, resolve
from core.errors import ErrorKind
from core.notifications.services.notify import notify
from core.sellers.models import Seller
from modules.consulting.errors import ConsultingError, ConsultingErrorCode, not_found
from modules.consulting.models import Booking, BookingStatus
from modules.consulting.services.booking import current_bounds, release_key
from modules.consulting.services.reminders import (
    booking_page_url,
    cancel_reminders,
    local_time,
)

NO_SHOW_TYPE = "consulting.no_show"
BUYER, CONSULTANT = "buyer", "consultant"
NO_SHOW_NOT_YET = ConsultingErrorCode.NO_SHOW_NOT_YET
NO_SHOW_CLOSED = ConsultingErrorCode.NO_SHOW_CLOSED
NO_SHOW_REPORTED = ConsultingErrorCode.NO_SHOW_REPORTED


@dataclass(frozen=True)
class Confirmed:
    booking: Booking
    refunded: int


def report_window(booking: Booking) -> tuple[datetime, datetime]:
    """When a no-show may be reported: from a little after the start until the escrow is
    released."""
    bounds = current_bounds()
    return (
        booking.starts_at + timedelta(minutes=bounds.no_show_after_minutes),
        booking.ends_at + timedelta(hours=bounds.dispute_window_hours),
    )


def can_report(booking: Booking, now: datetime) -> bool:
    opens, closes = report_window(booking)
    return (
        booking.status == BookingStatus.BOOKED
        and booking.order_line_id is not None
        and not booking.no_show
        and opens <= now < closes
    )


def can_confirm(booking: Booking, now: datetime) -> bool:
    opens, _ = report_window(booking)
    return (
        booking.status == BookingStatus.BOOKED
        and booking.order_line_id is not None
        and booking.no_show in ("", CONSULTANT)
        and now >= opens
        and (booking.no_show == CONSULTANT or can_report(booking, now))
    )


def _error(code: ConsultingErrorCode, message: str) -> ConsultingError:
    return ConsultingError(code, message, kind=ErrorKind.CONFLICT)


def _check_reportable(booking: Booking, now: datetime) -> None:
    if booking.status != BookingStatus.BOOKED or booking.order_line_id is None:
        raise _error(NO_SHOW_CLOSED, "Only a booked session's no-show can be reported.")
    if booking.no_show:
        who = "the buyer" if booking.no_show == BUYER else "the consultant"
        raise _error(NO_SHOW_REPORTED, f"A no-show by {who} was reported already.")
    opens, closes = report_window(booking)
    if now < opens:
        raise _error(
            NO_SHOW_NOT_YET,
            f"A no-show can be reported from {opens:%Y-%m-%d %H:%M} UTC "
            f"({current_bounds().no_show_after_minutes} minutes after the start).",
        )
    if now >= closes:
        raise _error(NO_SHOW_CLOSED, "It is too late to report a no-show on this session.")


def _locked(**lookup: object) -> Booking:
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("consultant__seller", "session_type__product")
        .filter(**lookup)
        .first()
    )
    if booking is None:
        raise not_found()
    return booking


@transaction.atomic
def report_buyer_absent(*, seller: Seller, booking_id: int, now: datetime | None = None) -> Booking:
    """The consultant says the buyer did not come. Escrow is still released on schedule;
    the buyer is told they may dispute before then."""
    now = now or timezone.now()
    booking = _locked(pk=booking_id, consultant__seller=seller)
    _check_reportable(booking, now)
    booking.no_show, booking.no_show_reported_at = BUYER, now
    booking.save(update_fields=["no_show", "no_show_reported_at"])
    _, closes = report_window(booking)
    name = booking.session_type.product.name
    notify(
        user_ids=[booking.buyer_id],
        type_key=NO_SHOW_TYPE,
        title=f"{booking.consultant.seller.business_name} reported you missed {name}",
        body=(
            "The payment is released to the consultant on "
            f"{local_time(closes, booking.buyer_zone)}. If you were there, open a dispute "
            "on the order before then."
        ),
        url=booking_page_url(booking, "buyer"),
        data={"booking_id": booking.pk, "no_show": BUYER},
        dedupe_key=f"consulting:no-show:{booking.pk}",
    )
    return booking


@transaction.atomic
def report_consultant_absent(
    *, buyer: User, booking_id: int, reason: str = "", now: datetime | None = None
) -> Booking:
    """The buyer says the consultant did not come: a "delivery" dispute on the line freezes
    the escrow until it is decided (or the consultant confirms). Another buyer's booking is
    not found."""
    now = now or timezone.now()
    booking = _locked(pk=booking_id, buyer=buyer)
    _check_reportable(booking, now)
    assert booking.order_line_id is not None
    name = booking.session_type.product.name
    text = reason.strip() or f"The consultant did not come to {name}."
    open_dispute(user=buyer, order_line_id=booking.order_line_id, kind="delivery", reason=text)
    booking.no_show, booking.no_show_reported_at = CONSULTANT, now
    booking.save(update_fields=["no_show", "no_show_reported_at"])
    notify(
        user_ids=[int(booking.consultant.seller.owner_id)],
        type_key=NO_SHOW_TYPE,
        title=f"Your buyer reported that you missed {name}",
        body=(
            f"The session was {local_time(booking.starts_at, booking.consultant.time_zone)}. "
            "If you did not come, confirm it and the buyer is refunded in full; otherwise "
            "answer the dispute."
        ),
        url=booking_page_url(booking, "consultant"),
        data={"booking_id": booking.pk, "no_show": CONSULTANT},
        dedupe_key=f"consulting:no-show:{booking.pk}",
    )
    return booking


@transaction.atomic
def confirm_consultant_absent(
    *, seller: Seller, booking_id: int, now: datetime | None = None
) -> Confirmed:
    """The consultant confirms they did not come: the buyer gets everything back, once."""
    now = now or timezone.now()
    booking = _locked(pk=booking_id, consultant__seller=seller)
    if booking.status == BookingStatus.CANCELLED and booking.no_show == CONSULTANT:
        return Confirmed(booking, booking.refunded_amount)
    if booking.status != BookingStatus.BOOKED or booking.order_line_id is None:
        raise _error(NO_SHOW_CLOSED, "Only a booked session's no-show can be confirmed.")
    if booking.no_show == BUYER:
        raise _error(NO_SHOW_REPORTED, "You reported that the buyer did not come.")
    opens, _ = report_window(booking)
    if now < opens:
        raise _error(NO_SHOW_NOT_YET, "The session has not started yet; cancel it instead.")
    line_id = booking.order_line_id
    dispute = (
        Dispute.objects.filter(order_line_id=line_id, status__in=OPEN_STATUSES)
        .order_by("-id")
        .first()
    )
    if dispute is not None:
        refund, release, compensation = full_refund_split(dispute)
        resolve(
            operator=None,
            dispute_id=dispute.pk,
            resolution_type=ResolutionType.REFUND,
            refund_to_buyer=refund,
            release_to_seller=release,
            platform_compensation=compensation,
            note="The consultant confirmed they did not come to the session.",
        )
        refunded = refund + compensation
    else:
        if booking.no_show != CONSULTANT and not can_report(booking, now):
            raise _error(NO_SHOW_CLOSED, "It is too late to confirm a no-show on this session.")
        if Dispute.objects.filter(order_line_id=line_id).exists():
            raise _error(NO_SHOW_CLOSED, "The dispute on this session was decided already.")
        refunded = refund_escrow(
            order_line_id=line_id,
            reference=f"consulting-noshow-{booking.pk}",
            reason="The consultant did not come to the session.",
        ).amount
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at, booking.cancelled_by = now, CONSULTANT
    booking.no_show = CONSULTANT
    booking.no_show_reported_at = booking.no_show_reported_at or now
    booking.refunded_amount = refunded
    booking.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancelled_by",
            "no_show",
            "no_show_reported_at",
            "refunded_amount",
        ]
    )
    cancel_deadline(key=release_key(booking.pk))
    cancel_reminders(booking)
    name = booking.session_type.product.name
    notify(
        user_ids=[booking.buyer_id],
        type_key=NO_SHOW_TYPE,
        title=f"Refunded: {name}",
        body="The consultant confirmed they missed the session; you get everything back.",
        url=booking_page_url(booking, "buyer"),
        data={"booking_id": booking.pk, "no_show": CONSULTANT, "refunded": refunded},
        dedupe_key=f"consulting:no-show-confirmed:{booking.pk}",
    )
    return Confirmed(booking, refunded)
