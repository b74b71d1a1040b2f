"""The consultant's calendar and one booking in the seller studio, mounted at
``/studio/consulting/`` behind the manifest's permissions (core's guard; these views only
read the seller it authorised):

- ``calendar``: a week (Monday to Sunday) in the consultant's own zone, each session a
  block with its time, session type, buyer and state; previous / next / this week over
  htmx, a state filter, the week's booked hours and earnings, and what comes next. The
  page's queries do not grow with the bookings on it.
- ``booking``: one booking with the buyer, the times in both zones, the amount, the policy
  snapshotted on it and the refund, the consultant's cancellation (the buyer gets
  everything back) and the parts other pieces of the module add around the session (join,
  files, notes, follow-ups, aftercare) where they are installed.

Another seller's booking is not found, as one that does not exist."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, ErrorKind
from core.money import Money
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller
from modules.consulting.aftercare_context import aftercare_context
from modules.consulting.manifest import manifest
from modules.consulting.models import Booking, BookingStatus, ConsultantProfile
from modules.consulting.services.cancellation import cancel_by_consultant
from modules.consulting.services.feeds import feed_context
from modules.consulting.services.policy import Policy
from modules.consulting.session_context import session_context

UPCOMING_LIMIT = 8
# The week's filter: what the consultant wants to see on it (the default hides expired
# holds and cancellations, which no longer take any time).
FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "": ("Booked, held and past", ("held", "booked", "completed")),
    "booked": ("Booked", ("booked",)),
    "held": ("Held while the buyer pays", ("held",)),
    "completed": ("Past sessions", ("booked", "completed")),
    "no_show": ("No-shows", ("booked", "completed")),
    "cancelled": ("Cancelled", ("cancelled", "lost")),
    "all": ("Everything", tuple(BookingStatus.values)),
}
# The state as the consultant reads it (the model's labels speak to the buyer too).
STATE_LABELS = {
    "held": "Held: the buyer is paying",
    "booked": "Booked",
    "expired": "Hold expired",
    "cancelled": "Cancelled",
    "lost": "Paid too late: refunded",
    "completed": "Completed",
    "past": "Took place",
    "no_show_buyer": "No-show: the buyer",
    "no_show_consultant": "No-show: you",
}
# The same, short enough for a block in a day's column.
SHORT_LABELS = {
    **STATE_LABELS,
    "held": "Held",
    "lost": "Refunded",
    "expired": "Expired",
    "no_show_buyer": "Buyer no-show",
    "no_show_consultant": "Your no-show",
}
# What the other parts of the module add to the booking page.
AROUND_THE_SESSION = {
    "join": "consulting/partials/join.html",
    "files": "consulting/partials/session_files.html",
    "notes": "consulting/partials/session_notes.html",
    "follow_ups": "consulting/partials/session_follow_ups.html",
    "aftercare": "consulting/partials/aftercare.html",
}


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def state_of(booking: Booking, now: datetime) -> str:
    """``held``, ``booked``, ``completed``..., and for a booked session that is over:
    ``no_show_buyer`` / ``no_show_consultant`` when reported, else ``past``."""
    if booking.no_show in ("buyer", "consultant") and booking.status in ("booked", "completed"):
        return f"no_show_{booking.no_show}"
    if booking.status == BookingStatus.BOOKED and booking.ends_at <= now:
        return "past"
    return str(booking.status)


def buyer_name(booking: Booking) -> str:
    return booking.buyer.full_name or booking.buyer.email


@dataclass(frozen=True)
class Block:
    """One session on the week: times in the consultant's zone."""

    booking: Booking
    starts: datetime
    ends: datetime
    state: str

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def short_label(self) -> str:
        return SHORT_LABELS[self.state]

    @property
    def title(self) -> str:
        return self.booking.session_type.product.name

    @property
    def buyer(self) -> str:
        return buyer_name(self.booking)


@dataclass(frozen=True)
class Day:
    day: date
    blocks: list[Block]
    is_today: bool


def week_start(requested: str, today: date) -> date:
    """The Monday of the week holding ``requested`` (YYYY-MM-DD), this week's otherwise."""
    try:
        day = date.fromisoformat(requested) if requested else today
    except ValueError:
        day = today
    return day - timedelta(days=day.weekday())


def _profile(seller: Seller) -> ConsultantProfile | None:
    return ConsultantProfile.objects.filter(seller=seller).first()


def _shown(booking: Booking, status: str, now: datetime) -> bool:
    if booking.status not in FILTERS[status][1]:
        return False
    if status == "completed":
        return booking.ends_at <= now and not booking.no_show
    if status == "no_show":
        return bool(booking.no_show)
    return True


def _totals(bookings: list[Booking]) -> dict[str, Any]:
    """The week's booked sessions (held and cancelled ones do not count): how many, their
    hours (a group session's seats once), and what they earn after refunds, per currency."""
    counted = [b for b in bookings if b.status in (BookingStatus.BOOKED, BookingStatus.COMPLETED)]
    lengths = {b.session_id: (b.ends_at - b.starts_at).total_seconds() // 60 for b in counted}
    minutes = int(sum(lengths.values()))
    earned: dict[str, int] = defaultdict(int)
    for booking in counted:
        earned[booking.currency] += booking.amount - booking.refunded_amount
    hours, rest = divmod(minutes, 60)
    return {
        "sessions": len(lengths),
        "hours": f"{hours} h {rest:02d} min" if rest else f"{hours} h",
        "earnings": [str(Money(amount, currency)) for currency, amount in sorted(earned.items())],
        "held": sum(1 for b in bookings if b.status == BookingStatus.HELD),
    }


def calendar_context(request: HttpRequest) -> dict[str, Any]:
    seller = authorised_seller(request)
    profile = _profile(seller)
    zone = zone_of(profile.time_zone if profile else "UTC")
    now = timezone.now()
    today = now.astimezone(zone).date()
    monday = week_start(request.GET.get("week", ""), today)
    status = request.GET.get("status", "")
    if status not in FILTERS:
        status = ""
    # Local midnights, each with its own offset: a week with a DST change is 167 or 169 h.
    first = datetime.combine(monday, time(0), tzinfo=zone)
    after = datetime.combine(monday + timedelta(days=7), time(0), tzinfo=zone)
    week = list(
        Booking.objects.filter(consultant__seller=seller, starts_at__lt=after, ends_at__gt=first)
        .exclude(status=BookingStatus.EXPIRED)
        .select_related("session_type__product", "buyer")
        .order_by("starts_at", "id")
    )
    by_day: dict[date, list[Block]] = defaultdict(list)
    for booking in week:
        if not _shown(booking, status, now):
            continue
        starts = booking.starts_at.astimezone(zone)
        block = Block(booking, starts, booking.ends_at.astimezone(zone), state_of(booking, now))
        by_day[max(starts.date(), monday)].append(block)
    days = [
        Day(day, by_day.get(day, []), day == today)
        for day in (monday + timedelta(days=offset) for offset in range(7))
    ]
    upcoming = [
        Block(b, b.starts_at.astimezone(zone), b.ends_at.astimezone(zone), state_of(b, now))
        for b in Booking.objects.filter(
            consultant__seller=seller,
            status__in=(BookingStatus.BOOKED, BookingStatus.HELD),
            ends_at__gt=now,
        )
        .select_related("session_type__product", "buyer")
        .order_by("starts_at", "id")[:UPCOMING_LIMIT]
    ]
    sunday = monday + timedelta(days=6)
    return {
        "module": manifest,
        "seller": seller,
        "profile": profile,
        "zone": str(zone),
        "days": days,
        "monday": monday,
        "sunday": sunday,
        "previous_week": (monday - timedelta(days=7)).isoformat(),
        "next_week": (monday + timedelta(days=7)).isoformat(),
        "this_week": today - timedelta(days=today.weekday()) == monday,
        "status": status,
        "filters": [(value, label) for value, (label, _) in FILTERS.items()],
        "totals": _totals(week),
        "upcoming": upcoming,
        "shown": sum(len(day.blocks) for day in days),
    }


@never_cache
@require_http_methods(["GET", "HEAD"])
def calendar(request: HttpRequest) -> HttpResponse:
    context = calendar_context(request)
    context["calendar_feed"] = feed_context(request.user)  # type: ignore[arg-type]
    # htmx moving between weeks gets the week alone; its history restore gets the page.
    if request.headers.get("HX-Target") == "consult-week" and not request.headers.get(
        "HX-History-Restore-Request"
    ):
        return render(request, "consulting/studio/calendar_week.html", context)
    return render(request, "consulting/studio/calendar.html", context)


# --- one booking ----------------------------------------------------------------------------


def _policy_lines(policy: dict[str, Any]) -> list[str]:
    try:
        parsed = Policy.model_validate(policy)
    except ValueError:
        return []
    lines = [
        f"{percent}% back when cancelled {hours} h or more before the start"
        for hours, percent in parsed.refund_tiers
    ]
    lines.append(f"{parsed.late_refund_percent}% back when cancelled later")
    if parsed.cancellation_cutoff_hours:
        lines.append(f"No cancellation by the buyer within {parsed.cancellation_cutoff_hours} h")
    lines.append(
        f"No rescheduling within {parsed.reschedule_cutoff_hours} h of the start"
        if parsed.reschedule_cutoff_hours
        else "Rescheduling until the start"
    )
    return lines


def booking_facts(
    booking: Booking, consultant_zone: str, now: datetime, *, viewer: str = "consultant"
) -> dict[str, Any]:
    """What the consultant (and the operator, ``viewer="operator"``, read-only) sees of a
    booking."""
    zone, buyer_zone = zone_of(consultant_zone), zone_of(booking.buyer_zone)
    amount = Money(booking.amount, booking.currency)
    refunded = Money(booking.refunded_amount, booking.currency)
    if booking.refunded_amount == 0:
        refund = "Nothing refunded."
    elif booking.refunded_amount >= booking.amount:
        refund = f"Refunded in full ({refunded})."
    else:
        refund = f"{refunded} of {amount} refunded."
    consultant = "you" if viewer == "consultant" else "the consultant"
    cancelled_by = {"buyer": "the buyer", "consultant": consultant, "system": "Souk"}.get(
        booking.cancelled_by, booking.cancelled_by
    )
    state = state_of(booking, now)
    return {
        "booking": booking,
        "title": booking.session_type.product.name,
        "buyer_name": buyer_name(booking),
        "buyer_email": booking.buyer.email,
        "state": state,
        "state_label": STATE_LABELS[state],
        "starts": booking.starts_at.astimezone(zone),
        "ends": booking.ends_at.astimezone(zone),
        "zone": str(zone),
        "buyer_starts": booking.starts_at.astimezone(buyer_zone),
        "buyer_ends": booking.ends_at.astimezone(buyer_zone),
        "buyer_zone": str(buyer_zone),
        "amount": str(amount),
        "refund": refund,
        "cancelled_by": cancelled_by,
        "policy": _policy_lines(booking.policy),
        "can_cancel": booking.status == BookingStatus.BOOKED
        and booking.order_line_id is not None
        and booking.ends_at > now,
    }


def _sellers_booking(seller: Seller, booking_id: int) -> Booking:
    booking = (
        Booking.objects.select_related("session_type__product", "buyer", "consultant")
        .filter(pk=booking_id, consultant__seller=seller)
        .first()
    )
    if booking is None:
        raise Http404("No such booking.")
    return booking


def _booking_context(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    seller = authorised_seller(request)
    booking = _sellers_booking(seller, booking_id)
    now = timezone.now()
    context: dict[str, Any] = {
        "module": manifest,
        "seller": seller,
        **booking_facts(booking, booking.consultant.time_zone, now),
        "now": now,
        "role": "consultant",
        "partials": AROUND_THE_SESSION,
        "session": session_context(booking, role="consultant"),
        "aftercare": aftercare_context(booking, role="consultant"),
        "invite_url": reverse("consulting:invite", args=[booking.pk]),
        "week": booking.starts_at.astimezone(zone_of(booking.consultant.time_zone))
        .date()
        .isoformat(),
    }
    return context


@never_cache
@require_http_methods(["GET", "HEAD"])
def booking(request: HttpRequest, booking_id: int) -> HttpResponse:
    return render(request, "consulting/studio/booking.html", _booking_context(request, booking_id))


@require_POST
def cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    """The consultant calls the session off, once they confirmed: the buyer gets a full
    refund (once, however often this is posted)."""
    seller = authorised_seller(request)
    if request.POST.get("confirm") != "yes":
        context = _booking_context(request, booking_id)
        context["cancel_error"] = "Tick the box to confirm that you are cancelling."
        return render(request, "consulting/studio/booking.html", context, status=422)
    try:
        done = cancel_by_consultant(seller=seller, booking_id=booking_id)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        context = _booking_context(request, booking_id)
        context["cancel_error"] = error.message
        return render(request, "consulting/studio/booking.html", context, status=409)
    refunded = Money(done.refunded, done.booking.currency)
    messages.success(request, f"Session cancelled: the buyer gets {refunded} back and is told.")
    return HttpResponseRedirect(reverse("consulting_studio:booking", args=[booking_id]))
