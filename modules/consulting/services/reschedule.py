"""A buyer moving a booked session to another free slot of the same session type, before the
policy's reschedule cut-off (snapshotted on the booking). The old seat is given back and the
new one taken in one transaction: if the new slot is refused (taken meanwhile, full, not
offered), nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from modules.consulting.errors import ConsultingErrorCode, conflict, not_found
from modules.consulting.models import Booking, BookingStatus
from modules.consulting.services.booking import (
    check_offered,
    emit_change,
    release_seat,
    schedule_release,
    take_seat,
)
from modules.consulting.services.policy import Policy
from modules.consulting.services.reminders import schedule_reminders


@transaction.atomic
def reschedule_by_buyer(
    *, buyer: User, booking_id: int, starts_at: datetime, now: datetime | None = None
) -> Booking:
    now = now or timezone.now()
    booking = (
        Booking.objects.select_for_update()
        .select_related("consultant", "session_type")
        .filter(pk=booking_id, buyer=buyer)
        .first()
    )
    if booking is None:
        raise not_found()
    if booking.status != BookingStatus.BOOKED:
        raise conflict(ConsultingErrorCode.RESCHEDULE_CLOSED, "Only a booked session can be moved.")
    policy = Policy.model_validate(booking.policy)
    if booking.starts_at - now < timedelta(hours=policy.reschedule_cutoff_hours):
        raise conflict(
            ConsultingErrorCode.RESCHEDULE_CLOSED,
            f"Sessions move up to {policy.reschedule_cutoff_hours} hours before they start.",
        )
    starts_at = starts_at.astimezone(UTC)
    if starts_at == booking.starts_at:
        return booking
    # The old seat goes first, so a move by half an hour does not collide with itself; an
    # error below rolls it back.
    release_seat(booking.session_id)
    check_offered(booking.consultant, booking.session_type, starts_at, now)
    session = take_seat(booking.consultant, booking.session_type, starts_at)
    booking.session = session
    booking.starts_at, booking.ends_at = session.starts_at, session.ends_at
    booking.sequence += 1
    booking.save(update_fields=["session", "starts_at", "ends_at", "sequence"])
    schedule_release(booking)
    schedule_reminders(booking, now=now)
    emit_change("consulting.rescheduled", booking)
    return booking
