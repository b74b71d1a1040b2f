"""What the aftercare partial (``consulting/partials/aftercare.html``) shows on a booking's
page, for its buyer or its consultant: the reminder schedule, the no-show buttons while a
report is allowed, the consultant's book-again form after the session and the offers sent
(the buyer sees theirs with a "Book again" link)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from core.money import Money
from modules.consulting.models import Booking, RebookOffer
from modules.consulting.services import no_show, rebook
from modules.consulting.services.reminders import schedule_label

Role = Literal["buyer", "consultant"]
# (who did not come, who reads it) -> what they read
NO_SHOW_LABELS = {
    (no_show.BUYER, "consultant"): "You reported that the buyer did not come.",
    (no_show.BUYER, "buyer"): "The consultant reported that you did not come. If you were "
    "there, open a dispute on the order before the payment is released.",
    (no_show.CONSULTANT, "consultant"): "The buyer reported that you did not come.",
    (no_show.CONSULTANT, "buyer"): "You reported that the consultant did not come.",
}
CONFIRMED_LABELS = {
    "consultant": "You confirmed that you did not come; the buyer was refunded in full.",
    "buyer": "The consultant confirmed they did not come; you were refunded in full.",
}


def aftercare_url(booking: Booking, role: Role, action: str) -> str:
    """The aftercare action's URL for ``role`` (``no_show``, ``confirm`` or ``rebook``)."""
    if role == "buyer":
        name, fallback = "consulting:aftercare_no_show", f"/consulting/bookings/{booking.pk}"
    else:
        name = f"consulting_studio:aftercare_{action}"
        fallback = f"/studio/consulting/bookings/{booking.pk}"
    try:
        return reverse(name, args=[booking.pk])
    except NoReverseMatch:  # not mounted yet: the path it will have
        tail = {"no_show": "no-show", "confirm": "no-show/confirm", "rebook": "rebook"}[action]
        return f"{fallback}/aftercare/{tail}/"


def offer_row(offer: RebookOffer, now: datetime) -> dict[str, Any]:
    usable = offer.used_at is None and offer.expires_at > now
    state = "Used" if offer.used_at is not None else ("Open" if usable else "Expired")
    return {
        "id": offer.pk,
        "title": offer.session_type.product.name,
        "price": str(Money(offer.price, offer.currency)),
        "list_price": str(Money(offer.session_type.price, offer.currency)),
        "is_discounted": offer.price < offer.session_type.price,
        "message": offer.message,
        "expires_at": offer.expires_at,
        "state": state,
        "usable": usable,
        "url": rebook.product_url(offer),
    }


def aftercare_context(
    booking: Booking,
    *,
    role: Role,
    now: datetime | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    """The partial's context (``aftercare``); ``booking`` is the caller's own (the page
    found it among the buyer's bookings or the consultant's calendar)."""
    now = now or timezone.now()
    opens, closes = no_show.report_window(booking)
    can_report = no_show.can_report(booking, now)
    is_consultant = role == "consultant"
    context: dict[str, Any] = {
        "role": role,
        # Times in the reader's zone: the buyer's as booked, the consultant's own.
        "zone": booking.buyer_zone if role == "buyer" else booking.consultant.time_zone,
        "reminders": schedule_label(booking),
        "amount": str(Money(booking.amount, booking.currency)),
        "no_show": booking.no_show,
        "no_show_label": (
            CONFIRMED_LABELS[role]
            if booking.no_show == no_show.CONSULTANT and booking.status == "cancelled"
            else NO_SHOW_LABELS.get((booking.no_show, role), "")
        ),
        "report_opens_at": opens,
        "report_closes_at": closes,
        "report_pending": booking.status == "booked" and not booking.no_show and now < opens,
        "can_report": can_report,
        "can_confirm": is_consultant and no_show.can_confirm(booking, now),
        "urls": {
            "no_show": aftercare_url(booking, role, "no_show"),
            "confirm": aftercare_url(booking, "consultant", "confirm"),
            "rebook": aftercare_url(booking, "consultant", "rebook"),
        },
        "errors": errors or {},
        "values": values or {},
        "notice": notice,
        "can_offer": False,
        "session_types": [],
        "offers": [],
    }
    offers = booking.rebook_offers.select_related("session_type__product").order_by(
        "-created_at", "-id"
    )
    if is_consultant:
        context["offers"] = [offer_row(offer, now) for offer in offers]
        if rebook.session_over(booking, now):
            context["can_offer"] = True
            context["session_types"] = [
                {
                    "id": session_type.pk,
                    "name": session_type.product.name,
                    "price": session_type.price,
                    "price_decimal": Money(
                        session_type.price, session_type.currency
                    ).to_decimal_string(),
                    "currency": session_type.currency,
                    "price_label": str(Money(session_type.price, session_type.currency)),
                    "is_current": session_type.pk == booking.session_type_id,
                }
                for session_type in rebook.offerable_types(booking)
            ]
            context["default_days"] = 14
    else:
        context["offers"] = [
            row for row in (offer_row(offer, now) for offer in offers) if row["usable"]
        ]
    return context
