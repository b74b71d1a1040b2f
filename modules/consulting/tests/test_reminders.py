"""Reminders before a session: 24 h and 1 h before by default (the booking's snapshot), to
the buyer and the consultant in each one's zone, fired once by the deadline sweeper; none
for an instant already passed when the booking is made; moved with a reschedule, gone with a
cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django_tenants.utils import schema_context

from core.deadlines.models import Deadline, DeadlineStatus
from core.deadlines.sweep import sweep_due_deadlines
from core.notifications.models import Notification
from modules.consulting.models import Booking, BookingStatus
from modules.consulting.services.booking import hold_slot
from modules.consulting.services.cancellation import cancel_by_buyer, cancel_by_consultant
from modules.consulting.services.reminders import (
    reminder_key,
    schedule_label,
    send_reminder,
)
from modules.consulting.services.reschedule import reschedule_by_buyer
from modules.consulting.tests.helpers import T0, Consulting, pay, refreshed

TEN = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # Wednesday, 50 hours after T0
REMINDER = "consulting.reminder"


def booked(c: Consulting, capture: Any, starts_at: datetime = TEN) -> Booking:
    with schema_context(c.tenant.schema_name):
        held = hold_slot(
            buyer=c.buyer,
            session_type_id=c.session_type.pk,
            starts_at=starts_at,
            buyer_zone="America/New_York",
        )
    pay(c.tenant, c.buyer, held, capture)
    booking = refreshed(c.tenant, held)
    assert booking.status == BookingStatus.BOOKED
    return booking


def reminders(c: Consulting) -> list[Notification]:
    with schema_context(c.tenant.schema_name):
        return list(Notification.objects.filter(type_key=REMINDER).order_by("id"))


def test_both_sides_are_reminded_once_24_h_and_1_h_before_in_their_own_zones(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    assert booking.reminder_minutes == [1440, 60]
    assert schedule_label(booking) == "Reminders: 24 h and 1 h before"
    day_before = TEN - timedelta(hours=24)

    with schema_context(c.tenant.schema_name):
        sweep_due_deadlines(now=day_before - timedelta(seconds=1))
        assert reminders(c) == []
        sweep_due_deadlines(now=day_before)
        first = reminders(c)
        payload = Deadline.objects.get(key=reminder_key(booking.pk, 1440)).payload
        # A worker running the same deadline again reminds nobody twice.
        assert send_reminder(payload) == 0
        sweep_due_deadlines(now=day_before + timedelta(hours=1))

    assert len(first) == 2
    by_user = {n.user_id: n for n in first}
    buyer_note, consultant_note = by_user[c.buyer.pk], by_user[c.seller.owner_id]
    assert buyer_note.title == "Strategy call starts in 24 h"
    assert "Wed 9 Dec 2026, 05:00 (America/New_York)" in buyer_note.body
    assert "Wed 9 Dec 2026, 11:00 (Europe/Berlin)" in consultant_note.body
    assert buyer_note.url.endswith(f"/consulting/bookings/{booking.pk}/")
    assert consultant_note.url.endswith(f"/studio/consulting/bookings/{booking.pk}/")
    assert c.other_buyer.pk not in by_user
    assert len(reminders(c)) == 2

    with schema_context(c.tenant.schema_name):
        sweep_due_deadlines(now=TEN - timedelta(hours=1))
        sweep_due_deadlines(now=TEN)
    later = reminders(c)[2:]
    assert sorted(n.user_id for n in later) == sorted([c.buyer.pk, c.seller.owner_id])
    assert {n.title for n in later} == {"Strategy call starts in 1 h"}


def test_a_session_booked_inside_the_window_gets_no_before_reminder_for_it(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    three_hours_ahead = T0 + timedelta(hours=3)  # Monday 11:00 UTC
    booking = booked(c, django_capture_on_commit_callbacks, three_hours_ahead)

    with schema_context(c.tenant.schema_name):
        keys = set(
            Deadline.objects.filter(
                key__startswith=f"consulting:reminder:{booking.pk}:"
            ).values_list("key", flat=True)
        )
        assert keys == {reminder_key(booking.pk, 60)}
        sweep_due_deadlines(now=T0 + timedelta(minutes=1))
        assert reminders(c) == []
        sweep_due_deadlines(now=three_hours_ahead - timedelta(hours=1))
    assert [n.title for n in reminders(c)] == ["Strategy call starts in 1 h"] * 2


def test_reminders_move_with_a_reschedule_and_the_old_ones_stay_silent(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    with schema_context(c.tenant.schema_name):
        old_payload = Deadline.objects.get(key=reminder_key(booking.pk, 1440)).payload
    thursday = TEN + timedelta(days=1)

    with schema_context(c.tenant.schema_name):
        moved = reschedule_by_buyer(buyer=c.buyer, booking_id=booking.pk, starts_at=thursday)
        day_before = Deadline.objects.get(key=reminder_key(booking.pk, 1440))
        hour_before = Deadline.objects.get(key=reminder_key(booking.pk, 60))
        assert (day_before.at, hour_before.at) == (TEN, thursday - timedelta(hours=1))
        assert day_before.payload["sequence"] == moved.sequence == 1
        # A reminder of the old time (run late by a worker) says nothing.
        assert send_reminder(old_payload) == 0
        sweep_due_deadlines(now=TEN - timedelta(minutes=1))
        assert reminders(c) == []
        sweep_due_deadlines(now=TEN)
    assert {n.title for n in reminders(c)} == {"Strategy call starts in 24 h"}
    assert "Thu 10 Dec 2026, 05:00" in reminders(c)[0].body + reminders(c)[1].body


def test_a_move_into_the_window_drops_the_reminder_it_is_too_late_for(
    consulting, django_capture_on_commit_callbacks, time_machine
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks, TEN + timedelta(days=2))  # Friday
    time_machine.move_to(TEN - timedelta(hours=1), tick=False)  # Wednesday 09:00
    with schema_context(c.tenant.schema_name):
        # Friday 10:00 -> Thursday 08:30: 23.5 h ahead, past the 24-hour reminder.
        reschedule_by_buyer(
            buyer=c.buyer,
            booking_id=booking.pk,
            starts_at=TEN + timedelta(days=1) - timedelta(minutes=90),
        )
        statuses = dict(
            Deadline.objects.filter(
                key__in=[reminder_key(booking.pk, 1440), reminder_key(booking.pk, 60)]
            ).values_list("key", "status")
        )
    assert statuses == {
        reminder_key(booking.pk, 1440): DeadlineStatus.CANCELLED,
        reminder_key(booking.pk, 60): DeadlineStatus.PENDING,
    }


def test_a_cancelled_session_is_not_reminded(
    consulting, django_capture_on_commit_callbacks, time_machine
):
    c = consulting
    by_buyer = booked(c, django_capture_on_commit_callbacks)
    by_consultant = booked(c, django_capture_on_commit_callbacks, TEN + timedelta(hours=2))
    with schema_context(c.tenant.schema_name):
        cancel_by_buyer(buyer=c.buyer, booking_id=by_buyer.pk)
        cancel_by_consultant(seller=c.seller, booking_id=by_consultant.pk)
        pending = Deadline.objects.filter(
            key__startswith="consulting:reminder:", status=DeadlineStatus.PENDING
        )
        assert not pending.exists()
        sweep_due_deadlines(now=TEN + timedelta(days=1))
    assert reminders(c) == []
