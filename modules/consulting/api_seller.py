"""Consultants: their profile (zone, buffers, notice, horizon, interval, caps, policy),
weekly rules, date overrides and session types."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from core.schemas import StrictSchema
from core.sellers.auth import authorised_seller
from modules.consulting import selectors
from modules.consulting.models import Booking, ConsultantProfile, DateOverride, SessionType
from modules.consulting.services import availability, cancellation
from modules.consulting.services.booking import current_bounds

seller_router = Router(tags=["consulting"])

WindowList = list[list[int]]


class PolicyIn(StrictSchema):
    refund_tiers: list[list[int]] = Field(
        default_factory=lambda: [[48, 100], [24, 50]], max_length=5
    )
    late_refund_percent: int = 0
    reschedule_cutoff_hours: int = 24
    cancellation_cutoff_hours: int = 0


class ProfileIn(StrictSchema):
    time_zone: str = Field(..., max_length=64)
    buffer_before: int = 0
    buffer_after: int = 0
    min_notice: int = 120
    horizon_days: int = 60
    slot_interval: int = 30
    max_per_day: int | None = None
    max_per_week: int | None = None
    policy: PolicyIn = Field(default_factory=PolicyIn)
    horizon_start: date | None = None
    horizon_end: date | None = None
    video_provider: str = Field("jitsi", max_length=16)
    own_video_link: str = Field("", max_length=500)
    reminder_minutes: list[int] | None = Field(None, max_length=3)


class PolicyOut(Schema):
    refund_tiers: list[list[int]]
    late_refund_percent: int
    reschedule_cutoff_hours: int
    cancellation_cutoff_hours: int


class ProfileOut(Schema):
    time_zone: str
    buffer_before: int
    buffer_after: int
    min_notice: int
    horizon_days: int
    slot_interval: int
    max_per_day: int | None
    max_per_week: int | None
    policy: PolicyOut
    horizon_start: date | None
    horizon_end: date | None
    video_provider: str
    own_video_link: str
    reminder_minutes: list[int]


class RulesIn(StrictSchema):
    # weekday (Monday 0) -> windows [[start_minute, end_minute], ...] in your zone
    rules: dict[int, list[list[int]]] = Field(..., max_length=7)


class OverrideIn(StrictSchema):
    windows: list[list[int]] = Field(default_factory=list, max_length=12)


class OverrideOut(Schema):
    date: date
    windows: list[list[int]]


class RulesOut(Schema):
    windows: int


class SessionTypeIn(StrictSchema):
    product_id: int
    minutes: int
    price: int
    currency: str = Field(..., min_length=3, max_length=3)
    description: str = Field("", max_length=4000)
    seats: int = 1
    is_active: bool = True


class SessionTypeOut(Schema):
    id: int
    product_id: int
    minutes: int
    price: int
    currency: str
    description: str
    seats: int
    is_active: bool


@seller_router.put("/profile", response=ProfileOut, summary="Your consulting profile and policy")
def put_profile(request: HttpRequest, payload: ProfileIn) -> ConsultantProfile:
    data = payload.model_dump()
    policy = data.pop("policy")
    return availability.set_profile(
        seller=authorised_seller(request),
        data=availability.ProfileData(**data, policy=policy),
        bounds=current_bounds(),
    )


@seller_router.put("/rules", response=RulesOut, summary="Replace your weekly rules")
def put_rules(request: HttpRequest, payload: RulesIn) -> dict[str, int]:
    profile = availability.profile_of(authorised_seller(request))
    rows = availability.set_weekly_rules(profile=profile, rules=payload.rules)
    return {"windows": len(rows)}


@seller_router.put(
    "/overrides/{day}", response=OverrideOut, summary="Replace one date (no windows: off)"
)
def put_override(request: HttpRequest, day: date, payload: OverrideIn) -> DateOverride:
    profile = availability.profile_of(authorised_seller(request))
    return availability.set_override(profile=profile, day=day, windows=payload.windows)


@seller_router.put(
    "/session-types", response=SessionTypeOut, summary="Make a consult product bookable"
)
def put_session_type(request: HttpRequest, payload: SessionTypeIn) -> SessionType:
    profile = availability.profile_of(authorised_seller(request))
    return availability.set_session_type(profile=profile, **payload.model_dump())


@seller_router.get("/session-types", response=list[SessionTypeOut], summary="Your session types")
def session_types(request: HttpRequest) -> list[SessionType]:
    return list(selectors.session_types_of(authorised_seller(request))[:200])


class CalendarOut(Schema):
    id: int
    session_type_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    amount: int
    currency: str
    refunded_amount: int


@seller_router.get("/bookings", response=list[CalendarOut], summary="Your calendar")
def calendar(request: HttpRequest) -> list[Booking]:
    return list(selectors.calendar_of(authorised_seller(request))[:500])


@seller_router.post(
    "/bookings/{booking_id}/cancel",
    response=CalendarOut,
    summary="Call a booked session off: the buyer is refunded in full (once)",
)
def cancel_booking(request: HttpRequest, booking_id: int) -> Booking:
    return cancellation.cancel_by_consultant(
        seller=authorised_seller(request), booking_id=booking_id
    ).booking
