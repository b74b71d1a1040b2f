"""The join page of a booked session, ``/consulting/bookings/<id>/join/``: for the booking's
buyer and its consultant (the seller's owner, or a teammate with the module's permissions),
a 404 for anyone else. Before the join window it says when the room opens (in the viewer's
own zone); inside, it gives the viewer's personal link into the room; afterwards it says the
session has ended. The personal link may carry a token, so the page is never cached and
never sent as a referrer."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from core.accounts.views import signed_in_user
from modules.consulting import video
from modules.consulting.errors import ConsultingError
from modules.consulting.models import Booking
from modules.consulting.services.booking import current_bounds

# A page waiting for its window reloads itself when the window opens, if that is this soon.
RELOAD_WITHIN_SECONDS = 3600


def _back_link(booking: Booking, role: video.Role) -> str:
    """The viewer's page of the booking once it exists, else their list of sessions."""
    area = "consulting_studio" if role == "consultant" else "consulting"
    try:
        return reverse(f"{area}:booking", args=[booking.pk])
    except NoReverseMatch:
        return reverse("consulting_studio:home" if role == "consultant" else "consulting:mine")


@login_required
@require_safe
def join(request: HttpRequest, booking_id: int) -> HttpResponse:
    user = signed_in_user(request)
    try:
        booking, role = video.participants_booking(user, booking_id)
    except ConsultingError as error:
        raise Http404(error.message) from None
    now = timezone.now()
    bounds = current_bounds()
    opens_at, closes_at = video.join_window(booking, bounds=bounds)
    state = video.join_state(booking, now=now, bounds=bounds)
    link = video.join_link_for(booking, participant=user, role=role, now=now, bounds=bounds)
    seconds_to_open = int((opens_at - now).total_seconds())
    context = {
        "booking": booking,
        "role": role,
        "state": state,
        "link": link,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "early_minutes": bounds.join_early_minutes,
        "zone": booking.buyer_zone if role == "buyer" else booking.consultant.time_zone,
        "other_side": booking.consultant.seller.business_name
        if role == "buyer"
        else (booking.buyer.full_name or booking.buyer.email),
        "provider": video.provider_for(booking.consultant).name,
        "back": _back_link(booking, role),
        "reload_in": seconds_to_open + 1
        if state == "upcoming" and seconds_to_open < RELOAD_WITHIN_SECONDS
        else None,
    }
    response = render(request, "consulting/join.html", context)
    # The link is the viewer's own (a token naming them): no cache keeps it, and neither the
    # video server nor anything else learns this page's address.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
