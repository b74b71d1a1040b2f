"""A consultant's availability: profile (zone, buffers, notice, horizon, interval, caps,
policy), weekly rules, date overrides and session types."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.db import transaction

from core.catalog.models import Product
from core.sellers.models import Seller
from modules.consulting.errors import ConsultingErrorCode, invalid, not_found
from modules.consulting.manifest import CONSULT, ConsultingSettings
from modules.consulting.models import (
    ConsultantProfile,
    DateOverride,
    SessionType,
    VideoProvider,
    WeeklyRule,
    default_reminders,
)
from modules.consulting.services.policy import validated_policy
from modules.consulting.slots import MINUTES_PER_DAY, Availability, Window

MAX_WINDOWS_PER_DAY = 12


@cache
def known_zones() -> frozenset[str]:
    """The IANA zone names (``available_timezones`` walks the zone files on every call: a
    third of a slot request's time before it was kept)."""
    return frozenset(available_timezones())


def check_zone(name: str, field: str = "time_zone") -> str:
    try:
        if name not in known_zones():
            raise ZoneInfoNotFoundError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(
            ConsultingErrorCode.INVALID_AVAILABILITY, field, "Give an IANA time zone."
        ) from None
    return name


def _windows(windows: Sequence[Sequence[int]], field: str) -> list[Window]:
    cleaned = sorted((int(w[0]), int(w[1])) for w in windows if len(w) == 2)
    if len(cleaned) != len(windows) or len(cleaned) > MAX_WINDOWS_PER_DAY:
        raise invalid(
            ConsultingErrorCode.INVALID_AVAILABILITY, field, "Windows are [start, end] pairs."
        )
    for index, (start, end) in enumerate(cleaned):
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise invalid(
                ConsultingErrorCode.INVALID_AVAILABILITY,
                field,
                "A window is minutes after midnight: 0 <= start < end <= 1440.",
            )
        if index and cleaned[index - 1][1] > start:
            raise invalid(ConsultingErrorCode.INVALID_AVAILABILITY, field, "Windows overlap.")
    return cleaned


@dataclass(frozen=True)
class ProfileData:
    time_zone: str
    buffer_before: int = 0
    buffer_after: int = 0
    min_notice: int = 120
    horizon_days: int = 60
    slot_interval: int = 30
    max_per_day: int | None = None
    max_per_week: int | None = None
    policy: dict[str, object] | None = None
    # A date range (the consultant's calendar) instead of the rolling ``horizon_days``.
    horizon_start: date | None = None
    horizon_end: date | None = None
    video_provider: str = VideoProvider.JITSI
    own_video_link: str = ""
    reminder_minutes: Sequence[int] | None = None  # None: 24 h and 1 h before


MAX_REMINDERS = 3


def _checked_video(provider: str, link: str) -> tuple[str, str]:
    if provider not in VideoProvider.values:
        raise invalid(
            ConsultingErrorCode.INVALID_AVAILABILITY,
            "video_provider",
            "Choose Souk's video rooms (jitsi) or a link of your own (own_link).",
        )
    link = link.strip()
    if provider == VideoProvider.OWN_LINK and not (
        link.startswith("https://") and len(link) <= 500 and " " not in link
    ):
        raise invalid(
            ConsultingErrorCode.INVALID_AVAILABILITY,
            "own_video_link",
            "Give the https:// link of your own meeting room.",
        )
    return provider, link


def _checked_reminders(minutes: Sequence[int] | None) -> list[int]:
    if minutes is None:
        return default_reminders()
    cleaned = sorted({int(value) for value in minutes}, reverse=True)
    if len(cleaned) > MAX_REMINDERS or any(not 5 <= value <= 7 * 1440 for value in cleaned):
        raise invalid(
            ConsultingErrorCode.INVALID_AVAILABILITY,
            "reminder_minutes",
            f"Up to {MAX_REMINDERS} reminders, each 5 minutes to 7 days before a session.",
        )
    return cleaned


def _bounded(value: int | None, field: str, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise invalid(ConsultingErrorCode.INVALID_AVAILABILITY, field, f"Between {low} and {high}.")


@transaction.atomic
def set_profile(
    *, seller: Seller, data: ProfileData, bounds: ConsultingSettings
) -> ConsultantProfile:
    check_zone(data.time_zone)
    _bounded(data.buffer_before, "buffer_before", 0, 240)
    _bounded(data.buffer_after, "buffer_after", 0, 240)
    _bounded(data.min_notice, "min_notice", 0, 60 * 24 * 30)
    _bounded(data.horizon_days, "horizon_days", 1, 365)
    _bounded(data.slot_interval, "slot_interval", 5, 720)
    _bounded(data.max_per_day, "max_per_day", 1, 100)
    _bounded(data.max_per_week, "max_per_week", 1, 500)
    if (
        data.horizon_start is not None
        and data.horizon_end is not None
        and data.horizon_start > data.horizon_end
    ):
        raise invalid(
            ConsultingErrorCode.INVALID_AVAILABILITY, "horizon_end", "Ends before it starts."
        )
    if data.horizon_start is not None and data.horizon_end is None:
        raise invalid(
            ConsultingErrorCode.INVALID_AVAILABILITY, "horizon_end", "Give the range's last day."
        )
    provider, link = _checked_video(data.video_provider, data.own_video_link)
    reminders = _checked_reminders(data.reminder_minutes)
    policy = validated_policy(data.policy or {}, bounds)
    profile, _ = ConsultantProfile.objects.update_or_create(
        seller=seller,
        defaults={
            "time_zone": data.time_zone,
            "buffer_before": data.buffer_before,
            "buffer_after": data.buffer_after,
            "min_notice": data.min_notice,
            "horizon_days": data.horizon_days,
            "slot_interval": data.slot_interval,
            "max_per_day": data.max_per_day,
            "max_per_week": data.max_per_week,
            "policy": policy.model_dump(mode="json"),
            "horizon_start": data.horizon_start,
            "horizon_end": data.horizon_end,
            "video_provider": provider,
            "own_video_link": link,
            "reminder_minutes": reminders,
        },
    )
    return profile


def profile_of(seller: Seller) -> ConsultantProfile:
    profile = ConsultantProfile.objects.filter(seller=seller).first()
    if profile is None:
        raise not_found("Set up your consulting profile first.")
    return profile


@transaction.atomic
def set_weekly_rules(
    *, profile: ConsultantProfile, rules: Mapping[int, Sequence[Sequence[int]]]
) -> list[WeeklyRule]:
    """Replace the weekly rules: weekday (Monday 0) -> windows in local minutes."""
    rows: list[WeeklyRule] = []
    for weekday, windows in sorted(rules.items()):
        if not 0 <= weekday <= 6:
            raise invalid(ConsultingErrorCode.INVALID_AVAILABILITY, "weekday", "Monday 0 - 6.")
        for start, end in _windows(windows, f"rules.{weekday}"):
            rows.append(
                WeeklyRule(consultant=profile, weekday=weekday, start_minute=start, end_minute=end)
            )
    WeeklyRule.objects.filter(consultant=profile).delete()
    return WeeklyRule.objects.bulk_create(rows)


@transaction.atomic
def set_override(
    *, profile: ConsultantProfile, day: date, windows: Sequence[Sequence[int]]
) -> DateOverride:
    """The whole of ``day`` replaced by ``windows`` (none: a day off)."""
    cleaned = _windows(windows, "windows")
    override, _ = DateOverride.objects.update_or_create(
        consultant=profile, date=day, defaults={"windows": [list(w) for w in cleaned]}
    )
    return override


def remove_override(*, profile: ConsultantProfile, day: date) -> bool:
    deleted, _ = DateOverride.objects.filter(consultant=profile, date=day).delete()
    return deleted > 0


@transaction.atomic
def set_session_type(
    *,
    profile: ConsultantProfile,
    product_id: int,
    minutes: int,
    price: int,
    currency: str,
    description: str = "",
    seats: int = 1,
    is_active: bool = True,
) -> SessionType:
    """Make one of the consultant's ``consult`` products bookable (or change its terms)."""
    product = Product.objects.filter(
        pk=product_id, seller_id=profile.seller_id, product_type=CONSULT
    ).first()
    if product is None:
        raise not_found("No such consultation product of yours.")
    _bounded(minutes, "minutes", 5, 720)
    _bounded(price, "price", 0, 10**10)
    _bounded(seats, "seats", 1, 500)
    if len(currency) != 3 or not currency.isalpha():
        raise invalid(ConsultingErrorCode.INVALID_SESSION_TYPE, "currency", "ISO 4217 code.")
    session_type, _ = SessionType.objects.update_or_create(
        product=product,
        defaults={
            "consultant": profile,
            "minutes": minutes,
            "price": price,
            "currency": currency.upper(),
            "description": description[:4000],
            "seats": seats,
            "is_active": is_active,
        },
    )
    return session_type


def availability_of(profile: ConsultantProfile) -> Availability:
    """The stored availability as the slot engine takes it (two queries)."""
    weekly: dict[int, list[Window]] = {}
    for rule in WeeklyRule.objects.filter(consultant=profile):
        weekly.setdefault(rule.weekday, []).append((rule.start_minute, rule.end_minute))
    overrides = {
        row.date: [(int(w[0]), int(w[1])) for w in row.windows]
        for row in DateOverride.objects.filter(consultant=profile)
    }
    return Availability(
        zone=profile.time_zone,
        weekly=weekly,
        overrides=overrides,
        buffer_before=profile.buffer_before,
        buffer_after=profile.buffer_after,
        min_notice=profile.min_notice,
        horizon_days=profile.horizon_days,
        interval=profile.slot_interval,
        max_per_day=profile.max_per_day,
        max_per_week=profile.max_per_week,
        horizon_start=profile.horizon_start,
        horizon_end=profile.horizon_end,
    )
