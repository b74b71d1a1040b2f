"""``{% join_button booking now as join %}``: what the join partial shows for a booking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

from modules.consulting import video
from modules.consulting.models import Booking
from modules.consulting.services.booking import current_bounds

register = template.Library()


@register.simple_tag(takes_context=True)
def join_button(
    context: template.Context, booking: Booking, now: datetime | None = None
) -> dict[str, Any]:
    """The join state at ``now`` (the page's clock; the real one when the page gave none),
    the window, the zone to show it in (the page's ``zone``, else the viewer's side's) and the
    join page's address; never the video link itself, which only the join page shows."""
    bounds = current_bounds()
    opens_at, closes_at = video.join_window(booking, bounds=bounds)
    zone = context.get("zone")
    if not isinstance(zone, str) or not zone:
        is_consultant = context.get("role") == "consultant"
        zone = booking.consultant.time_zone if is_consultant else booking.buyer_zone
    return {
        "state": video.join_state(booking, now=now or timezone.now(), bounds=bounds),
        "opens_at": opens_at,
        "closes_at": closes_at,
        "zone": zone,
        "path": video.join_path(booking),
    }
