"""The video session of a booking, for each side: its provider, the join window and, while
the window is open, the caller's own link into the room (``null`` outside it). Part of the
module's API: ``router`` joins the buyer router at ``/api/v1/consulting/``,
``seller_router`` the seller router (whose auth the composition root sets)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from core.accounts.auth import user_auth
from core.accounts.models import User
from core.accounts.principal import principal_of
from core.sellers.auth import authorised_seller
from modules.consulting import video
from modules.consulting.models import Booking
from modules.consulting.services.booking import current_bounds

router = Router(tags=["consulting"])
seller_router = Router(tags=["consulting"])


class VideoOut(Schema):
    provider: str
    opens_at: datetime
    closes_at: datetime
    url: str | None


def video_out(booking: Booking, *, participant: User, role: video.Role) -> VideoOut:
    now = timezone.now()
    bounds = current_bounds()
    opens_at, closes_at = video.join_window(booking, bounds=bounds)
    return VideoOut(
        provider=video.provider_for(booking.consultant).name,
        opens_at=opens_at,
        closes_at=closes_at,
        url=video.join_link_for(
            booking, participant=participant, role=role, now=now, bounds=bounds
        ),
    )


@router.get(
    "/bookings/{booking_id}/video",
    response=VideoOut,
    auth=user_auth,
    summary="Your session's video room: its window, and your link while it is open",
)
def buyer_video(request: HttpRequest, booking_id: int) -> VideoOut:
    buyer = principal_of(request).user
    booking = video.buyers_session(buyer, booking_id)
    return video_out(booking, participant=buyer, role="buyer")


@seller_router.get(
    "/bookings/{booking_id}/video",
    response=VideoOut,
    summary="A booked session's video room: its window, and your moderator link while open",
)
def consultant_video(request: HttpRequest, booking_id: int) -> VideoOut:
    booking = video.consultants_session(authorised_seller(request), booking_id)
    return video_out(booking, participant=principal_of(request).user, role="consultant")
