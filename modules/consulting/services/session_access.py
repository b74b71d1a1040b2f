"""What documents, notes and follow-ups share: who is on which side of a booking, when a
booking takes new material (booked or completed), whose item is whose, and telling the other
side. Callers resolve the booking among the caller's own first (``selectors``), so another
buyer's, consultant's or marketplace's booking never reaches these services."""

from __future__ import annotations

from typing import Any, Literal

from django.urls import NoReverseMatch, reverse

from core.accounts.models import User
from core.errors import ErrorKind
from core.notifications.services.notify import notify
from modules.consulting.errors import ConsultingError, ConsultingErrorCode, not_found
from modules.consulting.models import Booking, BookingStatus

Role = Literal["buyer", "consultant"]
ROLES: tuple[Role, ...] = ("buyer", "consultant")
# A booking takes files, notes and follow-ups once it is paid, and keeps taking them after
# the session (that is when follow-ups are written); a cancelled one is read-only.
OPEN_STATUSES = (BookingStatus.BOOKED, BookingStatus.COMPLETED)
SHARED_TYPE = "consulting.shared"


def invalid(code: ConsultingErrorCode, field: str, message: str, **details: Any) -> ConsultingError:
    return ConsultingError(
        code, message, details={"field": field, **details}, kind=ErrorKind.INVALID
    )


def not_yours(message: str) -> ConsultingError:
    return ConsultingError(ConsultingErrorCode.NOT_YOURS, message, kind=ErrorKind.FORBIDDEN)


def item_not_found(what: str) -> ConsultingError:
    return not_found(f"No such {what}.")


def check_participant(booking: Booking, actor: User, role: Role) -> None:
    """A wiring check: the buyer side is the booking's buyer (the consultant side was
    authorised as the booking's seller by the studio guard or the seller router)."""
    if role not in ROLES or (role == "buyer" and booking.buyer_id != actor.pk):
        raise item_not_found("booking")


def check_open(booking: Booking) -> None:
    if booking.status not in OPEN_STATUSES:
        raise ConsultingError(
            ConsultingErrorCode.BOOKING_NOT_OPEN,
            "Files, notes and follow-ups can be added once the session is booked "
            f"(this booking is {booking.get_status_display().lower()}).",
            details={"status": booking.status},
            kind=ErrorKind.CONFLICT,
        )


def side_of(booking: Booking, user_id: int) -> Role:
    """Which side wrote something: the buyer, or anyone of the consultant's team."""
    return "buyer" if user_id == booking.buyer_id else "consultant"


def other_side_ids(booking: Booking, role: Role) -> list[int]:
    if role == "consultant":
        return [booking.buyer_id]
    return [int(booking.consultant.seller.owner_id)]


def booking_url(booking: Booking, role: Role) -> str:
    """The booking's page for ``role`` (the buyer's page or the studio's)."""
    name = "consulting:booking" if role == "buyer" else "consulting_studio:booking"
    try:
        return reverse(name, args=[booking.pk])
    except NoReverseMatch:  # the page is not mounted (yet): the section's own page
        section = (
            "consulting:session_files" if role == "buyer" else "consulting_studio:session_files"
        )
        return reverse(section, args=[booking.pk])


def tell_other_side(booking: Booking, *, role: Role, title: str, body: str, dedupe_key: str) -> int:
    """One ``consulting.shared`` notification to the side that did not act (never twice
    for one ``dedupe_key``)."""
    recipient: Role = "consultant" if role == "buyer" else "buyer"
    return notify(
        user_ids=other_side_ids(booking, role),
        type_key=SHARED_TYPE,
        title=title,
        body=body[:500],
        url=booking_url(booking, recipient),
        data={"booking_id": booking.pk},
        dedupe_key=dedupe_key,
    )
