"""The module's deadline handlers, found by core.deadlines in this folder: they fire only in
marketplaces where the module is on. Each is idempotent (it may run again after a worker
dies)."""

from __future__ import annotations

from core.commerce.models import OrderLine
from core.commerce.services.escrow import held_in_escrow, release_escrow, release_refusal
from core.deadlines.registry import DueDeadline, deadline_handler
from modules.consulting.models import Booking, BookingStatus
from modules.consulting.services.booking import HOLD_TASK, RELEASE_TASK, expire_hold
from modules.consulting.services.reminders import REMINDER_TASK, send_reminder


@deadline_handler(HOLD_TASK)
def hold_expiry(deadline: DueDeadline) -> None:
    expire_hold(booking_id=int(deadline.payload["booking_id"]))


@deadline_handler(RELEASE_TASK)
def release_after_session(deadline: DueDeadline) -> None:
    """The session is over and the dispute window passed: the consultant is paid out of
    escrow, unless a dispute froze the line (the dispute's decision settles it then)."""
    booking = Booking.objects.filter(pk=int(deadline.payload["booking_id"])).first()
    if booking is None or booking.status != BookingStatus.BOOKED or booking.order_line_id is None:
        return
    if release_refusal(booking.order_line_id):
        return
    line = OrderLine.objects.select_related("order").get(pk=booking.order_line_id)
    # A dispute's decision may have settled the escrow already (e.g. refunded a no-show).
    if held_in_escrow(line, line.order.currency) > 0:
        release_escrow(
            order_line_id=booking.order_line_id, reference=f"consulting-session-{booking.pk}"
        )
    Booking.objects.filter(pk=booking.pk, status=BookingStatus.BOOKED).update(
        status=BookingStatus.COMPLETED
    )


@deadline_handler(REMINDER_TASK)
def reminder(deadline: DueDeadline) -> None:
    """A reminder before a session, to both sides, once (see services/reminders.py)."""
    send_reminder(deadline.payload)
