"""A user's private calendar feed: one secret URL (``/consulting/calendar/<token>.ics``) their
calendar app polls, listing their sessions as buyer and as consultant (the seller they own),
from the last 30 days on, cancelled ones included as ``STATUS:CANCELLED`` so a subscribed
calendar removes them. The token is the only key (calendar apps send no cookies): it is
unguessable, lives in this marketplace's schema only, and a new one cuts off the old URL."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core.accounts.models import User
from core.marketplace import current_marketplace
from core.notifications.email import absolute_url
from modules.consulting.errors import not_found
from modules.consulting.invites import GONE, Audience, Method, feed_ics, ics_for
from modules.consulting.models import Booking, BookingStatus, CalendarFeed

PAST_DAYS = 30
MOST = 500
LISTED = (BookingStatus.BOOKED, BookingStatus.COMPLETED, BookingStatus.CANCELLED)


def participant_booking(user: User, booking_id: int) -> Booking:
    """A booked (or since completed or cancelled) booking ``user`` takes part in, as its
    buyer or its consultant's owner; anyone else's is not found, like one that does not
    exist, and so is a hold (nothing is on a calendar until it is paid)."""
    booking = (
        Booking.objects.filter(Q(buyer=user) | Q(consultant__seller__owner=user))
        .filter(pk=booking_id, status__in=LISTED)
        .select_related("session_type__product", "consultant__seller__owner", "buyer")
        .first()
    )
    if booking is None:
        raise not_found()
    return booking


def invite_of(user: User, booking_id: int) -> tuple[bytes, Method]:
    """The invite of one of ``user``'s bookings as it is now (its CANCEL once cancelled),
    linking to their side's booking page."""
    booking = participant_booking(user, booking_id)
    audience: Audience = "buyer" if booking.buyer_id == user.pk else "consultant"
    method: Method = "CANCEL" if booking.status in GONE else "REQUEST"
    return ics_for(booking, method=method, audience=audience), method


def new_token() -> str:
    return secrets.token_urlsafe(32)


def feed_for(user: User) -> CalendarFeed:
    """The user's feed, made with a fresh token the first time it is asked for."""
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is not None:
        return feed
    try:
        with transaction.atomic():
            return CalendarFeed.objects.create(user=user, token=new_token())
    except IntegrityError:  # made by a concurrent request a moment ago
        return CalendarFeed.objects.get(user=user)


@transaction.atomic
def rotate_feed(user: User) -> CalendarFeed:
    """A new token: the old URL answers 404 from now on."""
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    if feed is None:
        return CalendarFeed.objects.create(user=user, token=new_token())
    feed.token = new_token()
    feed.save(update_fields=["token"])
    return feed


def feed_path(feed: CalendarFeed) -> str:
    return reverse("consulting:feed", args=[feed.token])


def feed_urls(feed: CalendarFeed) -> tuple[str, str]:
    """The feed's ``https://`` URL and the same as ``webcal://`` (which opens the calendar
    app's subscribe dialog)."""
    url = absolute_url(feed_path(feed))
    return url, "webcal://" + url.split("://", 1)[1]


def feed_context(user: User) -> dict[str, Any]:
    """What ``consulting/partials/calendar_feed.html`` shows (as ``calendar_feed``)."""
    url, webcal = feed_urls(feed_for(user))
    return {"url": url, "webcal_url": webcal, "rotate_url": reverse("consulting:feed_rotate")}


def feed_bookings(user: User, *, now: datetime | None = None) -> list[tuple[Booking, Audience]]:
    """The user's sessions ending in the last ``PAST_DAYS`` days or later, as buyer and as
    the consultant of the seller they own, soonest first."""
    since = (now or timezone.now()) - timedelta(days=PAST_DAYS)
    rows = (
        Booking.objects.filter(Q(buyer=user) | Q(consultant__seller__owner=user))
        .filter(ends_at__gte=since, status__in=LISTED)
        .select_related("session_type__product", "consultant__seller__owner", "buyer")
        .order_by("starts_at", "id")[:MOST]
    )
    return [(b, "buyer" if b.buyer_id == user.pk else "consultant") for b in rows]


def feed_by_token(token: str) -> CalendarFeed:
    """The feed of ``token`` in this marketplace; any other token is not found."""
    feed = (
        CalendarFeed.objects.select_related("user").filter(token=token).first()
        if 20 <= len(token) <= 64
        else None
    )
    if feed is None or not feed.user.is_active:
        raise not_found("No such calendar.")
    return feed


def feed_calendar(token: str) -> bytes:
    """The ``.ics`` of the feed ``token`` opens."""
    feed = feed_by_token(token)
    listed = feed_bookings(feed.user)
    return feed_ics(
        [booking for booking, _ in listed],
        name=f"{current_marketplace().name}: sessions",
        audience_of={booking.pk: audience for booking, audience in listed},
    )
