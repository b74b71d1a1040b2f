"""Calendar invites for bookings (RFC 5545 objects, RFC 5546 methods), built with icalendar.

A booking is one event for its whole life: its UID never changes and its SEQUENCE rises on
every change (the services bump it on reschedule and cancel), so a calendar that received the
first REQUEST replaces the event on a later REQUEST and removes it on the CANCEL, whatever
order the e-mails arrive in. Times are written in UTC; each person's calendar shows them in
its own zone. A feed (``METHOD:PUBLISH``) lists many bookings without attendees, as RFC 5546
asks of a published calendar; cancelled ones stay in it with ``STATUS:CANCELLED``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from core.notifications.email import absolute_url
from modules.consulting.models import Booking, BookingStatus

PRODID = "-//Souk//Consulting invites//EN"
Method = Literal["REQUEST", "CANCEL"]
Audience = Literal["buyer", "consultant"]
GONE = (BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.LOST)


def _path(name: str, booking_id: int, fallback: str) -> str:
    """A page's path by its URL name, or the agreed path while its page is not mounted."""
    try:
        return reverse(name, args=[booking_id])
    except NoReverseMatch:
        return fallback


def join_path(booking: Booking) -> str:
    """Souk's join page (the only way into the video room)."""
    return _path("consulting:join", booking.pk, f"/consulting/bookings/{booking.pk}/join/")


def buyer_path(booking: Booking) -> str:
    return _path("consulting:booking", booking.pk, f"/consulting/bookings/{booking.pk}/")


def consultant_path(booking: Booking) -> str:
    return _path(
        "consulting_studio:booking", booking.pk, f"/studio/consulting/bookings/{booking.pk}/"
    )


def page_path(booking: Booking, audience: Audience) -> str:
    return buyer_path(booking) if audience == "buyer" else consultant_path(booking)


def local_time(moment: datetime, zone: str) -> str:
    """``Wed 9 Dec 2026, 11:00 CET`` in ``zone`` (UTC if the zone is unknown)."""
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = ZoneInfo("UTC")
    local = moment.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def summary_of(booking: Booking) -> str:
    """``Strategy call with Ada`` (the session type's name and the consultant's)."""
    return f"{booking.session_type.product.name} with {booking.consultant.seller.business_name}"


def _description(booking: Booking, audience: Audience) -> str:
    consultant_zone = booking.consultant.time_zone
    lines = [
        summary_of(booking),
        "",
        f"When: {local_time(booking.starts_at, booking.buyer_zone)} ({booking.buyer_zone})",
    ]
    if consultant_zone != booking.buyer_zone:
        lines.append(
            f"For the consultant: {local_time(booking.starts_at, consultant_zone)} "
            f"({consultant_zone})"
        )
    lines += [
        f"Length: {int((booking.ends_at - booking.starts_at).total_seconds() // 60)} minutes",
        "",
        f"Join (opens shortly before the start): {absolute_url(join_path(booking))}",
        f"Your booking: {absolute_url(page_path(booking, audience))}",
    ]
    if booking.status in GONE:
        lines.insert(0, "CANCELLED")
    return "\n".join(lines)


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name or email)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def _event(
    booking: Booking, *, is_cancelled: bool, with_attendee: bool, audience: Audience
) -> Event:
    seller = booking.consultant.seller
    event = Event()
    event.add("uid", booking.ical_uid)
    event.add("sequence", booking.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("summary", summary_of(booking))
    event.add("description", _description(booking, audience))
    event.add("location", absolute_url(join_path(booking)))
    event.add("url", absolute_url(page_path(booking, audience)))
    event.add("organizer", _address(seller.owner.email, seller.business_name))
    if with_attendee:
        buyer = booking.buyer
        event.add(
            "attendee",
            _address(
                buyer.email,
                buyer.full_name,
                CUTYPE="INDIVIDUAL",
                ROLE="REQ-PARTICIPANT",
                PARTSTAT="ACCEPTED",  # the buyer chose and paid for this time
                RSVP="FALSE",
            ),
        )
    event.add("status", "CANCELLED" if is_cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if is_cancelled else "OPAQUE")
    return event


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def ics_for(booking: Booking, *, method: Method, audience: Audience = "buyer") -> bytes:
    """The invite (``REQUEST``) or its cancellation (``CANCEL``, always ``STATUS:CANCELLED``)
    for ``booking`` at its current SEQUENCE; ``audience`` picks whose booking page the event
    links to. A REQUEST of a booking that is no longer on the calendar is its CANCEL."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unknown iTIP method {method!r}")
    if booking.status in GONE:
        method = "CANCEL"
    calendar = _calendar(method)
    calendar.add_component(
        _event(booking, is_cancelled=method == "CANCEL", with_attendee=True, audience=audience)
    )
    return bytes(calendar.to_ical())


def feed_ics(bookings: Iterable[Booking], *, name: str, audience_of: dict[int, Audience]) -> bytes:
    """A published calendar (``METHOD:PUBLISH``) of ``bookings``; ``audience_of`` maps a
    booking id to the side its reader is on (for the link to their booking page)."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-published-ttl", "PT1H")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for booking in bookings:
        calendar.add_component(
            _event(
                booking,
                is_cancelled=booking.status in GONE,
                with_attendee=False,
                audience=audience_of.get(booking.pk, "buyer"),
            )
        )
    return bytes(calendar.to_ical())
