"""Holding and booking: a hold is priced as a custom offer and paid through commerce's
checkout, escrowed; the paid line books the slot, which no one else is offered; an unpaid
hold expires (but lives while its order waits for payment); PostgreSQL itself refuses
overlapping sessions; caps per day and group seats are respected."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.commerce.models import CustomOffer, LineStatus, OfferStatus, OrderStatus, Refund
from core.commerce.services.cart import add_offer, get_or_create_cart
from core.commerce.services.payment_events import expire_unpaid_orders
from core.deadlines.models import Deadline
from core.deadlines.sweep import sweep_due_deadlines
from core.payments.providers.sandbox import DECLINED_CARD
from modules.consulting.errors import ConsultingError, ConsultingErrorCode
from modules.consulting.models import Booking, BookingStatus, ConsultingSession, SessionType
from modules.consulting.services.booking import expire_hold, hold_slot, slots_for
from modules.consulting.tests.helpers import (
    T0,
    free,
    hold,
    make_consultant,
    make_session_type,
    pay,
    pay_cart,
    refreshed,
)
from tests.accounts_helpers import make_user

WEDNESDAY = date(2026, 12, 9)
TEN_UTC = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # 11:00 in Berlin


def test_a_paid_hold_books_the_slot_in_escrow_and_nobody_else_gets_it(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    assert TEN_UTC in [slot.starts_at for slot in free(c.tenant, c.session_type, WEDNESDAY)]

    booking = hold(c.tenant, c.buyer, c.session_type, TEN_UTC)
    assert booking.status == BookingStatus.HELD
    assert booking.ends_at - booking.starts_at == timedelta(hours=1)
    assert TEN_UTC not in [slot.starts_at for slot in free(c.tenant, c.session_type, WEDNESDAY)]
    with schema_context(c.tenant.schema_name):
        offer = CustomOffer.objects.get(pk=booking.offer_id)
        assert (offer.amount, offer.currency, offer.buyer_id) == (10000, "USD", c.buyer.pk)

    order = pay(c.tenant, c.buyer, booking, django_capture_on_commit_callbacks)

    booked = refreshed(c.tenant, booking)
    assert booked.status == BookingStatus.BOOKED
    assert booked.order_line is not None and booked.order_line.order_id == order.pk
    assert booked.order_line.is_escrow and booked.order_line.status == LineStatus.FULFILLED
    with schema_context(c.tenant.schema_name):
        release = Deadline.objects.get(key=f"consulting:release:{booking.pk}")
        assert release.at == booked.ends_at + timedelta(hours=48)
    with pytest.raises(ConsultingError) as refused:
        hold(c.tenant, c.other_buyer, c.session_type, TEN_UTC)
    assert refused.value.code == ConsultingErrorCode.SLOT_UNAVAILABLE
    # The 90-minute workshop may not overlap it either (one consultant, one calendar).
    workshop_starts = [slot.starts_at for slot in free(c.tenant, c.workshop, WEDNESDAY)]
    assert datetime(2026, 12, 9, 9, 30, tzinfo=UTC) not in workshop_starts
    assert datetime(2026, 12, 9, 11, 0, tzinfo=UTC) in workshop_starts


def test_buffers_keep_the_consultants_breaks_around_a_booking(make_tenant, time_machine):
    time_machine.move_to(T0, tick=False)
    tenant = make_tenant("buffered", modules=["consulting"]).tenant
    seller, profile = make_consultant(tenant, "cleo", buffer_before=15, buffer_after=30)
    call = make_session_type(tenant, profile, seller, "Call")
    buyer = make_user(tenant, "b@example.com")
    hold(tenant, buyer, call, TEN_UTC)
    starts = {slot.starts_at for slot in free(tenant, call, WEDNESDAY)}
    # 10:00-11:00 blocks 09:45-11:30; a new call blocks its own 15 minutes before and 30
    # after, and blocked times never overlap.
    assert datetime(2026, 12, 9, 8, 0, tzinfo=UTC) in starts  # blocks 07:45-09:30
    assert datetime(2026, 12, 9, 8, 30, tzinfo=UTC) not in starts  # blocks until 10:00
    assert datetime(2026, 12, 9, 11, 30, tzinfo=UTC) not in starts  # blocks from 11:15
    assert datetime(2026, 12, 9, 12, 0, tzinfo=UTC) in starts  # blocks from 11:45


def test_postgresql_refuses_overlapping_active_sessions_of_one_consultant(consulting):
    c = consulting
    with schema_context(c.tenant.schema_name):

        def session(start: datetime, minutes: int = 60, **fields: object) -> ConsultingSession:
            end = start + timedelta(minutes=minutes)
            values = {
                "consultant": c.profile,
                "session_type": c.session_type,
                "starts_at": start,
                "ends_at": end,
                "blocked_from": start - timedelta(minutes=10),
                "blocked_until": end + timedelta(minutes=10),
                "seats_taken": 1,
                **fields,
            }
            with transaction.atomic():
                return ConsultingSession.objects.create(**values)

        session(TEN_UTC)
        for start in (TEN_UTC, TEN_UTC + timedelta(minutes=30), TEN_UTC + timedelta(minutes=79)):
            with pytest.raises(IntegrityError, match="consulting_no_double_booking"):
                session(start)
        session(TEN_UTC + timedelta(minutes=80))  # the blocked times only touch
        session(TEN_UTC, is_active=False)  # a cancelled session blocks nothing
        other = make_consultant(c.tenant, "cy")[1]
        session(TEN_UTC, consultant=other)  # another consultant's calendar
        with pytest.raises(IntegrityError, match="consulting_session_valid"):
            session(TEN_UTC + timedelta(days=1), seats_taken=2)  # capacity 1


def test_an_unpaid_hold_expires_and_frees_the_slot(consulting, time_machine):
    c = consulting
    booking = hold(c.tenant, c.buyer, c.session_type, TEN_UTC)
    assert booking.hold_expires_at == T0 + timedelta(minutes=15)
    with schema_context(c.tenant.schema_name):
        assert sweep_due_deadlines(now=T0 + timedelta(minutes=14)).fired == 0
        time_machine.move_to(T0 + timedelta(minutes=16), tick=False)
        assert sweep_due_deadlines(now=T0 + timedelta(minutes=16)).fired == 1
        assert CustomOffer.objects.get(pk=booking.offer_id).status == OfferStatus.WITHDRAWN
        assert not ConsultingSession.objects.filter(is_active=True).exists()
    assert refreshed(c.tenant, booking).status == BookingStatus.EXPIRED
    assert TEN_UTC in [slot.starts_at for slot in free(c.tenant, c.session_type, WEDNESDAY)]
    again = hold(c.tenant, c.other_buyer, c.session_type, TEN_UTC)
    assert again.status == BookingStatus.HELD


def test_a_stale_hold_gives_way_even_before_its_deadline_fires(consulting, time_machine):
    c = consulting
    first = hold(c.tenant, c.buyer, c.session_type, TEN_UTC)
    time_machine.move_to(T0 + timedelta(minutes=20), tick=False)
    second = hold(c.tenant, c.other_buyer, c.session_type, TEN_UTC)
    assert refreshed(c.tenant, first).status == BookingStatus.EXPIRED
    assert second.status == BookingStatus.HELD


def test_a_hold_lives_as_long_as_its_unpaid_order(
    consulting, time_machine, django_capture_on_commit_callbacks
):
    c = consulting
    booking = hold(c.tenant, c.buyer, c.session_type, TEN_UTC)
    time_machine.move_to(T0 + timedelta(minutes=10), tick=False)
    order = pay(c.tenant, c.buyer, booking, django_capture_on_commit_callbacks, card=DECLINED_CARD)
    assert order.status == OrderStatus.PENDING_PAYMENT

    time_machine.move_to(T0 + timedelta(minutes=16), tick=False)
    with schema_context(c.tenant.schema_name):
        assert not expire_hold(booking_id=booking.pk)
    held = refreshed(c.tenant, booking)
    assert held.status == BookingStatus.HELD
    assert held.hold_expires_at == order.created_at + timedelta(minutes=31)
    assert TEN_UTC not in [slot.starts_at for slot in free(c.tenant, c.session_type, WEDNESDAY)]

    time_machine.move_to(T0 + timedelta(minutes=45), tick=False)
    with schema_context(c.tenant.schema_name):
        assert expire_unpaid_orders(older_than_minutes=30) == 1
        sweep_due_deadlines(now=T0 + timedelta(minutes=45))
    assert refreshed(c.tenant, booking).status == BookingStatus.EXPIRED
    assert TEN_UTC in [slot.starts_at for slot in free(c.tenant, c.session_type, WEDNESDAY)]


def test_a_payment_after_the_hold_expired_books_the_slot_if_still_free(
    consulting, time_machine, django_capture_on_commit_callbacks
):
    c = consulting
    booking = hold(c.tenant, c.buyer, c.session_type, TEN_UTC)
    with schema_context(c.tenant.schema_name):
        # The offer is already in the cart (it stays open until the hold expires)...
        add_offer(
            cart=get_or_create_cart(buyer=c.buyer, token=None),
            buyer=c.buyer,
            offer_id=int(booking.offer_id or 0),
        )
        Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.EXPIRED)
        ConsultingSession.objects.filter(pk=booking.session_id).update(
            is_active=False, seats_taken=0
        )
    # ...and paid: the fulfil hook takes the slot again.
    with schema_context(c.tenant.schema_name):
        CustomOffer.objects.filter(pk=booking.offer_id).update(status=OfferStatus.OPEN)
    pay_cart(c.tenant, c.buyer, django_capture_on_commit_callbacks)
    assert refreshed(c.tenant, booking).status == BookingStatus.BOOKED


def test_a_payment_after_the_slot_went_to_someone_else_is_refunded_in_full(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    booking = hold(c.tenant, c.buyer, c.session_type, TEN_UTC)
    with schema_context(c.tenant.schema_name):
        add_offer(
            cart=get_or_create_cart(buyer=c.buyer, token=None),
            buyer=c.buyer,
            offer_id=int(booking.offer_id or 0),
        )
        expire_hold(booking_id=booking.pk, now=booking.hold_expires_at)
        CustomOffer.objects.filter(pk=booking.offer_id).update(status=OfferStatus.OPEN)
    rival = hold(c.tenant, c.other_buyer, c.session_type, TEN_UTC)

    order = pay_cart(c.tenant, c.buyer, django_capture_on_commit_callbacks)

    lost = refreshed(c.tenant, booking)
    assert (lost.status, lost.refunded_amount) == (BookingStatus.LOST, 10000)
    assert lost.order_line is not None and lost.order_line.refunded_amount == 10000
    with schema_context(c.tenant.schema_name):
        assert Refund.objects.filter(order_id=order.pk).count() == 1
    assert refreshed(c.tenant, rival).status == BookingStatus.HELD


def test_a_day_cap_closes_the_rest_of_that_day(make_tenant, time_machine):
    time_machine.move_to(T0, tick=False)
    tenant = make_tenant("capped", modules=["consulting"]).tenant
    seller, profile = make_consultant(tenant, "dora", max_per_day=1, max_per_week=2)
    call = make_session_type(tenant, profile, seller, "Call")
    buyer = make_user(tenant, "b@example.com")
    hold(tenant, buyer, call, TEN_UTC)
    assert free(tenant, call, WEDNESDAY) == []
    with pytest.raises(ConsultingError):
        hold(tenant, buyer, call, TEN_UTC + timedelta(hours=3))
    thursday, friday = WEDNESDAY + timedelta(days=1), WEDNESDAY + timedelta(days=2)
    hold(tenant, buyer, call, datetime(2026, 12, 10, 10, 0, tzinfo=UTC))
    assert free(tenant, call, friday) == []  # two this week
    assert free(tenant, call, friday + timedelta(days=3)) != []  # next Monday
    assert free(tenant, call, thursday) == []


def test_group_seats_are_counted_and_never_oversold(consulting):
    c = consulting
    start = datetime(2026, 12, 9, 13, 0, tzinfo=UTC)
    buyers = [c.buyer, c.other_buyer, make_user(c.tenant, "third@example.com")]
    for index, buyer in enumerate(buyers):
        seats = {s.starts_at: s.seats_left for s in free(c.tenant, c.workshop, WEDNESDAY)}
        assert seats[start] == 3 - index
        hold(c.tenant, buyer, c.workshop, start)
    assert start not in [s.starts_at for s in free(c.tenant, c.workshop, WEDNESDAY)]
    with pytest.raises(ConsultingError) as full:
        hold(c.tenant, make_user(c.tenant, "fourth@example.com"), c.workshop, start)
    assert full.value.kind == "conflict"
    with schema_context(c.tenant.schema_name):
        session = ConsultingSession.objects.get(is_active=True)
        assert (session.seats_taken, session.capacity) == (3, 3)
        assert Booking.objects.filter(session=session).count() == 3


def test_the_consultant_cannot_book_themselves_and_unknown_types_are_not_found(consulting):
    c = consulting
    with schema_context(c.tenant.schema_name):
        owner = User.objects.get(pk=c.seller.owner_id)
    with pytest.raises(ConsultingError) as own:
        hold(c.tenant, owner, c.session_type, TEN_UTC)
    assert own.value.kind == "invalid"
    with schema_context(c.tenant.schema_name), pytest.raises(ConsultingError) as missing:
        hold_slot(buyer=c.buyer, session_type_id=987654, starts_at=TEN_UTC)
    assert missing.value.kind == "not_found"


def test_slots_for_a_month_cost_a_fixed_number_of_queries(
    consulting, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    c = consulting
    for day in (9, 10, 11, 14, 15):
        booking = hold(c.tenant, c.buyer, c.session_type, datetime(2026, 12, day, 10, tzinfo=UTC))
        pay(c.tenant, c.buyer, booking, django_capture_on_commit_callbacks)
    with schema_context(c.tenant.schema_name):
        session_type = SessionType.objects.select_related("consultant").get(pk=c.session_type.pk)
        with django_assert_max_num_queries(3):  # rules, overrides, sessions
            slots = slots_for(
                session_type=session_type,
                buyer_zone="Asia/Kolkata",
                first_day=date(2026, 12, 8),
                last_day=date(2027, 1, 7),
            )
    assert len(slots) > 100
    assert datetime(2026, 12, 9, 10, tzinfo=UTC) not in [s.starts_at for s in slots]
