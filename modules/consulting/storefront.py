"""A consultation on the storefront's product page (``/p/<slug>/``): the booking calendar is
the buy box. It shows the session's length, price and seats, the consultant's cancellation
policy in words, and a week of free slots in the buyer's time zone, grouped by day.

The zone comes from the address (``?tz=``); without one the page starts in UTC and
``static/consulting/booking.js`` swaps the week for the browser's own zone
(``Intl.DateTimeFormat().resolvedOptions().timeZone``), keeping it in the address. The week
(``?week=``, its first day in the buyer's calendar) moves back and forth with htmx, which
swaps ``consulting/partials/slot_week.html`` from ``buyer_pages.slot_week``. "Book" posts to
``buyer_pages.hold``; a refused slot comes back here with its error shown once above the
refreshed week (the error waits in the session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.accounts.models import User
from core.errors import DomainError
from core.money import Money
from core.registry.panels import ProductPanel
from modules.consulting.models import SessionType
from modules.consulting.services import rebook as rebook_offers
from modules.consulting.services.booking import slots_for
from modules.consulting.services.policy import Policy
from modules.consulting.slots import Slot

SESSION_KEY = "consulting_hold_refused"  # {"session_type": id, "message": str}
DAYS_SHOWN = 7
DEFAULT_ZONE = "UTC"


@cache
def zone_names() -> frozenset[str]:
    """Every zone a buyer may be in: any IANA name a browser may report (legacy aliases
    included, so a detected "Asia/Calcutta" is not lost), without the POSIX variants."""
    skipped = ("posix/", "right/", "SystemV/")
    return frozenset(name for name in available_timezones() if not name.startswith(skipped))


@cache
def _listed_zones() -> tuple[str, ...]:
    regions = "Africa/ America/ Antarctica/ Asia/ Atlantic/ Australia/ Europe/ Indian/ Pacific/"
    return (
        "UTC",
        *sorted(name for name in zone_names() if name.startswith(tuple(regions.split()))),
    )


def zone_choices(current: str) -> tuple[str, ...]:
    """The zone select's options: the regions' cities, and the zone in use if it is an
    alias outside them."""
    listed = _listed_zones()
    return listed if current in listed else (current, *listed)


def zone_of(request: HttpRequest, fallback: str = DEFAULT_ZONE) -> str:
    """The zone in the address when it is a real one, else ``fallback``."""
    asked = request.GET.get("tz", "")
    return asked if asked in zone_names() else fallback


def today_in(zone: str, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(ZoneInfo(zone)).date()


def first_day_of(request: HttpRequest, zone: str) -> date:
    """The week's first day from ``?week=`` (never before today in the buyer's zone)."""
    today = today_in(zone)
    try:
        asked = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        return today
    return max(today, min(asked, today + timedelta(days=400)))


def money(amount: int, currency: str) -> str:
    return str(Money(amount, currency))


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def _percent(percent: int) -> str:
    if percent == 100:
        return "full refund"
    return "no refund" if percent == 0 else f"{percent}% refunded"


def policy_rows(policy_data: dict[str, Any]) -> list[dict[str, str]]:
    """The refund tiers in words, most notice first, then what a late cancellation gets."""
    policy = Policy.model_validate(policy_data)
    rows = [
        {"when": f"More than {hours} h before", "refund": _percent(percent)}
        for hours, percent in policy.refund_tiers
    ]
    least = policy.refund_tiers[-1][0] if policy.refund_tiers else 0
    late = f"Less than {least} h before" if least else "Any time before"
    if not policy.refund_tiers or least:
        rows.append({"when": late, "refund": _percent(policy.late_refund_percent)})
    return rows


def policy_notes(policy_data: dict[str, Any]) -> list[str]:
    policy = Policy.model_validate(policy_data)
    notes = []
    if policy.reschedule_cutoff_hours:
        notes.append(f"Reschedule up to {policy.reschedule_cutoff_hours} h before the start.")
    else:
        notes.append("Reschedule any time before the start.")
    if policy.cancellation_cutoff_hours:
        notes.append(f"No cancellation within {policy.cancellation_cutoff_hours} h of the start.")
    return notes


@dataclass(frozen=True)
class WeekPicker:
    """What ``slot_week.html`` needs to draw one week of slots and move to the next."""

    zone: str
    is_zone_chosen: bool  # from the address: the script leaves it alone
    first_day: date
    slots_url: str  # the partial's address, without a query
    page_url: str  # the page the week lives on, without a query
    action: str  # where the chosen slot is posted
    button: str  # "Book" or "Move here"
    chosen: str = ""  # an ISO instant to preselect (a buyer back from signing in)
    error: str = ""
    rebook: str = ""  # a book-again offer's id, passed through to the hold
    show_zone: bool = True  # the booking page has its own zone select for the whole page

    def query(self, first_day: date) -> str:
        pairs = [("tz", self.zone), ("week", first_day.isoformat())]
        if self.rebook:
            pairs.append(("rebook", self.rebook))
        return urlencode(pairs)


def week_context(session_type: SessionType, picker: WeekPicker) -> dict[str, Any]:
    """One week of ``session_type``'s free slots in the buyer's zone, grouped by day."""
    last_day = picker.first_day + timedelta(days=DAYS_SHOWN - 1)
    slots: list[Slot] = slots_for(
        session_type=session_type,
        buyer_zone=picker.zone,
        first_day=picker.first_day,
        last_day=last_day,
    )
    by_day: dict[date, list[dict[str, Any]]] = {
        picker.first_day + timedelta(days=offset): [] for offset in range(DAYS_SHOWN)
    }
    for slot in slots:
        instant = slot.starts_at.astimezone(ZoneInfo("UTC")).isoformat()
        by_day.setdefault(slot.starts_at.date(), []).append(
            {
                "starts_at": slot.starts_at,
                "value": instant,
                "seats_left": slot.seats_left,
                "is_chosen": instant == picker.chosen,
            }
        )
    today = today_in(picker.zone)
    previous = max(today, picker.first_day - timedelta(days=DAYS_SHOWN))
    following = picker.first_day + timedelta(days=DAYS_SHOWN)
    return {
        "picker": picker,
        "session_type": session_type,
        "days": [{"day": day, "slots": rows} for day, rows in by_day.items()],
        "slot_count": len(slots),
        "last_day": last_day,
        "zones": zone_choices(picker.zone),
        "previous_query": picker.query(previous) if picker.first_day > today else "",
        "next_query": picker.query(following),
        "is_group": session_type.seats > 1,
    }


def refused_message(request: HttpRequest, session_type_id: int) -> str:
    """A refusal waiting for this session type's calendar, shown once."""
    session = getattr(request, "session", None)
    refused = session.get(SESSION_KEY) if session is not None else None
    if isinstance(refused, dict) and refused.get("session_type") == session_type_id:
        del session[SESSION_KEY]  # type: ignore[union-attr]
        return str(refused.get("message", ""))
    return ""


def _rebook_price(request: HttpRequest, offer_id: str) -> str:
    """The price of the consultant's "book again" offer in the address, for its buyer (the
    hold checks it again; an offer that is not theirs or is used up shows nothing)."""
    user = getattr(request, "user", None)
    if not offer_id or not isinstance(user, User):
        return ""
    try:
        offer = rebook_offers.usable_offer(user, int(offer_id))
    except DomainError:
        return ""
    return money(offer.price, offer.currency)


def panel(request: HttpRequest, product: Any) -> ProductPanel | None:
    """The booking calendar of a consultation with an active session type (one without keeps
    the page's default buy box)."""
    session_type = (
        SessionType.objects.select_related("consultant")
        .filter(product_id=product.pk, is_active=True)
        .first()
    )
    if session_type is None:
        return None
    zone = zone_of(request)
    page_url = f"/p/{product.slug}/"
    picker = WeekPicker(
        zone=zone,
        is_zone_chosen="tz" in request.GET and zone == request.GET.get("tz"),
        first_day=first_day_of(request, zone),
        slots_url=reverse("consulting:slot_week", args=[session_type.pk]),
        page_url=page_url,
        action=reverse("consulting:hold", args=[session_type.pk]),
        button="Book",
        chosen=request.GET.get("slot", ""),
        error=refused_message(request, session_type.pk),
        rebook=request.GET.get("rebook", "") if request.GET.get("rebook", "").isdigit() else "",
    )
    profile = session_type.consultant
    price = money(session_type.price, session_type.currency)
    offered = _rebook_price(request, picker.rebook)
    context = {
        **week_context(session_type, picker),
        "product": product,
        "length": duration(session_type.minutes),
        "price": price,
        "rebook_price": offered if offered != price else "",
        "seats": session_type.seats,
        "policy_rows": policy_rows(profile.policy),
        "policy_notes": policy_notes(profile.policy),
        "consultant_zone": profile.time_zone,
        "is_signed_in": bool(getattr(request, "user", None) and request.user.is_authenticated),
    }
    return ProductPanel(
        buy_box=render_to_string("consulting/booking_page_panel.html", context, request=request)
    )
