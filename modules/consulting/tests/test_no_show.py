"""No-shows on both sides, reported from 10 minutes after the start until escrow is
released: the consultant's report leaves the release on schedule and tells the buyer; the
buyer's report opens a dispute that freezes the escrow; the consultant confirming their own
no-show refunds the buyer in full exactly once (through the dispute's decision, or through
escrow when nobody disputed), and the ledger stays balanced. Early, repeated, contradicting
or someone else's reports are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import OrderLine, Refund
from core.commerce.services.escrow import held_in_escrow
from core.deadlines.sweep import sweep_due_deadlines
from core.disputes.models import Dispute, DisputeStatus
from core.notifications.models import Notification
from modules.consulting.aftercare_context import aftercare_context
from modules.consulting.errors import ConsultingError, ConsultingErrorCode
from modules.consulting.models import Booking, BookingStatus
from modules.consulting.services import no_show
from modules.consulting.tests.helpers import Consulting, hold, pay, refreshed
from tests.commerce_helpers import ledger_totals

TEN = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # Wednesday; the session ends at 11:00
RELEASE = TEN + timedelta(hours=1, minutes=1) + timedelta(hours=48)


def booked(c: Consulting, capture: Any) -> Booking:
    booking = hold(c.tenant, c.buyer, c.session_type, TEN)
    pay(c.tenant, c.buyer, booking, capture)
    done = refreshed(c.tenant, booking)
    assert done.status == BookingStatus.BOOKED
    return done


def line_of(c: Consulting, booking: Booking) -> OrderLine:
    with schema_context(c.tenant.schema_name):
        return OrderLine.objects.select_related("order").get(pk=int(booking.order_line_id or 0))


def held(c: Consulting, booking: Booking) -> int:
    line = line_of(c, booking)
    with schema_context(c.tenant.schema_name):
        return held_in_escrow(line, "USD")


def notes(c: Consulting, user_id: int) -> list[Notification]:
    with schema_context(c.tenant.schema_name):
        return list(Notification.objects.filter(user_id=user_id, type_key="consulting.no_show"))


def test_the_consultant_reports_the_buyer_absent_and_is_still_paid_on_schedule(
    consulting, django_capture_on_commit_callbacks, time_machine
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    time_machine.move_to(TEN + timedelta(minutes=9), tick=False)
    with schema_context(c.tenant.schema_name), pytest.raises(ConsultingError) as early:
        no_show.report_buyer_absent(seller=c.seller, booking_id=booking.pk)
    assert early.value.code == ConsultingErrorCode.NO_SHOW_NOT_YET
    assert "10 minutes after the start" in early.value.message

    time_machine.move_to(TEN + timedelta(minutes=10), tick=False)
    with schema_context(c.tenant.schema_name):
        with pytest.raises(ConsultingError) as theirs:
            no_show.report_buyer_absent(seller=c.other_seller, booking_id=booking.pk)
        assert theirs.value.kind == "not_found"
        reported = no_show.report_buyer_absent(seller=c.seller, booking_id=booking.pk)
        with pytest.raises(ConsultingError) as twice:
            no_show.report_buyer_absent(seller=c.seller, booking_id=booking.pk)
        with pytest.raises(ConsultingError) as contradicted:
            no_show.confirm_consultant_absent(seller=c.seller, booking_id=booking.pk)
        with pytest.raises(ConsultingError) as buyer_after:
            no_show.report_consultant_absent(buyer=c.buyer, booking_id=booking.pk)
    assert (reported.no_show, reported.no_show_reported_at) == (
        "buyer",
        TEN + timedelta(minutes=10),
    )
    assert twice.value.code == ConsultingErrorCode.NO_SHOW_REPORTED
    assert "was reported already" in twice.value.message
    assert contradicted.value.message == "You reported that the buyer did not come."
    assert buyer_after.value.kind == "conflict"
    [told] = notes(c, c.buyer.pk)
    assert told.url.endswith(f"/consulting/bookings/{booking.pk}/")
    assert "open a dispute" in told.body
    assert notes(c, c.other_buyer.pk) == []
    with schema_context(c.tenant.schema_name):
        seen = aftercare_context(refreshed(c.tenant, booking), role="buyer")
    assert seen["no_show_label"].startswith("The consultant reported that you did not come")
    assert not seen["can_report"]

    with schema_context(c.tenant.schema_name):
        sweep_due_deadlines(now=RELEASE)
    assert refreshed(c.tenant, booking).status == BookingStatus.COMPLETED
    assert held(c, booking) == 0
    assert ledger_totals(c.tenant) == {"USD": 0}


def test_the_buyer_reports_the_consultant_absent_and_a_confirmation_refunds_once(
    consulting, django_capture_on_commit_callbacks, time_machine
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    time_machine.move_to(TEN + timedelta(minutes=30), tick=False)
    with schema_context(c.tenant.schema_name):
        with pytest.raises(ConsultingError) as theirs:
            no_show.report_consultant_absent(buyer=c.other_buyer, booking_id=booking.pk)
        assert theirs.value.kind == "not_found"
        no_show.report_consultant_absent(buyer=c.buyer, booking_id=booking.pk, reason="Nobody.")
        dispute = Dispute.objects.get(order_line_id=booking.order_line_id)
        assert (dispute.kind, dispute.status) == ("delivery", DisputeStatus.PENDING)
        # Frozen: the release after the window does nothing.
        sweep_due_deadlines(now=RELEASE)
    assert refreshed(c.tenant, booking).status == BookingStatus.BOOKED
    assert held(c, booking) == 9000  # the consultant's share; 10% commission
    [told] = notes(c, c.seller.owner_id)
    assert told.url.endswith(f"/studio/consulting/bookings/{booking.pk}/")

    time_machine.move_to(RELEASE + timedelta(hours=1), tick=False)
    with schema_context(c.tenant.schema_name):
        with pytest.raises(ConsultingError) as theirs:
            no_show.confirm_consultant_absent(seller=c.other_seller, booking_id=booking.pk)
        assert theirs.value.kind == "not_found"
        first = no_show.confirm_consultant_absent(seller=c.seller, booking_id=booking.pk)
        again = no_show.confirm_consultant_absent(seller=c.seller, booking_id=booking.pk)
        dispute.refresh_from_db()
        line = line_of(c, booking)
        refunds = list(
            Refund.objects.filter(order_id=line.order_id).values_list("amount", flat=True)
        )
        sweep_due_deadlines(now=RELEASE + timedelta(days=30))

    assert (first.refunded, again.refunded) == (10000, 10000)
    assert refunds == [10000]
    assert line.refunded_amount == 10000
    assert dispute.status == DisputeStatus.RESOLVED
    assert held(c, booking) == 0
    assert ledger_totals(c.tenant) == {"USD": 0}
    done = refreshed(c.tenant, booking)
    assert (done.status, done.cancelled_by, done.no_show) == (
        BookingStatus.CANCELLED,
        "consultant",
        "consultant",
    )
    assert done.refunded_amount == 10000
    assert "Refunded" in notes(c, c.buyer.pk)[-1].title
    with schema_context(c.tenant.schema_name):
        buyer_side = aftercare_context(done, role="buyer")
        consultant_side = aftercare_context(done, role="consultant")
    assert buyer_side["no_show_label"].startswith("The consultant confirmed they did not come")
    assert not (buyer_side["can_report"] or consultant_side["can_confirm"])


def test_a_consultant_owning_up_unasked_refunds_through_escrow_once(
    consulting, django_capture_on_commit_callbacks, time_machine
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    time_machine.move_to(TEN - timedelta(minutes=5), tick=False)
    with schema_context(c.tenant.schema_name), pytest.raises(ConsultingError) as early:
        no_show.confirm_consultant_absent(seller=c.seller, booking_id=booking.pk)
    assert "cancel it instead" in early.value.message

    time_machine.move_to(TEN + timedelta(hours=2), tick=False)
    with schema_context(c.tenant.schema_name), django_capture_on_commit_callbacks(execute=True):
        first = no_show.confirm_consultant_absent(seller=c.seller, booking_id=booking.pk)
    with schema_context(c.tenant.schema_name):
        again = no_show.confirm_consultant_absent(seller=c.seller, booking_id=booking.pk)
        line = line_of(c, booking)
        refunds = list(
            Refund.objects.filter(order_id=line.order_id).values_list("amount", flat=True)
        )
        sweep_due_deadlines(now=RELEASE)
    assert (first.refunded, again.refunded, refunds) == (10000, 10000, [10000])
    assert ledger_totals(c.tenant) == {"USD": 0}
    done = refreshed(c.tenant, booking)
    assert (done.status, done.no_show, done.refunded_amount) == (
        BookingStatus.CANCELLED,
        "consultant",
        10000,
    )


def test_no_report_after_the_escrow_release(
    consulting, django_capture_on_commit_callbacks, time_machine
):
    c = consulting
    booking = booked(c, django_capture_on_commit_callbacks)
    time_machine.move_to(TEN + timedelta(hours=49), tick=False)  # the end + 48 h
    with schema_context(c.tenant.schema_name):
        with pytest.raises(ConsultingError) as late:
            no_show.report_consultant_absent(buyer=c.buyer, booking_id=booking.pk)
        with pytest.raises(ConsultingError) as late_too:
            no_show.confirm_consultant_absent(seller=c.seller, booking_id=booking.pk)
    assert "too late" in late.value.message and "too late" in late_too.value.message
    assert late.value.code == late_too.value.code == ConsultingErrorCode.NO_SHOW_CLOSED
    with schema_context(c.tenant.schema_name):
        assert not Dispute.objects.exists()
