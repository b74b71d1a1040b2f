"""Reminders before a session: one durable deadline per offset of the booking's snapshotted
``reminder_minutes`` (24 h and 1 h by default), scheduled when the booking is booked, moved
with it, gone when it leaves the calendar.

A reminder whose instant has passed when the booking is made (or moved) is never scheduled:
a session booked 3 hours ahead gets its 1-hour reminder only. The handler (``deadlines.py``)
reminds both sides once (a dedupe key per booking, offset and SEQUENCE), and does nothing
for a booking that is no longer booked or has moved since (the payload carries the start
and SEQUENCE it was scheduled for)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.deadlines.services import cancel_deadline, schedule_deadline
from core.notifications.services.notify import notify
from modules.consulting.models import Booking, BookingStatus

REMINDER_TASK = "consulting.reminder"
REMINDER_TYPE = "consulting.reminder"
Side = Literal["buyer", "consultant"]


def reminder_key(booking_id: int, offset: int) -> str:
    return f"consulting:reminder:{booking_id}:{offset}"


def offsets_of(booking: Booking) -> list[int]:
    """The booking's reminder offsets in minutes, longest first, each once."""
    offsets = {int(minutes) for minutes in booking.reminder_minutes or [] if int(minutes) > 0}
    return sorted(offsets, reverse=True)


def offset_label(minutes: int) -> str:
    """``1440`` -> "24 h", ``90`` -> "1 h 30 min", ``15`` -> "15 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def schedule_label(booking: Booking) -> str:
    """ "Reminders: 24 h and 1 h before" (or "No reminders")."""
    labels = [offset_label(minutes) for minutes in offsets_of(booking)]
    if not labels:
        return "No reminders"
    joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"Reminders: {joined} before"


def schedule_reminders(booking: Booking, *, now: datetime | None = None) -> list[int]:
    """(Re)schedule the booking's reminders for its current start and SEQUENCE, in the
    caller's transaction; an offset already inside the window is cancelled instead (a move
    closer to now drops a reminder that would fire late). Returns the offsets scheduled."""
    now = now or timezone.now()
    scheduled: list[int] = []
    for offset in offsets_of(booking):
        at = booking.starts_at - timedelta(minutes=offset)
        key = reminder_key(booking.pk, offset)
        if at <= now:
            cancel_deadline(key=key)
            continue
        schedule_deadline(
            key=key,
            at=at,
            task=REMINDER_TASK,
            payload={
                "booking_id": booking.pk,
                "offset": offset,
                "sequence": booking.sequence,
                "starts_at": booking.starts_at.isoformat(),
            },
        )
        scheduled.append(offset)
    return scheduled


def cancel_reminders(booking: Booking) -> None:
    for offset in offsets_of(booking):
        cancel_deadline(key=reminder_key(booking.pk, offset))


def booking_page_url(booking: Booking, side: Side) -> str:
    """The booking's page for ``side``: the buyer's page or the studio's (their literal
    paths while the pages are not mounted)."""
    if side == "buyer":
        name, fallback = "consulting:booking", f"/consulting/bookings/{booking.pk}/"
    else:
        name, fallback = "consulting_studio:booking", f"/studio/consulting/bookings/{booking.pk}/"
    try:
        return reverse(name, args=[booking.pk])
    except NoReverseMatch:
        return fallback


def local_time(at: datetime, zone: str) -> str:
    """ "Wed 9 Dec 2026, 05:00 (America/New_York)"."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({zone})"


def send_reminder(payload: dict[str, Any]) -> int:
    """The deadline's work: remind the buyer and the consultant of a session still booked at
    the start and SEQUENCE it was scheduled for. Returns how many were notified (0 when it
    moved, left the calendar, or was reminded already)."""
    booking = (
        Booking.objects.select_related("consultant__seller", "session_type__product")
        .filter(pk=int(payload["booking_id"]))
        .first()
    )
    if booking is None or booking.status != BookingStatus.BOOKED:
        return 0
    if booking.sequence != int(payload["sequence"]) or (
        booking.starts_at.isoformat() != payload["starts_at"]
    ):
        return 0
    offset = int(payload["offset"])
    name = booking.session_type.product.name
    within = offset_label(offset)
    dedupe = f"consulting:reminder:{booking.pk}:{offset}:{booking.sequence}"
    sides: list[tuple[Side, int, str]] = [
        ("buyer", booking.buyer_id, booking.buyer_zone),
        ("consultant", int(booking.consultant.seller.owner_id), booking.consultant.time_zone),
    ]
    sent = 0
    for side, user_id, zone in sides:
        sent += notify(
            user_ids=[user_id],
            type_key=REMINDER_TYPE,
            title=f"{name} starts in {within}",
            body=f"{name} starts {local_time(booking.starts_at, zone)}.",
            url=booking_page_url(booking, side),
            data={"booking_id": booking.pk, "offset": offset, "side": side},
            dedupe_key=dedupe,
        )
    return sent
