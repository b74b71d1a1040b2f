"""Booking notices: the buyer and the consultant (the seller's owner) hear of a booking, a
move and a cancellation through core.notifications (in-app, and by e-mail, push or text as
each chose), each with the time in their own zone and a link to their own booking page.

The e-mails of those three types are built here when they are delivered, with the invite
attached (``text/calendar; method=REQUEST``, or ``method=CANCEL`` once the booking is off the
calendar, whichever e-mail it is): the attachment always describes the booking as it is at
that moment, at its current SEQUENCE, so a late or replayed e-mail can only bring a calendar
up to date, never back. A replayed outbox event notifies nobody twice (the dedupe key is the
event, the booking and its SEQUENCE at that change)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.mime.text import MIMEText
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from core.marketplace import current_marketplace
from core.notifications.email import absolute_url, email_builder
from core.notifications.models import Notification
from core.notifications.services.notify import notify
from modules.consulting.invites import (
    GONE,
    Audience,
    Method,
    ics_for,
    join_path,
    local_time,
    page_path,
)
from modules.consulting.models import Booking

BOOKED = "consulting.booked"
RESCHEDULED = "consulting.rescheduled"
CANCELLED = "consulting.cancelled"
CHANGES = (BOOKED, RESCHEDULED, CANCELLED)


@dataclass(frozen=True)
class Wording:
    buyer: str
    consultant: str


TITLES: dict[str, Wording] = {
    BOOKED: Wording("Booked: {what}, {when}", "New booking: {what} with {buyer}, {when}"),
    RESCHEDULED: Wording("Moved: {what}, now {when}", "Moved by {buyer}: {what}, now {when}"),
    CANCELLED: Wording("Cancelled: {what}, {when}", "Cancelled: {what} with {buyer}, {when}"),
}
CANCELLED_BY = {
    "buyer": "{buyer} cancelled it.",
    "consultant": "{consultant} cancelled it.",
    "system": "It was cancelled because the payment was refunded.",
}


def zone_of(booking: Booking, audience: Audience) -> str:
    return booking.buyer_zone if audience == "buyer" else booking.consultant.time_zone


def dedupe_key(event: str, payload: dict[str, Any]) -> str:
    return f"{event}:{payload['booking_id']}:{payload['sequence']}"


def _booking(booking_id: Any) -> Booking | None:
    return (
        Booking.objects.select_related(
            "session_type__product", "consultant__seller__owner", "buyer"
        )
        .filter(pk=booking_id)
        .first()
    )


def _names(booking: Booking) -> dict[str, str]:
    return {
        "what": booking.session_type.product.name,
        "buyer": booking.buyer.full_name or booking.buyer.email,
        "consultant": booking.consultant.seller.business_name,
    }


def notify_change(event: str, payload: dict[str, Any]) -> int:
    """The outbox consumer's work for ``consulting.booked|rescheduled|cancelled``: one
    notification each to the buyer and the consultant (idempotent). The time named is the
    one of that change (the payload's), in each recipient's zone."""
    booking = _booking(payload["booking_id"])
    if booking is None:
        return 0
    starts_at = datetime.fromisoformat(payload["starts_at"])
    names = _names(booking)
    written = 0
    for audience, user_id in (
        ("buyer", booking.buyer_id),
        ("consultant", booking.consultant.seller.owner_id),
    ):
        zone = zone_of(booking, audience)  # type: ignore[arg-type]
        wording = TITLES[event]
        template = wording.buyer if audience == "buyer" else wording.consultant
        when = local_time(starts_at, zone)
        body = f"{when} ({zone})."
        if event == CANCELLED:
            reason = CANCELLED_BY.get(str(payload.get("cancelled_by", "")), "")
            body = f"{body} {reason.format(**names)}".strip()
        written += notify(
            user_ids=[user_id],
            type_key=event,
            title=template.format(when=when, **names),
            body=body,
            url=page_path(booking, audience),  # type: ignore[arg-type]
            data={
                "booking_id": booking.pk,
                "sequence": int(payload["sequence"]),
                "audience": audience,
            },
            dedupe_key=dedupe_key(event, payload),
        )
    return written


def invite_part(ics: bytes, method: Method) -> MIMEText:
    """The invite as an attachment: ``text/calendar; method=...``, named ``invite.ics``."""
    part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    return part


def build_change_email(notification: Notification) -> EmailMultiAlternatives | None:
    """The e-mail of a booking notice, with the booking's invite as it is now."""
    booking = _booking(notification.data.get("booking_id"))
    if booking is None:
        return None
    audience: Audience = (
        "consultant" if notification.data.get("audience") == "consultant" else "buyer"
    )
    method: Method = "CANCEL" if booking.status in GONE else "REQUEST"
    zone = zone_of(booking, audience)
    name = current_marketplace().name
    context = {
        "marketplace_name": name,
        "notification": notification,
        "booking": booking,
        "audience": audience,
        "is_cancelled": method == "CANCEL",
        "zone": zone,
        "starts": local_time(booking.starts_at, zone),
        "ends": local_time(booking.ends_at, zone),
        "link": absolute_url(page_path(booking, audience)),
        "join_link": absolute_url(join_path(booking)),
        "preferences_link": absolute_url("/notifications/preferences/"),
        **_names(booking),
    }
    message = EmailMultiAlternatives(
        f"[{name}] {notification.title}",
        render_to_string("consulting/email/booking_change.txt", context),
        None,
        [notification.user.email],
    )
    message.attach_alternative(
        render_to_string("consulting/email/booking_change.html", context), "text/html"
    )
    message.attach(invite_part(ics_for(booking, method=method, audience=audience), method))
    return message


for _type in CHANGES:
    email_builder(_type)(build_change_email)
