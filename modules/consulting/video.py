"""Video sessions: where a booking's participants meet, and when they may.

A consultant chooses Souk's own video rooms (a self-hosted Jitsi) or a link of their own
(``ConsultantProfile.video_provider``); ``provider_for(profile)`` answers the adapter. A
Jitsi room is named after the booking's ``room`` (random, 192 bits, unique), so it cannot be
guessed, and its link is only ever shown on Souk's join page to the booking's buyer and
consultant, inside the join window: from ``join_early_minutes`` before the start until the
end plus ``video_grace_minutes`` (the operator's settings). With an app secret configured
the link carries a JWT for that room alone, valid for that window only, that makes the
consultant the room's moderator; without one (a demo) the room is open to whoever has the
link.

Jitsi's side is configured by the Django settings ``SOUK_JITSI_DOMAIN``,
``SOUK_JITSI_APP_ID`` and ``SOUK_JITSI_APP_SECRET`` (Prosody's ``app_id``/``app_secret`` of
its token authentication)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol
from urllib.parse import quote

import jwt
from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from core.accounts.models import User
from core.schema import current_schema_name
from core.sellers.models import Seller
from core.sellers.permissions import held_permissions
from modules.consulting.errors import not_found
from modules.consulting.manifest import ConsultingSettings, manifest
from modules.consulting.models import (
    Booking,
    BookingStatus,
    ConsultantProfile,
)
from modules.consulting.models import (
    VideoProvider as VideoProviderChoice,
)
from modules.consulting.services.booking import current_bounds

Role = Literal["buyer", "consultant"]
JoinState = Literal["upcoming", "open", "ended", "cancelled"]

DEFAULT_JITSI_DOMAIN = "meet.jit.si"
DEFAULT_JITSI_APP_ID = "souk"
JWT_AUDIENCE = "jitsi"
# Sessions that may still be joined (a session marked completed keeps its grace period).
JOINABLE = (BookingStatus.BOOKED, BookingStatus.COMPLETED)
# Sessions that never became one: no join page at all.
NEVER_BOOKED = (BookingStatus.HELD, BookingStatus.EXPIRED, BookingStatus.LOST)


class VideoProvider(Protocol):
    """Where a booking's session takes place. ``join_link`` is personal (it may carry a
    token naming the participant and their role), so it is shown only to that participant."""

    name: str

    def join_link(
        self, booking: Booking, *, participant: User, moderator: bool, now: datetime
    ) -> str: ...


@dataclass(frozen=True)
class JitsiConfig:
    domain: str
    app_id: str
    app_secret: str


def jitsi_config() -> JitsiConfig:
    return JitsiConfig(
        domain=getattr(settings, "SOUK_JITSI_DOMAIN", "") or DEFAULT_JITSI_DOMAIN,
        app_id=getattr(settings, "SOUK_JITSI_APP_ID", "") or DEFAULT_JITSI_APP_ID,
        app_secret=getattr(settings, "SOUK_JITSI_APP_SECRET", ""),
    )


class JitsiProvider:
    """A room per booking on Souk's Jitsi server, entered with a JWT (HS256, Prosody's
    ``token`` authentication) when the server has an app secret."""

    name = VideoProviderChoice.JITSI.value

    def __init__(self, config: JitsiConfig | None = None) -> None:
        self.config = config or jitsi_config()

    def room_name(self, booking: Booking) -> str:
        """The marketplace's schema, then the booking's random room. Jitsi lower-cases room
        names, so they are lower-cased here (still about 165 random bits)."""
        prefix = current_schema_name().replace("_", "-")
        return f"{prefix}-{booking.room}".lower()

    def token(
        self,
        booking: Booking,
        *,
        participant: User,
        moderator: bool,
        now: datetime,
        bounds: ConsultingSettings | None = None,
    ) -> str:
        opens_at, closes_at = join_window(booking, bounds=bounds)
        claims = {
            "aud": JWT_AUDIENCE,
            "iss": self.config.app_id,
            "sub": self.config.domain,
            "room": self.room_name(booking),
            "iat": int(now.timestamp()),
            "nbf": int(opens_at.timestamp()),
            "exp": int(closes_at.timestamp()),
            "context": {
                "user": {
                    "id": str(participant.pk),
                    "name": participant.full_name or participant.email,
                    "email": participant.email,
                    "moderator": moderator,
                }
            },
        }
        return jwt.encode(claims, self.config.app_secret, algorithm="HS256")

    def join_link(
        self, booking: Booking, *, participant: User, moderator: bool, now: datetime
    ) -> str:
        url = f"https://{self.config.domain}/{quote(self.room_name(booking))}"
        if not self.config.app_secret:  # a demo server without token authentication
            return url
        token = self.token(booking, participant=participant, moderator=moderator, now=now)
        return f"{url}?jwt={token}"


class OwnLinkProvider:
    """The consultant's own meeting room (``own_video_link``), the same for every booking;
    Souk still shows it only to the participants, inside the join window."""

    name = VideoProviderChoice.OWN_LINK.value

    def __init__(self, link: str) -> None:
        self.link = link

    def join_link(
        self, booking: Booking, *, participant: User, moderator: bool, now: datetime
    ) -> str:
        return self.link


def provider_for(profile: ConsultantProfile) -> VideoProvider:
    # set_profile refuses own_link without an https link; an old row without one falls back
    # to Souk's rooms rather than leaving the participants nowhere to meet.
    if profile.video_provider == VideoProviderChoice.OWN_LINK and profile.own_video_link:
        return OwnLinkProvider(profile.own_video_link)
    return JitsiProvider()


def join_path(booking: Booking) -> str:
    """Souk's join page of the booking (the only place its video link is shown)."""
    return reverse("consulting:join", args=[booking.pk])


def join_window(
    booking: Booking, *, bounds: ConsultingSettings | None = None
) -> tuple[datetime, datetime]:
    """(opens_at, closes_at): from ``join_early_minutes`` before the start to the end plus
    ``video_grace_minutes``, under the marketplace's current settings."""
    bounds = bounds or current_bounds()
    return (
        booking.starts_at - timedelta(minutes=bounds.join_early_minutes),
        booking.ends_at + timedelta(minutes=bounds.video_grace_minutes),
    )


def join_state(
    booking: Booking, *, now: datetime, bounds: ConsultingSettings | None = None
) -> JoinState:
    if booking.status not in JOINABLE:
        return "cancelled"
    opens_at, closes_at = join_window(booking, bounds=bounds)
    if now < opens_at:
        return "upcoming"
    if now >= closes_at:
        return "ended"
    return "open"


def role_of(booking: Booking, user: User) -> Role | None:
    """The consultant is the seller's owner, or a teammate holding every permission the
    module's seller side needs; the buyer is the booking's buyer; anyone else is nobody."""
    if user.is_authenticated:
        held = held_permissions(user, booking.consultant.seller)
        if all(permission in held for permission in manifest.permissions):
            return "consultant"
        if booking.buyer_id == user.pk:
            return "buyer"
    return None


def _sessions() -> QuerySet[Booking]:
    return Booking.objects.select_related(
        "consultant__seller", "session_type__product", "buyer"
    ).exclude(status__in=NEVER_BOOKED)


def participants_booking(user: User, booking_id: int) -> tuple[Booking, Role]:
    """The booking and the user's role in it; not found for anyone but its participants, and
    for a slot that was never booked (held, expired, lost)."""
    booking = _sessions().filter(pk=booking_id).first()
    role = role_of(booking, user) if booking is not None else None
    if booking is None or role is None:
        raise not_found()
    return booking, role


def buyers_session(buyer: User, booking_id: int) -> Booking:
    """One of ``buyer``'s booked sessions (the buyer API); anyone else's is not found."""
    booking = _sessions().filter(pk=booking_id, buyer=buyer).first()
    if booking is None:
        raise not_found()
    return booking


def consultants_session(seller: Seller, booking_id: int) -> Booking:
    """A booked session on ``seller``'s calendar (the seller API, already authorised for the
    seller); another consultant's is not found."""
    booking = _sessions().filter(pk=booking_id, consultant__seller=seller).first()
    if booking is None:
        raise not_found()
    return booking


def join_link_for(
    booking: Booking,
    *,
    participant: User,
    role: Role,
    now: datetime,
    bounds: ConsultingSettings | None = None,
) -> str | None:
    """The participant's link into the session while its window is open; None otherwise."""
    bounds = bounds or current_bounds()
    if join_state(booking, now=now, bounds=bounds) != "open":
        return None
    return provider_for(booking.consultant).join_link(
        booking, participant=participant, moderator=role == "consultant", now=now
    )
