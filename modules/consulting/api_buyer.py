"""Buyers: free slots of a session type in their own zone, holding a slot (a custom offer
to put in the cart), their bookings and cancelling one under its policy."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from core.accounts.auth import user_auth
from core.accounts.principal import principal_of
from core.schemas import StrictSchema
from modules.consulting import selectors
from modules.consulting.models import Booking
from modules.consulting.services import booking as booking_service
from modules.consulting.services import cancellation, reschedule

router = Router(tags=["consulting"])


class SlotOut(Schema):
    starts_at: datetime
    ends_at: datetime
    seats_left: int


class HoldIn(StrictSchema):
    session_type_id: int
    starts_at: datetime
    time_zone: str = Field("UTC", max_length=64)
    # A consultant's "book again" offer of yours: its price instead of the list price.
    rebook_offer_id: int | None = None


class RescheduleIn(StrictSchema):
    starts_at: datetime


class BookingOut(Schema):
    id: int
    session_type_id: int
    title: str
    status: str
    starts_at: datetime
    ends_at: datetime
    amount: int
    currency: str
    offer_id: int | None
    hold_expires_at: datetime
    refunded_amount: int
    refund_if_cancelled_now: int


class CancelledOut(Schema):
    booking: BookingOut
    refunded: int


def booking_dict(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.pk,
        "session_type_id": booking.session_type_id,
        "title": booking.session_type.product.name,
        "status": booking.status,
        "starts_at": booking.starts_at,
        "ends_at": booking.ends_at,
        "amount": booking.amount,
        "currency": booking.currency,
        "offer_id": booking.offer_id,
        "hold_expires_at": booking.hold_expires_at,
        "refunded_amount": booking.refunded_amount,
        "refund_if_cancelled_now": cancellation.refund_preview(booking)
        if booking.status == "booked"
        else 0,
    }


@router.get(
    "/session-types/{session_type_id}/slots",
    response=list[SlotOut],
    summary="Free slots of a session type, in your time zone",
)
def slots(
    request: HttpRequest,
    session_type_id: int,
    start: date,
    end: date,
    time_zone: str = "UTC",
) -> list[Any]:
    session_type = selectors.bookable_session_type(session_type_id)
    return list(
        booking_service.slots_for(
            session_type=session_type, buyer_zone=time_zone, first_day=start, last_day=end
        )
    )


@router.post(
    "/holds",
    response={201: BookingOut},
    auth=user_auth,
    summary="Hold a slot while you pay: put the returned offer in your cart",
)
def hold(request: HttpRequest, payload: HoldIn) -> Status[dict[str, Any]]:
    booking = booking_service.hold_slot(
        buyer=principal_of(request).user,
        session_type_id=payload.session_type_id,
        starts_at=payload.starts_at,
        buyer_zone=payload.time_zone,
        rebook_offer_id=payload.rebook_offer_id,
    )
    return Status(201, booking_dict(booking))


@router.get("/bookings", response=list[BookingOut], auth=user_auth, summary="Your bookings")
def my_bookings(request: HttpRequest) -> list[dict[str, Any]]:
    return [booking_dict(b) for b in selectors.bookings_of(principal_of(request).user)[:200]]


@router.get(
    "/bookings/{booking_id}", response=BookingOut, auth=user_auth, summary="One of your bookings"
)
def my_booking(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    return booking_dict(selectors.booking_of(principal_of(request).user, booking_id))


@router.post(
    "/bookings/{booking_id}/cancel",
    response=CancelledOut,
    auth=user_auth,
    summary="Cancel a booked session; its policy decides the refund (once)",
)
def cancel(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    done = cancellation.cancel_by_buyer(buyer=principal_of(request).user, booking_id=booking_id)
    return {"booking": booking_dict(done.booking), "refunded": done.refunded}


@router.post(
    "/bookings/{booking_id}/reschedule",
    response=BookingOut,
    auth=user_auth,
    summary="Move a booked session to another free slot (before the policy's cut-off)",
)
def move(request: HttpRequest, booking_id: int, payload: RescheduleIn) -> dict[str, Any]:
    moved = reschedule.reschedule_by_buyer(
        buyer=principal_of(request).user, booking_id=booking_id, starts_at=payload.starts_at
    )
    return booking_dict(selectors.booking_of(principal_of(request).user, moved.pk))
