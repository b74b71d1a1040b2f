"""Invites (.ics) and the private calendar feed, mounted under ``/consulting/`` (the module's
guard answers 404 where the module is off):

- ``bookings/<id>/invite.ics`` (``consulting:invite``): the booking's invite, for its buyer
  and its consultant signed in; anyone else gets 404, as for a booking that does not exist;
- ``calendar/<token>.ics`` (``consulting:feed``): the user's feed, opened by its token alone
  (calendar apps send no cookies), never cached on the way;
- ``calendar/rotate/`` (``consulting:feed_rotate``): a new private link (htmx swaps the
  partial; without JavaScript the form posts and comes back)."""
# Owned by H1 this session; included by the area's urls.py.

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core.accounts.models import User
from modules.consulting.errors import ConsultingError
from modules.consulting.services import feeds


def calendar_response(body: bytes, *, method: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=f"text/calendar; charset=utf-8; method={method}")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
@login_required
def invite(request: HttpRequest, booking_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        body, method = feeds.invite_of(user, booking_id)
    except ConsultingError:
        raise Http404("No such booking.") from None
    return calendar_response(body, method=method, filename="invite.ics")


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    try:
        body = feeds.feed_calendar(token)
    except ConsultingError:
        raise Http404("No such calendar.") from None
    response = calendar_response(body, method="PUBLISH", filename="sessions.ics")
    response["Content-Disposition"] = 'inline; filename="sessions.ics"'
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
@login_required
def feed_rotate(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    feeds.rotate_feed(user)
    back = request.POST.get("next", "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, {request.get_host()}, require_https=False
    ):
        back = reverse("consulting:mine")
    if request.headers.get("HX-Request"):
        context = {"calendar_feed": {**feeds.feed_context(user), "is_new": True, "next": back}}
        return render(request, "consulting/partials/calendar_feed.html", context)
    return HttpResponseRedirect(back)


urlpatterns: list[URLPattern] = [
    path("bookings/<int:booking_id>/invite.ics", invite, name="invite"),
    path("calendar/rotate/", feed_rotate, name="feed_rotate"),
    path("calendar/<str:token>.ics", feed, name="feed"),
]
