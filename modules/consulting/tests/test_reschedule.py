"""Rescheduling under the snapshotted policy: a booked session moves to another free slot
(even one overlapping its old time), the old slot frees up, escrow's release moves with it;
within the cut-off, to a taken slot or someone else's booking, nothing changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from core.deadlines.models import Deadline
from modules.consulting.errors import ConsultingError, ConsultingErrorCode
from modules.consulting.models import BookingStatus, ConsultingSession
from modules.consulting.services.reschedule import reschedule_by_buyer
from modules.consulting.tests.helpers import free, hold, pay, refreshed

WEDNESDAY = date(2026, 12, 9)
TEN = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)


def test_a_booking_moves_to_a_free_slot_and_frees_the_old_one(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    booking = hold(c.tenant, c.buyer, c.session_type, TEN)
    pay(c.tenant, c.buyer, booking, django_capture_on_commit_callbacks)
    half_past = TEN + timedelta(minutes=30)  # overlaps the old time: still allowed

    with schema_context(c.tenant.schema_name):
        moved = reschedule_by_buyer(buyer=c.buyer, booking_id=booking.pk, starts_at=half_past)
        assert ConsultingSession.objects.filter(is_active=True).count() == 1
        release = Deadline.objects.get(key=f"consulting:release:{booking.pk}")
        assert release.at == half_past + timedelta(hours=49)

    assert (moved.starts_at, moved.ends_at) == (half_past, half_past + timedelta(hours=1))
    assert refreshed(c.tenant, booking).status == BookingStatus.BOOKED
    starts = [slot.starts_at for slot in free(c.tenant, c.session_type, WEDNESDAY)]
    assert half_past not in starts and TEN not in starts  # 10:00 would overlap 10:30
    assert TEN - timedelta(hours=1) in starts


def test_a_move_that_is_refused_changes_nothing(
    consulting, django_capture_on_commit_callbacks, time_machine
):
    c = consulting
    booking = hold(c.tenant, c.buyer, c.session_type, TEN)
    pay(c.tenant, c.buyer, booking, django_capture_on_commit_callbacks)
    taken = TEN + timedelta(hours=3)
    hold(c.tenant, c.other_buyer, c.session_type, taken)

    with schema_context(c.tenant.schema_name), pytest.raises(ConsultingError) as clash:
        reschedule_by_buyer(buyer=c.buyer, booking_id=booking.pk, starts_at=taken)
    assert clash.value.code == ConsultingErrorCode.SLOT_UNAVAILABLE
    with schema_context(c.tenant.schema_name), pytest.raises(ConsultingError) as theirs:
        reschedule_by_buyer(buyer=c.other_buyer, booking_id=booking.pk, starts_at=TEN)
    assert theirs.value.kind == "not_found"

    time_machine.move_to(TEN - timedelta(hours=23), tick=False)  # cut-off: 24 h
    with schema_context(c.tenant.schema_name), pytest.raises(ConsultingError) as late:
        reschedule_by_buyer(
            buyer=c.buyer, booking_id=booking.pk, starts_at=TEN + timedelta(hours=5)
        )
    assert late.value.code == ConsultingErrorCode.RESCHEDULE_CLOSED

    unchanged = refreshed(c.tenant, booking)
    assert unchanged.starts_at == TEN
    with schema_context(c.tenant.schema_name):
        assert ConsultingSession.objects.get(pk=unchanged.session_id).is_active
