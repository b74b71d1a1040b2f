"""Holding a slot while the buyer pays, booking it when paid, and letting a hold go.

A hold is a ``Booking`` (status ``held``) with a seat in a ``ConsultingSession`` and a
commerce custom offer the buyer puts in the cart and pays through the one checkout (escrow,
refunds and the ledger stay commerce's). PostgreSQL refuses a second active session whose
blocked time overlaps (the exclusion constraint), so of any number of buyers racing for a
slot one gets it and the others a ``slot_taken`` conflict; a group session's seats are
taken with one guarded UPDATE, never past its capacity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import BigIntegerField, Case, F, Func, Value, When
from django.utils import timezone
from psycopg.errors import DeadlockDetected

from core import events
from core.accounts.models import User
from core.catalog.models import ProductStatus
from core.commerce.models import CustomOffer, OfferStatus, OrderLine, OrderStatus
from core.commerce.services.checkout import UNPAID_ORDER_MINUTES
from core.commerce.services.offers import create_offer
from core.deadlines.services import cancel_deadline, schedule_deadline
from core.integrations.services.webhooks import emit_webhook
from modules.consulting.errors import (
    ConsultingError,
    ConsultingErrorCode,
    conflict,
    invalid,
    not_found,
)
from modules.consulting.manifest import ConsultingSettings, manifest
from modules.consulting.models import (
    Booking,
    BookingStatus,
    ConsultantProfile,
    ConsultingSession,
    SessionType,
)
from modules.consulting.services.availability import availability_of, check_zone
from modules.consulting.services.rebook import give_back_offer, reserve_offer, retake_offer
from modules.consulting.services.reminders import cancel_reminders, schedule_reminders
from modules.consulting.slots import Slot, Taken, free_slots
from tenants.selectors import current_tenant_row

HOLD_TASK = "consulting.hold_expiry"
RELEASE_TASK = "consulting.release_escrow"


def current_bounds() -> ConsultingSettings:
    return manifest.settings_for(current_tenant_row())


def hold_key(booking_id: int) -> str:
    return f"consulting:hold:{booking_id}"


def release_key(booking_id: int) -> str:
    return f"consulting:release:{booking_id}"


class Epoch(Func):
    """Whole epoch seconds of a timestamp, computed by PostgreSQL: sessions start and end on
    whole minutes, and an integer costs nothing to read (a timestamp is parsed in Python)."""

    template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
    output_field = BigIntegerField()


def taken_around(profile: ConsultantProfile, start: datetime, end: datetime) -> list[Taken]:
    """Active sessions near ``start``..``end``: those whose blocked time reaches a day into
    it (a slot's buffers are shorter), or a week either side for a weekly cap (two days for
    a daily one: the consultant's day may straddle the buyer's)."""
    days = 8 if profile.max_per_week is not None else 2 if profile.max_per_day is not None else 1
    rows = ConsultingSession.objects.filter(
        consultant=profile,
        is_active=True,
        blocked_until__gt=start - timedelta(days=days),
        blocked_from__lt=end + timedelta(days=days),
    ).values_list(
        Epoch(F("starts_at")),
        Epoch(F("ends_at")),
        Epoch(F("blocked_from")),
        Epoch(F("blocked_until")),
        "session_type_id",
        "capacity",
        "seats_taken",
    )
    return [
        Taken(
            starts_at=datetime.fromtimestamp(starts, UTC),
            ends_at=datetime.fromtimestamp(ends, UTC),
            buffer_before=(starts - blocked_from) // 60,
            buffer_after=(blocked_until - ends) // 60,
            session_type_id=type_id,
            seats_left=capacity - seats if capacity > 1 else 0,
        )
        for starts, ends, blocked_from, blocked_until, type_id, capacity, seats in rows
    ]


def slots_for(
    *,
    session_type: SessionType,
    buyer_zone: str,
    first_day: date,
    last_day: date,
    now: datetime | None = None,
) -> list[Slot]:
    """The free slots of ``session_type`` starting on those days of the buyer's calendar."""
    check_zone(buyer_zone, "time_zone")
    if last_day < first_day or (last_day - first_day).days > 62:
        raise invalid(ConsultingErrorCode.SLOT_UNAVAILABLE, "to", "At most 62 days at a time.")
    profile = session_type.consultant
    zone = ZoneInfo(buyer_zone)
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return free_slots(
        availability_of(profile),
        minutes=session_type.minutes,
        seats=session_type.seats,
        session_type_id=session_type.pk,
        taken=taken_around(profile, start, end),
        now=now or timezone.now(),
        buyer_zone=buyer_zone,
        first_day=first_day,
        last_day=last_day,
    )


def _expire_stale_holds(profile: ConsultantProfile, now: datetime) -> None:
    """Holds past their time give their seats back before anyone is refused a slot (the
    deadline would too, a little later)."""
    stale = Booking.objects.filter(
        consultant=profile, status=BookingStatus.HELD, hold_expires_at__lte=now
    ).values_list("pk", flat=True)
    for booking_id in list(stale):
        expire_hold(booking_id=booking_id, now=now)


def _take_seat(
    profile: ConsultantProfile, session_type: SessionType, starts_at: datetime
) -> ConsultingSession:
    """A seat in the session at ``starts_at``: a new session, or a seat of an existing group
    session of this type. PostgreSQL decides who gets a contested slot."""
    for attempt in range(SEAT_ATTEMPTS):
        if session_type.seats > 1:
            joined = _join(profile, session_type, starts_at)
            if joined is not None:
                return joined
        try:
            return _new_session(profile, session_type, starts_at)
        except IntegrityError:
            # Another active session overlaps: a rival committed first (we waited for it).
            if session_type.seats > 1:
                joined = _join(profile, session_type, starts_at)
                if joined is not None:
                    return joined
            break
        except OperationalError as exc:
            # Two buyers inserting the same slot at the same instant can each find the other's
            # uncommitted session and wait for it; PostgreSQL breaks that deadlock by failing
            # one of them. That buyer tries again (now waiting for the survivor) instead of
            # meeting a server error.
            if not isinstance(exc.__cause__, DeadlockDetected) or attempt == SEAT_ATTEMPTS - 1:
                raise
    raise conflict(ConsultingErrorCode.SLOT_TAKEN, "This slot was just taken. Please pick another.")


SEAT_ATTEMPTS = 3


def _new_session(
    profile: ConsultantProfile, session_type: SessionType, starts_at: datetime
) -> ConsultingSession:
    ends_at = starts_at + timedelta(minutes=session_type.minutes)
    with transaction.atomic():
        return ConsultingSession.objects.create(
            consultant=profile,
            session_type=session_type,
            starts_at=starts_at,
            ends_at=ends_at,
            blocked_from=starts_at - timedelta(minutes=profile.buffer_before),
            blocked_until=ends_at + timedelta(minutes=profile.buffer_after),
            capacity=session_type.seats,
            seats_taken=1,
        )


def _join(
    profile: ConsultantProfile, session_type: SessionType, starts_at: datetime
) -> ConsultingSession | None:
    session = ConsultingSession.objects.filter(
        consultant=profile, session_type=session_type, starts_at=starts_at, is_active=True
    ).first()
    if session is None:
        return None
    taken = ConsultingSession.objects.filter(
        pk=session.pk, is_active=True, seats_taken__lt=F("capacity")
    ).update(seats_taken=F("seats_taken") + 1)
    if not taken:
        raise conflict(ConsultingErrorCode.SESSION_FULL, "This group session is full.")
    return session


def take_seat(
    profile: ConsultantProfile, session_type: SessionType, starts_at: datetime
) -> ConsultingSession:
    return _take_seat(profile, session_type, starts_at)


def release_seat(session_id: int) -> None:
    """One seat back; a session with none taken leaves the calendar."""
    ConsultingSession.objects.filter(pk=session_id, seats_taken__gt=0).update(
        seats_taken=F("seats_taken") - 1,
        is_active=Case(When(seats_taken__gt=1, then=Value(True)), default=Value(False)),
    )


def check_offered(
    profile: ConsultantProfile, session_type: SessionType, starts_at: datetime, now: datetime
) -> None:
    """Refuse a start that is not one of the free slots right now (stale holds let go
    first; with caps, this consultant's bookings take turns, as caps count sessions)."""
    if profile.max_per_day is not None or profile.max_per_week is not None:
        ConsultantProfile.objects.select_for_update().filter(pk=profile.pk).first()
    _expire_stale_holds(profile, now)
    local = starts_at.astimezone(ZoneInfo(profile.time_zone)).date()
    offered = slots_for(
        session_type=session_type,
        buyer_zone=profile.time_zone,
        first_day=local,
        last_day=local,
        now=now,
    )
    if not any(slot.starts_at == starts_at for slot in offered):
        raise conflict(
            ConsultingErrorCode.SLOT_UNAVAILABLE, "This slot is not available. Pick another."
        )


@transaction.atomic
def hold_slot(
    *,
    buyer: User,
    session_type_id: int,
    starts_at: datetime,
    buyer_zone: str = "UTC",
    now: datetime | None = None,
    rebook_offer_id: int | None = None,
) -> Booking:
    """Hold the slot starting at ``starts_at`` for ``buyer`` and price it as a custom offer
    for their cart. Refused unless it is one of the free slots right now. With
    ``rebook_offer_id`` (the consultant's "book again" offer to this buyer for this session
    type) the hold takes the offer's price and uses the offer up (given back if the hold
    expires unpaid)."""
    now = now or timezone.now()
    check_zone(buyer_zone, "time_zone")
    session_type = (
        SessionType.objects.select_related("consultant__seller", "product")
        .filter(pk=session_type_id, is_active=True, product__status=ProductStatus.PUBLISHED)
        .first()
    )
    if session_type is None:
        raise not_found("No such session type.")
    profile = session_type.consultant
    if profile.seller.owner_id == buyer.pk:
        raise invalid(ConsultingErrorCode.SLOT_UNAVAILABLE, "session_type_id", "Not your own.")
    starts_at = starts_at.astimezone(UTC)
    rebook = None
    if rebook_offer_id is not None:
        rebook = reserve_offer(
            buyer=buyer, offer_id=rebook_offer_id, session_type=session_type, now=now
        )
    price = session_type.price if rebook is None else rebook.price
    check_offered(profile, session_type, starts_at, now)
    session = _take_seat(profile, session_type, starts_at)
    bounds = current_bounds()
    expires_at = now + timedelta(minutes=bounds.hold_minutes)
    offer = create_offer(
        seller=profile.seller,
        buyer_email=buyer.email,
        product_id=session_type.product_id,
        variant_id=None,
        title=f"{session_type.product.name}, {starts_at:%Y-%m-%d %H:%M} UTC"[:160],
        description=session_type.description[:4000],
        amount=price,
        currency=session_type.currency,
        quantity=1,
        expires_at=expires_at,
    )
    booking = Booking.objects.create(
        session=session,
        session_type=session_type,
        consultant=profile,
        buyer=buyer,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        offer=offer,
        hold_expires_at=expires_at,
        amount=price,
        currency=session_type.currency,
        policy=dict(profile.policy),
        reminder_minutes=list(profile.reminder_minutes or []),
        buyer_zone=buyer_zone,
        rebook_offer=rebook,
    )
    schedule_deadline(
        key=hold_key(booking.pk), at=expires_at, task=HOLD_TASK, payload={"booking_id": booking.pk}
    )
    return booking


def _pending_order_line(booking: Booking) -> OrderLine | None:
    return (
        OrderLine.objects.select_related("order")
        .filter(offer_id=booking.offer_id)
        .order_by("-id")
        .first()
    )


@transaction.atomic
def expire_hold(*, booking_id: int, now: datetime | None = None) -> bool:
    """Let a hold go once its time is up and nothing is being paid; while its order waits
    for payment it lives as long as the unpaid order does. True when it expired."""
    now = now or timezone.now()
    booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
    if booking is None or booking.status != BookingStatus.HELD or booking.hold_expires_at > now:
        return False
    line = _pending_order_line(booking)
    if line is not None and line.order.status == OrderStatus.PENDING_PAYMENT:
        until = line.order.created_at + timedelta(minutes=UNPAID_ORDER_MINUTES + 1)
        if until > now:
            booking.hold_expires_at = until
            booking.save(update_fields=["hold_expires_at"])
            schedule_deadline(
                key=hold_key(booking.pk),
                at=until,
                task=HOLD_TASK,
                payload={"booking_id": booking.pk},
            )
            return False
    if line is not None and line.order.status not in (
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.CANCELLED,
    ):
        return False  # paid: the fulfil hook books it
    booking.status = BookingStatus.EXPIRED
    booking.save(update_fields=["status"])
    release_seat(booking.session_id)
    CustomOffer.objects.filter(pk=booking.offer_id or 0, status=OfferStatus.OPEN).update(
        status=OfferStatus.WITHDRAWN
    )
    cancel_deadline(key=hold_key(booking.pk))
    if booking.rebook_offer_id is not None:
        give_back_offer(booking.rebook_offer_id)
    return True


def booking_paid(*, line_id: int) -> Booking | None:
    """The fulfil hook's work (commerce holds the order and line locks; idempotent): the
    hold becomes a booking, and escrow is released after the session unless disputed. A
    hold that expired before the payment arrived takes its slot again if it is still free;
    otherwise the booking is "lost" and the buyer refunded in full."""
    line = OrderLine.objects.get(pk=line_id)
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("consultant__seller")
        .filter(offer_id=line.offer_id)
        .first()
    )
    if booking is None or line.offer_id is None:
        return None
    if booking.order_line_id == line.pk:
        return booking
    booking.order_line = line
    if booking.status == BookingStatus.EXPIRED:
        session_type = SessionType.objects.get(pk=booking.session_type_id)
        try:
            with transaction.atomic():
                booking.session = _take_seat(booking.consultant, session_type, booking.starts_at)
                if booking.rebook_offer_id is not None:
                    retake_offer(booking.rebook_offer_id)
        except ConsultingError:  # taken or full: the slot is gone
            booking.status = BookingStatus.LOST
            booking.save(update_fields=["order_line", "status"])
            transaction.on_commit(lambda: refund_lost(booking_id=booking.pk))
            return booking
    booking.status = BookingStatus.BOOKED
    booking.save(update_fields=["order_line", "status", "session"])
    cancel_deadline(key=hold_key(booking.pk))
    schedule_release(booking)
    schedule_reminders(booking)
    emit_webhook(
        seller=booking.consultant.seller, event="consulting.booked", payload=as_payload(booking)
    )
    emit_change("consulting.booked", booking)
    return booking


def schedule_release(booking: Booking) -> None:
    hours = current_bounds().dispute_window_hours
    schedule_deadline(
        key=release_key(booking.pk),
        at=booking.ends_at + timedelta(hours=hours),
        task=RELEASE_TASK,
        payload={"booking_id": booking.pk},
    )


def refund_lost(*, booking_id: int) -> None:
    from core.commerce.services.escrow import refund_escrow

    booking = Booking.objects.get(pk=booking_id)
    if booking.order_line_id is None or booking.status != BookingStatus.LOST:
        return
    refund = refund_escrow(
        order_line_id=booking.order_line_id,
        reference=f"consulting-lost-{booking.pk}",
        reason="The slot was taken before the payment arrived.",
    )
    Booking.objects.filter(pk=booking.pk).update(refunded_amount=refund.amount)


def line_revoked(*, line_id: int) -> None:
    """The revoke hook: the line was refunded in full, so a booking still on the calendar
    leaves it (a buyer's own cancellation already did)."""
    booking = Booking.objects.select_for_update().filter(order_line_id=line_id).first()
    if booking is None or booking.status not in (BookingStatus.HELD, BookingStatus.BOOKED):
        return
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.cancelled_by = "system"
    booking.sequence += 1
    booking.save(update_fields=["status", "cancelled_at", "cancelled_by", "sequence"])
    release_seat(booking.session_id)
    cancel_deadline(key=release_key(booking.pk))
    cancel_reminders(booking)
    emit_change("consulting.cancelled", booking)


def emit_change(event_type: str, booking: Booking) -> None:
    """An outbox event for the booking's consumers (invites, notifications, reminders):
    ``consulting.booked``, ``consulting.rescheduled`` or ``consulting.cancelled``, carrying
    the booking's SEQUENCE at that change so a replayed event sends the same invite."""
    events.emit(
        event_type,
        {
            "booking_id": booking.pk,
            "seller_id": booking.consultant.seller_id,
            "buyer_id": booking.buyer_id,
            "sequence": booking.sequence,
            "starts_at": booking.starts_at.isoformat(),
            "ends_at": booking.ends_at.isoformat(),
            "cancelled_by": booking.cancelled_by,
        },
    )


def as_payload(booking: Booking) -> dict[str, Any]:
    return {
        "booking_id": booking.pk,
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
        "status": booking.status,
    }
