"""Policies that are enforced: the consultant's refund tiers (within the operator's bounds)
are snapshotted on the booking; a buyer's cancellation refunds the tier's share through
commerce exactly once and pays the consultant the rest out of escrow; cut-offs hold; escrow
is released after the session unless the buyer disputes; a full refund made in commerce
takes the booking off the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.commerce.models import LineStatus, OrderLine, Refund
from core.commerce.services.escrow import held_in_escrow
from core.commerce.services.refunds import refund_order
from core.deadlines.sweep import sweep_due_deadlines
from core.disputes.services import open_dispute
from core.payments import ledger
from modules.consulting.errors import ConsultingError, ConsultingErrorCode
from modules.consulting.manifest import ConsultingSettings
from modules.consulting.models import Booking, BookingStatus
from modules.consulting.services import availability
from modules.consulting.services.cancellation import cancel_by_buyer
from modules.consulting.services.policy import validated_policy
from modules.consulting.tests.helpers import T0, Consulting, free, hold, pay, refreshed
from tests.accounts_helpers import call, sign_in
from tests.commerce_helpers import account_balance, ledger_totals

WEDNESDAY = date(2026, 12, 9)
START = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # 50 hours after T0


def booked(c: Consulting, capture: Any) -> Booking:
    booking = hold(c.tenant, c.buyer, c.session_type, START)
    pay(c.tenant, c.buyer, booking, capture)
    done = refreshed(c.tenant, booking)
    assert done.status == BookingStatus.BOOKED
    return done


def line_of(c: Consulting, booking: Booking) -> OrderLine:
    assert booking.order_line_id is not None
    with schema_context(c.tenant.schema_name):
        return OrderLine.objects.select_related("order").get(pk=booking.order_line_id)


@pytest.mark.parametrize(
    ("cancel_at", "refunded"),
    [
        (T0, 10000),  # 50 h before: 100%
        (START - timedelta(hours=30), 5000),  # 30 h before: 50%
        (START - timedelta(hours=2), 0),  # 2 h before: nothing back
    ],
)
def test_a_buyer_cancellation_refunds_its_tier_once_and_pays_the_rest_to_the_consultant(
    consulting, django_capture_on_commit_callbacks, time_machine, cancel_at, refunded
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    time_machine.move_to(cancel_at, tick=False)
    payable = ledger.seller_payable(c.seller.pk)

    with schema_context(c.tenant.schema_name):
        done = cancel_by_buyer(buyer=c.buyer, booking_id=booking.pk)
        again = cancel_by_buyer(buyer=c.buyer, booking_id=booking.pk)

    assert (done.refunded, again.refunded) == (refunded, refunded)
    line = line_of(c, booking)
    assert line.refunded_amount == refunded
    with schema_context(c.tenant.schema_name):
        refunds = list(Refund.objects.filter(order_id=line.order_id))
        assert [r.amount for r in refunds] == ([refunded] if refunded else [])
        assert held_in_escrow(line, "USD") == 0
    # The consultant's share of what was kept (commission aside) is theirs now.
    kept = line.total - refunded
    assert done.released == kept * line.seller_net // line.total  # 0, 4500 or 9000
    assert account_balance(c.tenant, payable) == -done.released
    assert ledger_totals(c.tenant) == {"USD": 0}
    cancelled = refreshed(c.tenant, booking)
    assert (cancelled.status, cancelled.refunded_amount) == (BookingStatus.CANCELLED, refunded)
    assert START in [slot.starts_at for slot in free(c.tenant, c.session_type, WEDNESDAY)]


def test_the_policy_is_the_one_in_force_when_the_slot_was_held(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    with schema_context(c.tenant.schema_name):
        availability.set_profile(
            seller=c.seller,
            data=availability.ProfileData(
                time_zone="Europe/Berlin", policy={"refund_tiers": [], "late_refund_percent": 0}
            ),
            bounds=ConsultingSettings(),
        )
        assert cancel_by_buyer(buyer=c.buyer, booking_id=booking.pk).refunded == 10000


def test_cut_offs_and_other_buyers(consulting, django_capture_on_commit_callbacks, time_machine):
    c = consulting
    with schema_context(c.tenant.schema_name):
        availability.set_profile(
            seller=c.seller,
            data=availability.ProfileData(
                time_zone="Europe/Berlin", policy={"cancellation_cutoff_hours": 24}
            ),
            bounds=ConsultingSettings(),
        )
    booking = booked(c, django_capture_on_commit_callbacks)
    with schema_context(c.tenant.schema_name), pytest.raises(ConsultingError) as theirs:
        cancel_by_buyer(buyer=c.other_buyer, booking_id=booking.pk)
    assert theirs.value.kind == "not_found"
    time_machine.move_to(START - timedelta(hours=23), tick=False)
    with schema_context(c.tenant.schema_name), pytest.raises(ConsultingError) as late:
        cancel_by_buyer(buyer=c.buyer, booking_id=booking.pk)
    assert late.value.code == ConsultingErrorCode.CANCELLATION_CLOSED
    assert refreshed(c.tenant, booking).status == BookingStatus.BOOKED


@pytest.mark.parametrize(
    ("policy", "bounds", "field"),
    [
        ({"refund_tiers": [[200, 100]]}, ConsultingSettings(), "policy"),
        ({"reschedule_cutoff_hours": 100}, ConsultingSettings(max_policy_hours=72), "policy"),
        ({"late_refund_percent": 0}, ConsultingSettings(min_late_refund_percent=10), None),
        ({"refund_tiers": [[24, 50], [48, 100]]}, ConsultingSettings(), "policy"),
        ({"refund_tiers": [[48, 50], [24, 100]]}, ConsultingSettings(), "policy"),
        ({"refund_tiers": [[48, 150]]}, ConsultingSettings(), "policy"),
        ({"surprise": 1}, ConsultingSettings(), "policy"),
    ],
)
def test_a_policy_outside_the_operators_bounds_is_refused(policy, bounds, field):
    with pytest.raises(ConsultingError) as refused:
        validated_policy(policy, bounds)
    assert refused.value.kind == "invalid"
    assert refused.value.code == ConsultingErrorCode.INVALID_POLICY
    if field:
        assert refused.value.details == {"field": field}


def test_escrow_is_released_after_the_session_and_dispute_window(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    end = booking.ends_at
    with schema_context(c.tenant.schema_name):
        assert sweep_due_deadlines(now=booking.starts_at).fired == 2  # the two reminders
        assert sweep_due_deadlines(now=end + timedelta(hours=47)).fired == 0
        assert sweep_due_deadlines(now=end + timedelta(hours=48, minutes=1)).fired == 1
    line = line_of(c, booking)
    assert line.status == LineStatus.COMPLETED
    with schema_context(c.tenant.schema_name):
        assert held_in_escrow(line, "USD") == 0
    assert refreshed(c.tenant, booking).status == BookingStatus.COMPLETED
    assert ledger_totals(c.tenant) == {"USD": 0}


def test_a_disputed_session_keeps_its_escrow(consulting, django_capture_on_commit_callbacks):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    with schema_context(c.tenant.schema_name):
        open_dispute(
            user=c.buyer,
            order_line_id=int(booking.order_line_id or 0),
            kind="quality",
            reason="The consultant never showed up.",
        )
        sweep_due_deadlines(now=booking.ends_at + timedelta(hours=49))
    line = line_of(c, booking)
    with schema_context(c.tenant.schema_name):
        assert held_in_escrow(line, "USD") == line.seller_net == 9000  # commission 10%
    assert refreshed(c.tenant, booking).status == BookingStatus.BOOKED


def test_a_full_refund_in_commerce_takes_the_booking_off_the_calendar(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    line = line_of(c, booking)
    with schema_context(c.tenant.schema_name), django_capture_on_commit_callbacks(execute=True):
        refund_order(
            order_id=line.order_id,
            lines=None,
            reason="Operator refund",
            idempotency_key="operator-refund",
            actor=None,
            actor_label="operator",
        )
    cancelled = refreshed(c.tenant, booking)
    assert (cancelled.status, cancelled.cancelled_by) == (BookingStatus.CANCELLED, "system")
    assert START in [slot.starts_at for slot in free(c.tenant, c.session_type, WEDNESDAY)]


def test_a_consultant_cancelling_refunds_everything_once(
    consulting, client_for, django_capture_on_commit_callbacks
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    with schema_context(c.tenant.schema_name):
        owner = User.objects.get(pk=c.seller.owner_id)
        other_owner = User.objects.get(pk=c.other_seller.owner_id)
    consultant = client_for(c.tenant)
    assert sign_in(consultant, owner.email).status_code == 200
    stranger = client_for(c.tenant)
    assert sign_in(stranger, other_owner.email).status_code == 200
    path = f"/consulting/seller/bookings/{booking.pk}/cancel"

    assert call(stranger, "post", path).status_code == 404
    assert [b["id"] for b in call(consultant, "get", "/consulting/seller/bookings").json()] == [
        booking.pk
    ]
    first = call(consultant, "post", path)
    again = call(consultant, "post", path)

    assert first.status_code == again.status_code == 200, first.content
    assert first.json()["refunded_amount"] == again.json()["refunded_amount"] == 10000
    line = line_of(c, booking)
    assert line.refunded_amount == 10000
    with schema_context(c.tenant.schema_name):
        assert Refund.objects.filter(order_id=line.order_id).count() == 1
    assert ledger_totals(c.tenant) == {"USD": 0}
    assert START in [slot.starts_at for slot in free(c.tenant, c.session_type, WEDNESDAY)]
