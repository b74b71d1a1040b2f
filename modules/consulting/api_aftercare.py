"""After a session (part of the module's API): no-show reports, the consultant's
confirmation of their own no-show, and "book again" offers.

``router`` joins the buyer router at ``/api/v1/consulting/``; ``seller_router`` the seller
router (the composition root authorises it with the manifest's permissions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from core.accounts.auth import user_auth
from core.accounts.principal import principal_of
from core.schemas import StrictSchema
from core.sellers.auth import authorised_seller
from modules.consulting.api_buyer import BookingOut, booking_dict
from modules.consulting.models import Booking, RebookOffer
from modules.consulting.services import booking as booking_service
from modules.consulting.services import no_show, rebook

router = Router(tags=["consulting"])
seller_router = Router(tags=["consulting"])


class NoShowIn(StrictSchema):
    reason: str = Field("", max_length=2000)


class NoShowOut(Schema):
    booking_id: int
    status: str
    no_show: str
    no_show_reported_at: datetime | None
    refunded_amount: int


class ConfirmedOut(NoShowOut):
    refunded: int


class OfferIn(StrictSchema):
    session_type_id: int
    price: int
    message: str = Field("", max_length=500)
    expires_in_days: int = 14


class OfferOut(Schema):
    id: int
    booking_id: int
    session_type_id: int
    title: str
    price: int
    currency: str
    message: str
    expires_at: datetime
    used_at: datetime | None
    usable: bool
    url: str


class OfferHoldIn(StrictSchema):
    starts_at: datetime
    time_zone: str = Field("UTC", max_length=64)


def no_show_dict(booking: Booking) -> dict[str, Any]:
    return {
        "booking_id": booking.pk,
        "status": booking.status,
        "no_show": booking.no_show,
        "no_show_reported_at": booking.no_show_reported_at,
        "refunded_amount": booking.refunded_amount,
    }


def offer_dict(offer: RebookOffer) -> dict[str, Any]:
    return {
        "id": offer.pk,
        "booking_id": offer.booking_id,
        "session_type_id": offer.session_type_id,
        "title": offer.session_type.product.name,
        "price": offer.price,
        "currency": offer.currency,
        "message": offer.message,
        "expires_at": offer.expires_at,
        "used_at": offer.used_at,
        "usable": offer.used_at is None and offer.expires_at > timezone.now(),
        "url": rebook.product_url(offer),
    }


# --- buyers -----------------------------------------------------------------------------------


@router.post(
    "/bookings/{booking_id}/no-show",
    response=NoShowOut,
    auth=user_auth,
    summary="Report that the consultant did not come (opens a dispute; escrow is frozen)",
)
def report_consultant_absent(
    request: HttpRequest, booking_id: int, payload: NoShowIn
) -> dict[str, Any]:
    booking = no_show.report_consultant_absent(
        buyer=principal_of(request).user, booking_id=booking_id, reason=payload.reason
    )
    return no_show_dict(booking)


@router.get(
    "/rebook-offers",
    response=list[OfferOut],
    auth=user_auth,
    summary="Your book-again offers (still usable ones unless include_used=true)",
)
def my_offers(request: HttpRequest, include_used: bool = False) -> list[dict[str, Any]]:
    user = principal_of(request).user
    offers = rebook.offers_of_buyer(user, usable_at=None if include_used else timezone.now())
    return [offer_dict(offer) for offer in offers[:100]]


@router.post(
    "/rebook-offers/{offer_id}/holds",
    response={201: BookingOut},
    auth=user_auth,
    summary="Hold a slot at the offer's price (the offer is used once)",
)
def hold_with_offer(
    request: HttpRequest, offer_id: int, payload: OfferHoldIn
) -> Status[dict[str, Any]]:
    user = principal_of(request).user
    offer = rebook.usable_offer(user, offer_id)
    booking = booking_service.hold_slot(
        buyer=user,
        session_type_id=offer.session_type_id,
        starts_at=payload.starts_at,
        buyer_zone=payload.time_zone,
        rebook_offer_id=offer.pk,
    )
    return Status(201, booking_dict(booking))


# --- consultants ------------------------------------------------------------------------------


@seller_router.post(
    "/bookings/{booking_id}/no-show",
    response=NoShowOut,
    summary="Report that the buyer did not come (escrow is still released on schedule)",
)
def report_buyer_absent(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    booking = no_show.report_buyer_absent(seller=authorised_seller(request), booking_id=booking_id)
    return no_show_dict(booking)


@seller_router.post(
    "/bookings/{booking_id}/no-show/confirm",
    response=ConfirmedOut,
    summary="Confirm that you did not come: the buyer is refunded in full, once",
)
def confirm_own_absence(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    done = no_show.confirm_consultant_absent(
        seller=authorised_seller(request), booking_id=booking_id
    )
    return {**no_show_dict(done.booking), "refunded": done.refunded}


@seller_router.post(
    "/bookings/{booking_id}/rebook-offers",
    response={201: OfferOut},
    summary="Offer the buyer of a past session to book again",
)
def create_offer(request: HttpRequest, booking_id: int, payload: OfferIn) -> Status[dict[str, Any]]:
    offer = rebook.create_offer(
        seller=authorised_seller(request),
        booking_id=booking_id,
        data=rebook.OfferData(
            session_type_id=payload.session_type_id,
            price=payload.price,
            message=payload.message,
            expires_in_days=payload.expires_in_days,
        ),
    )
    return Status(201, offer_dict(offer))


@seller_router.get("/rebook-offers", response=list[OfferOut], summary="Your book-again offers")
def offers(request: HttpRequest, booking_id: int | None = None) -> list[dict[str, Any]]:
    found = rebook.offers_of_seller(authorised_seller(request), booking_id=booking_id)
    return [offer_dict(offer) for offer in found[:200]]
