"""The consultant's "book again" offer after a session: one of their active session types at
a price of their choosing (at most the session type's), with a message, for 1-60 days. The
buyer follows the link to the session type's product page (``?rebook=<offer id>``) and the
hold made from it takes the offer's price (``booking.hold_slot(rebook_offer_id=...)``).

An offer is used once: the hold reserves it with one guarded UPDATE (unused and unexpired),
so of two holds racing for it one gets it; a hold that expires unpaid gives it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.accounts.models import User
from core.catalog.models import ProductStatus
from core.money import Money
from core.notifications.services.notify import notify
from core.sellers.models import Seller
from modules.consulting.errors import (
    ConsultingError,
    ConsultingErrorCode,
    conflict,
    invalid,
    not_found,
)
from modules.consulting.models import Booking, BookingStatus, RebookOffer, SessionType

REBOOK_TYPE = "consulting.rebook_offer"
MIN_DAYS, MAX_DAYS = 1, 60
MAX_MESSAGE = 500
INVALID_REBOOK = ConsultingErrorCode.INVALID_REBOOK_OFFER
REBOOK_UNAVAILABLE = ConsultingErrorCode.REBOOK_OFFER_UNAVAILABLE


def invalid_offer(field: str, message: str) -> ConsultingError:
    return invalid(INVALID_REBOOK, field, message)


@dataclass(frozen=True)
class OfferData:
    session_type_id: int
    price: int
    message: str = ""
    expires_in_days: int = 14


def session_over(booking: Booking, now: datetime) -> bool:
    return booking.status == BookingStatus.COMPLETED or (
        booking.status == BookingStatus.BOOKED and booking.ends_at <= now
    )


def offerable_types(booking: Booking) -> QuerySet[SessionType]:
    """The consultant's session types a "book again" offer may name."""
    return (
        SessionType.objects.select_related("product")
        .filter(
            consultant_id=booking.consultant_id,
            is_active=True,
            product__status=ProductStatus.PUBLISHED,
        )
        .order_by("product__name", "id")
    )


def product_url(offer: RebookOffer) -> str:
    slug = offer.session_type.product.slug
    try:
        path = reverse("storefront:product", args=[slug])
    except NoReverseMatch:
        path = f"/p/{slug}/"
    return f"{path}?rebook={offer.pk}"


@transaction.atomic
def create_offer(
    *, seller: Seller, booking_id: int, data: OfferData, now: datetime | None = None
) -> RebookOffer:
    """The consultant offers the buyer of one of their past sessions to book again; the
    buyer is notified with the link. Another consultant's booking is not found."""
    now = now or timezone.now()
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("consultant__seller")
        .filter(pk=booking_id, consultant__seller=seller)
        .first()
    )
    if booking is None:
        raise not_found()
    if not session_over(booking, now):
        raise conflict(
            REBOOK_UNAVAILABLE, "A book-again offer can be sent once the session is over."
        )
    session_type = offerable_types(booking).filter(pk=data.session_type_id).first()
    if session_type is None:
        raise invalid(INVALID_REBOOK, "session_type_id", "Choose one of your active sessions.")
    if not 1 <= data.price <= session_type.price:
        raise invalid(
            INVALID_REBOOK,
            "price",
            f"Give a price from 0.01 up to {Money(session_type.price, session_type.currency)}"
            " (the session's own price).",
        )
    if not MIN_DAYS <= data.expires_in_days <= MAX_DAYS:
        raise invalid(
            INVALID_REBOOK,
            "expires_in_days",
            f"An offer lasts {MIN_DAYS} to {MAX_DAYS} days.",
        )
    message = data.message.strip()
    if len(message) > MAX_MESSAGE:
        raise invalid(INVALID_REBOOK, "message", f"At most {MAX_MESSAGE} characters.")
    offer = RebookOffer.objects.create(
        booking=booking,
        session_type=session_type,
        price=data.price,
        currency=session_type.currency,
        message=message,
        expires_at=now + timedelta(days=data.expires_in_days),
    )
    name = session_type.product.name
    notify(
        user_ids=[booking.buyer_id],
        type_key=REBOOK_TYPE,
        title=f"Book again: {name} for {Money(offer.price, offer.currency)}",
        body=(message or f"{booking.consultant.seller.business_name} invites you to book again.")[
            :500
        ],
        url=product_url(offer),
        data={"offer_id": offer.pk, "booking_id": booking.pk},
        dedupe_key=f"consulting:rebook:{offer.pk}",
    )
    return offer


def offers_of_seller(seller: Seller, *, booking_id: int | None = None) -> QuerySet[RebookOffer]:
    offers = RebookOffer.objects.select_related("session_type__product", "booking").filter(
        booking__consultant__seller=seller
    )
    if booking_id is not None:
        offers = offers.filter(booking_id=booking_id)
    return offers.order_by("-created_at", "-id")


def offers_of_buyer(
    buyer: User, *, booking_id: int | None = None, usable_at: datetime | None = None
) -> QuerySet[RebookOffer]:
    """The buyer's offers (only those still usable at ``usable_at`` when given)."""
    offers = RebookOffer.objects.select_related(
        "session_type__product", "booking__consultant__seller"
    ).filter(booking__buyer=buyer)
    if booking_id is not None:
        offers = offers.filter(booking_id=booking_id)
    if usable_at is not None:
        offers = offers.filter(used_at__isnull=True, expires_at__gt=usable_at)
    return offers.order_by("-created_at", "-id")


def usable_offer(buyer: User, offer_id: int, now: datetime | None = None) -> RebookOffer:
    """The buyer's offer, still usable (for the product page's price); otherwise refused."""
    offer = offers_of_buyer(buyer).filter(pk=offer_id).first()
    if offer is None:
        raise not_found("No such offer.")
    if offer.used_at is not None or offer.expires_at <= (now or timezone.now()):
        raise conflict(REBOOK_UNAVAILABLE, "This offer was used or has expired.")
    return offer


def reserve_offer(
    *, buyer: User, offer_id: int, session_type: SessionType, now: datetime
) -> RebookOffer:
    """Use the buyer's offer for a hold of ``session_type`` (in the hold's transaction, so
    a refused hold leaves it unused). Another buyer's offer is not found."""
    offer = RebookOffer.objects.filter(pk=offer_id, booking__buyer=buyer).first()
    if offer is None:
        raise not_found("No such offer.")
    if offer.session_type_id != session_type.pk:
        raise invalid(INVALID_REBOOK, "rebook_offer_id", "This offer is for another session.")
    taken = RebookOffer.objects.filter(
        pk=offer.pk, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not taken:
        raise conflict(REBOOK_UNAVAILABLE, "This offer was used or has expired.")
    offer.used_at = now
    return offer


def give_back_offer(offer_id: int) -> None:
    """A hold that expired unpaid returns its offer (usable again until it expires)."""
    RebookOffer.objects.filter(pk=offer_id).update(used_at=None)


def retake_offer(offer_id: int) -> None:
    """A payment arriving after its hold expired revives the booking: its offer is used."""
    RebookOffer.objects.filter(pk=offer_id, used_at__isnull=True).update(used_at=timezone.now())
