"""The buyer's pages: the week of slots the booking calendar swaps in, holding a slot (into
the cart and on to checkout), "My consultations" and one booking's page, where the buyer
reschedules or cancels under the policy snapshotted on the booking.

Times show in the buyer's zone: ``?tz=`` when given, else the zone the booking was made in.
Views parse input, call the services and render; a refusal comes back to the page it came
from with the service's message. Another buyer's booking is not found, like one that does
not exist; where the module is off, the registry's guard answers 404 before these run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.accounts.models import User
from core.commerce.models import OrderLine, OrderStatus
from core.commerce.services import cart as carts
from core.errors import DomainError
from modules.consulting import selectors
from modules.consulting.aftercare_context import aftercare_context
from modules.consulting.errors import ConsultingErrorCode, invalid
from modules.consulting.manifest import manifest
from modules.consulting.models import ACTIVE, Booking, BookingStatus, SessionType
from modules.consulting.services import booking as bookings
from modules.consulting.services import cancellation, feeds, reschedule
from modules.consulting.services.policy import Policy
from modules.consulting.session_context import session_context
from modules.consulting.storefront import (
    SESSION_KEY,
    WeekPicker,
    first_day_of,
    money,
    policy_notes,
    policy_rows,
    week_context,
    zone_choices,
    zone_names,
    zone_of,
)

BOOKING_ERROR_KEY = "consulting_booking_refused"  # {"booking": id, "message": str}
PICK_FIRST = "Pick one of the free times first."
DONE_MESSAGES = {
    "rescheduled": "Your session has moved. The invite's new time is on its way.",
    "cancelled": "Your session is cancelled.",
}


def _bookable(session_type_id: int) -> SessionType:
    try:
        return selectors.bookable_session_type(session_type_id)
    except DomainError:
        raise Http404("No such session type.") from None


def _own_booking(request: HttpRequest, booking_id: int) -> Booking:
    try:
        return selectors.booking_of(request.user, booking_id)  # type: ignore[arg-type]
    except DomainError:
        raise Http404("No such booking.") from None


def _instant(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo is not None else None


def _product_page(session_type: SessionType, query: dict[str, str]) -> str:
    return f"/p/{session_type.product.slug}/?{urlencode(query)}#consult-booking"


# The week of slots ---------------------------------------------------------------------


@require_GET
def slot_week(request: HttpRequest, session_type_id: int) -> HttpResponse:
    """One week of a session type's free slots in the buyer's zone (the product page's
    calendar swaps it in with htmx)."""
    session_type = _bookable(session_type_id)
    zone = zone_of(request)
    rebook = request.GET.get("rebook", "")
    picker = WeekPicker(
        zone=zone,
        is_zone_chosen=True,
        first_day=first_day_of(request, zone),
        slots_url=reverse("consulting:slot_week", args=[session_type.pk]),
        page_url=f"/p/{session_type.product.slug}/",
        action=reverse("consulting:hold", args=[session_type.pk]),
        button="Book",
        rebook=rebook if rebook.isdigit() else "",
    )
    context = week_context(session_type, picker)
    return render(request, "consulting/partials/slot_week.html", context)


@require_GET
@login_required
def reschedule_week(request: HttpRequest, booking_id: int) -> HttpResponse:
    """The booking page's picker of another slot of the same session type."""
    booking = _own_booking(request, booking_id)
    picker = _reschedule_picker(request, booking)
    return render(
        request, "consulting/partials/slot_week.html", week_context(booking.session_type, picker)
    )


def _reschedule_picker(request: HttpRequest, booking: Booking, error: str = "") -> WeekPicker:
    zone = zone_of(request, booking.buyer_zone)
    return WeekPicker(
        zone=zone,
        is_zone_chosen=True,
        first_day=first_day_of(request, zone),
        slots_url=reverse("consulting:reschedule_week", args=[booking.pk]),
        page_url=reverse("consulting:booking", args=[booking.pk]),
        action=reverse("consulting:reschedule", args=[booking.pk]),
        button="Move here",
        error=error,
        show_zone=False,
    )


# Holding a slot --------------------------------------------------------------------------


def _hold_with_offer(
    user: User, session_type: SessionType, starts_at: datetime, zone: str, rebook: str
) -> None:
    with transaction.atomic():  # a hold the cart refuses is not left behind
        held = bookings.hold_slot(
            buyer=user,
            session_type_id=session_type.pk,
            starts_at=starts_at,
            buyer_zone=zone,
            rebook_offer_id=int(rebook) if rebook.isdigit() else None,
        )
        assert held.offer_id is not None
        cart = carts.get_or_create_cart(buyer=user, token=None)
        carts.add_offer(cart=cart, buyer=user, offer_id=held.offer_id)


@never_cache
@require_POST
def hold(request: HttpRequest, session_type_id: int) -> HttpResponse:
    """Hold the chosen slot, put its offer in the cart and go to checkout. A signed-out buyer
    signs in first and comes back to the same slot; a refused slot comes back to the
    calendar with the reason and the week refreshed."""
    session_type = _bookable(session_type_id)
    zone = request.POST.get("tz", "")
    zone = zone if zone in zone_names() else "UTC"
    week = request.POST.get("week", "")
    rebook = request.POST.get("rebook", "")
    raw = request.POST.get("starts_at", "")
    back = {"tz": zone, "week": week, **({"rebook": rebook} if rebook.isdigit() else {})}
    user = request.user
    if not isinstance(user, User):
        return_to = _product_page(session_type, {**back, "slot": raw})
        return HttpResponseRedirect(f"{settings.LOGIN_URL}?{urlencode({'next': return_to})}")
    starts_at = _instant(raw)
    try:
        if starts_at is None:
            raise invalid(ConsultingErrorCode.SLOT_UNAVAILABLE, "starts_at", PICK_FIRST)
        _hold_with_offer(user, session_type, starts_at, zone, rebook)
    except DomainError as error:  # the session type is there: anything else is shown
        request.session[SESSION_KEY] = {"session_type": session_type.pk, "message": error.message}
        return HttpResponseRedirect(_product_page(session_type, back))
    return HttpResponseRedirect(reverse("commerce:checkout"))


@never_cache
@require_POST
@login_required
def finish_paying(request: HttpRequest, booking_id: int) -> HttpResponse:
    """A held slot's payment, where it was left: the placed order's pay page, else the
    offer back in the cart and the checkout."""
    booking = _own_booking(request, booking_id)
    if booking.status != BookingStatus.HELD or booking.offer_id is None:
        return HttpResponseRedirect(reverse("consulting:booking", args=[booking.pk]))
    line = _pending_line(booking)
    if line is not None:
        return HttpResponseRedirect(reverse("commerce:pay_order", args=[line.order_id]))
    try:
        cart = carts.get_or_create_cart(buyer=request.user, token=None)  # type: ignore[arg-type]
        carts.add_offer(cart=cart, buyer=request.user, offer_id=booking.offer_id)  # type: ignore[arg-type]
    except DomainError as error:
        _refuse_on_booking(request, booking, error.message)
        return HttpResponseRedirect(reverse("consulting:booking", args=[booking.pk]))
    return HttpResponseRedirect(reverse("commerce:checkout"))


def _pending_line(booking: Booking) -> OrderLine | None:
    return (
        OrderLine.objects.filter(
            offer_id=booking.offer_id, order__status=OrderStatus.PENDING_PAYMENT
        )
        .order_by("-id")
        .first()
    )


# My consultations --------------------------------------------------------------------------


# A booking's state as its buyer reads it.
BUYER_STATUS = {
    BookingStatus.HELD: "Waiting for your payment",
    BookingStatus.BOOKED: "Booked",
    BookingStatus.EXPIRED: "Hold expired",
    BookingStatus.CANCELLED: "Cancelled",
    BookingStatus.LOST: "Paid too late: refunded",
    BookingStatus.COMPLETED: "Completed",
}


def _row(booking: Booking) -> dict[str, Any]:
    return {
        "booking": booking,
        "status": BUYER_STATUS.get(BookingStatus(booking.status), booking.status),
        "name": booking.session_type.product.name,
        "amount": money(booking.amount, booking.currency),
        "url": reverse("consulting:booking", args=[booking.pk]),
    }


def _feed_context(user: User) -> dict[str, Any]:
    """The private calendar feed's box."""
    return {"calendar_feed": feeds.feed_context(user)}


@never_cache
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """Upcoming sessions (held and booked, soonest first) and the rest (latest first)."""
    user: User = request.user  # type: ignore[assignment]
    now = timezone.now()
    rows = list(selectors.bookings_of(user)[:200])
    upcoming = sorted(
        (b for b in rows if b.status in ACTIVE and b.ends_at > now), key=lambda b: b.starts_at
    )
    upcoming_ids = {b.pk for b in upcoming}
    past = [b for b in rows if b.pk not in upcoming_ids]
    latest_zone = rows[0].buyer_zone if rows else "UTC"
    zone = zone_of(request, latest_zone)
    context = {
        "module": manifest,
        "zone": zone,
        "zones": zone_choices(zone),
        "upcoming": [_row(b) for b in upcoming],
        "past": [_row(b) for b in past],
        **_feed_context(user),
    }
    return render(request, "consulting/mine.html", context)


# One booking ---------------------------------------------------------------------------


def _refuse_on_booking(request: HttpRequest, booking: Booking, message: str) -> None:
    request.session[BOOKING_ERROR_KEY] = {"booking": booking.pk, "message": message}


def _refused_on_booking(request: HttpRequest, booking: Booking) -> str:
    refused = request.session.get(BOOKING_ERROR_KEY)
    if isinstance(refused, dict) and refused.get("booking") == booking.pk:
        del request.session[BOOKING_ERROR_KEY]
        return str(refused.get("message", ""))
    return ""


def _reschedule_closed(booking: Booking, policy: Policy, now: datetime) -> str:
    """Why the session cannot move now, or "" when it can (the service decides again)."""
    if booking.status != BookingStatus.BOOKED:
        return "Only a booked session can be moved."
    if booking.starts_at - now < timedelta(hours=policy.reschedule_cutoff_hours):
        return (
            f"Sessions move up to {policy.reschedule_cutoff_hours} hours before they start; "
            "this one is too close."
        )
    return ""


def _cancel_closed(booking: Booking, policy: Policy, now: datetime) -> str:
    if booking.status != BookingStatus.BOOKED or booking.order_line_id is None:
        return "Only a booked session can be cancelled."
    if booking.starts_at <= now or booking.starts_at - now < timedelta(
        hours=policy.cancellation_cutoff_hours
    ):
        return "It is too late to cancel this session."
    return ""


PARTIALS = {
    "join": "consulting/partials/join.html",
    "files": "consulting/partials/session_files.html",
    "notes": "consulting/partials/session_notes.html",
    "follow_ups": "consulting/partials/session_follow_ups.html",
    "aftercare": "consulting/partials/aftercare.html",
}


def _around_the_session(booking: Booking) -> dict[str, Any]:
    """What the other parts of the module add to the page: the join box, files, notes,
    follow-ups and aftercare (no-shows, book-again offers)."""
    return {
        "partials": PARTIALS,
        "session": session_context(booking, role="buyer"),
        "aftercare": aftercare_context(booking, role="buyer"),
    }


@never_cache
@login_required
def booking_page(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _own_booking(request, booking_id)
    now = timezone.now()
    policy = Policy.model_validate(booking.policy)
    reschedule_reason = _reschedule_closed(booking, policy, now)
    cancel_reason = _cancel_closed(booking, policy, now)
    error = _refused_on_booking(request, booking)
    zone = zone_of(request, booking.buyer_zone)
    context: dict[str, Any] = {
        "module": manifest,
        "booking": booking,
        "status": BUYER_STATUS.get(BookingStatus(booking.status), booking.status),
        "name": booking.session_type.product.name,
        "product_slug": booking.session_type.product.slug,
        "zone": zone,
        "zones": zone_choices(zone),
        "consultant_zone": booking.consultant.time_zone,
        "consultant_name": booking.consultant.seller.business_name,
        "amount": money(booking.amount, booking.currency),
        "refunded": money(booking.refunded_amount, booking.currency),
        "policy_rows": policy_rows(booking.policy),
        "policy_notes": policy_notes(booking.policy),
        "refund_now": money(cancellation.refund_preview(booking, now), booking.currency),
        "reschedule_reason": reschedule_reason,
        "cancel_reason": cancel_reason,
        "error": error,
        "done": DONE_MESSAGES.get(request.GET.get("done", ""), ""),
        "invite_url": reverse("consulting:invite", args=[booking.pk])
        if booking.status in ACTIVE
        else "",
        "now": now,
        "role": "buyer",
        **_around_the_session(booking),
    }
    if not reschedule_reason:
        picker = _reschedule_picker(request, booking)
        context.update(week_context(booking.session_type, picker), can_reschedule=True)
    return render(request, "consulting/booking.html", context)


@never_cache
@require_POST
@login_required
def reschedule_booking(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _own_booking(request, booking_id)
    page = reverse("consulting:booking", args=[booking.pk])
    zone = request.POST.get("tz", "")
    query = f"?{urlencode({'tz': zone})}" if zone in zone_names() else ""
    starts_at = _instant(request.POST.get("starts_at", ""))
    if starts_at is None:
        _refuse_on_booking(request, booking, PICK_FIRST)
        return HttpResponseRedirect(f"{page}{query}#reschedule")
    try:
        reschedule.reschedule_by_buyer(
            buyer=request.user,  # type: ignore[arg-type]
            booking_id=booking.pk,
            starts_at=starts_at,
        )
    except DomainError as error:
        _refuse_on_booking(request, booking, error.message)
        return HttpResponseRedirect(f"{page}{query}#reschedule")
    done = urlencode({"done": "rescheduled", **({"tz": zone} if query else {})})
    return HttpResponseRedirect(f"{page}?{done}")


@never_cache
@require_POST
@login_required
def cancel_booking(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = _own_booking(request, booking_id)
    page = reverse("consulting:booking", args=[booking.pk])
    try:
        cancellation.cancel_by_buyer(buyer=request.user, booking_id=booking.pk)  # type: ignore[arg-type]
    except DomainError as error:
        _refuse_on_booking(request, booking, error.message)
        return HttpResponseRedirect(f"{page}#cancel")
    return HttpResponseRedirect(f"{page}?done=cancelled")
