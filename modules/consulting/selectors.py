"""Reads shared by the API and the pages. Everything is in the current marketplace's schema,
so another marketplace's bookings are out of reach by construction."""

from __future__ import annotations

from django.db.models import QuerySet

from core.accounts.models import User
from core.sellers.models import Seller
from modules.consulting.errors import not_found
from modules.consulting.models import Booking, SessionType


def bookings_of(buyer: User) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(buyer=buyer)
        .select_related("session_type__product")
        .order_by("-starts_at", "-id")
    )


def booking_of(buyer: User, booking_id: int) -> Booking:
    """One of ``buyer``'s bookings; another buyer's is not found, like one that does not exist."""
    booking = bookings_of(buyer).filter(pk=booking_id).first()
    if booking is None:
        raise not_found()
    return booking


def calendar_of(seller: Seller) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(consultant__seller=seller)
        .select_related("session_type__product")
        .order_by("starts_at", "id")
    )


def bookable_session_type(session_type_id: int) -> SessionType:
    session_type = (
        SessionType.objects.select_related("consultant", "product")
        .filter(pk=session_type_id, is_active=True, product__status="published")
        .first()
    )
    if session_type is None:
        raise not_found("No such session type.")
    return session_type


def session_types_of(seller: Seller) -> QuerySet[SessionType]:
    return SessionType.objects.filter(consultant__seller=seller).select_related("product")
