"""Part of the module's API (owned by H1 this session): ``router`` joins the buyer router at
``/api/v1/consulting/``, ``seller_router`` the seller router (no auth of its own).

- ``GET /calendar-feed``: your private calendar feed's URL (made the first time);
- ``POST /calendar-feed/rotate``: a new URL, the old one answers 404 from now on;
- ``GET /bookings/{id}/invite.ics``: a booking's invite, for its buyer or its consultant
  (anyone else: 404)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from core.accounts.auth import user_auth
from core.accounts.principal import principal_of
from modules.consulting.services import feeds

router = Router(tags=["consulting"])
seller_router = Router(tags=["consulting"])

CALENDAR_OPENAPI = {
    "responses": {200: {"description": "An iCalendar file", "content": {"text/calendar": {}}}}
}


class CalendarFeedOut(Schema):
    url: str
    webcal_url: str


def _feed_out(request: HttpRequest, *, is_new: bool) -> CalendarFeedOut:
    user = principal_of(request).user
    feed = feeds.rotate_feed(user) if is_new else feeds.feed_for(user)
    url, webcal = feeds.feed_urls(feed)
    return CalendarFeedOut(url=url, webcal_url=webcal)


@router.get(
    "/calendar-feed",
    response=CalendarFeedOut,
    auth=user_auth,
    summary="Your private calendar feed (sessions as buyer and as consultant)",
)
def calendar_feed(request: HttpRequest) -> CalendarFeedOut:
    return _feed_out(request, is_new=False)


@router.post(
    "/calendar-feed/rotate",
    response=CalendarFeedOut,
    auth=user_auth,
    summary="A new private feed URL (the old one stops working)",
)
def rotate_calendar_feed(request: HttpRequest) -> CalendarFeedOut:
    return _feed_out(request, is_new=True)


@router.get(
    "/bookings/{booking_id}/invite.ics",
    auth=user_auth,
    openapi_extra=CALENDAR_OPENAPI,
    summary="A booking's calendar invite (its cancellation once cancelled)",
)
def booking_invite(request: HttpRequest, booking_id: int) -> HttpResponse:
    body, method = feeds.invite_of(principal_of(request).user, booking_id)
    response = HttpResponse(body, content_type=f"text/calendar; charset=utf-8; method={method}")
    response["Content-Disposition"] = 'attachment; filename="invite.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
