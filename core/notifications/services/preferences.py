"""Each user's type x channel matrix (defaults from the type's spec), quiet hours in their
time zone and the daily digest. A critical type's default channels cannot be switched off."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.db import transaction

from core.notifications.errors import NotificationError, NotificationErrorCode
from core.notifications.models import Preferences
from core.notifications.types import CHANNELS, NotificationTypeSpec, all_types, find_type

PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True)
class ChannelChoice:
    channel: str
    is_on: bool
    is_locked: bool  # a critical type's default channel: always on


@dataclass(frozen=True)
class TypeRow:
    key: str
    label: str
    is_critical: bool
    channels: list[ChannelChoice]


def preferences_for(user_id: int) -> Preferences:
    """The user's row, or unsaved defaults (reading never writes)."""
    found = Preferences.objects.filter(user_id=user_id).first()
    return found if found is not None else Preferences(user_id=user_id)


def is_locked(spec: NotificationTypeSpec, channel: str) -> bool:
    return spec.is_critical and channel in spec.default_channels


def is_channel_on(preferences: Preferences, spec: NotificationTypeSpec, channel: str) -> bool:
    if is_locked(spec, channel):
        return True
    chosen = (preferences.channels or {}).get(spec.key, {})
    if channel in chosen:
        return bool(chosen[channel])
    return channel in spec.default_channels


def channels_for(preferences: Preferences, type_key: str) -> list[str]:
    spec = find_type(type_key)
    if spec is None:
        return []
    return [channel for channel in CHANNELS if is_channel_on(preferences, spec, channel)]


def matrix(preferences: Preferences) -> list[TypeRow]:
    return [
        TypeRow(
            key=spec.key,
            label=spec.label,
            is_critical=spec.is_critical,
            channels=[
                ChannelChoice(
                    channel, is_channel_on(preferences, spec, channel), is_locked(spec, channel)
                )
                for channel in CHANNELS
            ],
        )
        for spec in sorted(all_types().values(), key=lambda spec: spec.key)
    ]


def _invalid(code: NotificationErrorCode, message: str, field: str) -> NotificationError:
    return NotificationError(code, message, details={"field": field})


def update_preferences(
    *,
    user_id: int,
    channels: dict[str, dict[str, bool]] | None = None,
    time_zone: str | None = None,
    quiet_start: time | None = None,
    quiet_end: time | None = None,
    is_daily_digest: bool | None = None,
    phone_number: str | None = None,
    clear_quiet_hours: bool = False,
) -> Preferences:
    """Only the given parts change. Switching off a critical type's channel is refused."""
    cleaned: dict[str, dict[str, bool]] = {}
    for type_key, choices in (channels or {}).items():
        spec = all_types().get(type_key)
        if spec is None:
            raise _invalid(
                NotificationErrorCode.UNKNOWN_TYPE,
                f"No notification type {type_key!r}.",
                "channels",
            )
        for channel, is_on in choices.items():
            if channel not in CHANNELS:
                raise _invalid(
                    NotificationErrorCode.UNKNOWN_CHANNEL, f"No channel {channel!r}.", "channels"
                )
            if is_locked(spec, channel) and not is_on:
                raise NotificationError(
                    NotificationErrorCode.CRITICAL_LOCKED,
                    f"{spec.label}: {channel} cannot be switched off (it protects your account "
                    "or your money).",
                    details={"field": "channels", "type_key": type_key, "channel": channel},
                )
            if channel in spec.default_channels and is_on:
                continue  # the default: not stored, so a changed default reaches this user
            if channel not in spec.default_channels and not is_on:
                continue
            cleaned.setdefault(type_key, {})[channel] = bool(is_on)
    if time_zone is not None:
        _check_time_zone(time_zone)
    if phone_number and not PHONE.match(phone_number):
        raise _invalid(
            NotificationErrorCode.INVALID_PHONE,
            "A phone number in international form, like +4915112345678.",
            "phone_number",
        )
    if (quiet_start is None) != (quiet_end is None) and not clear_quiet_hours:
        raise _invalid(
            NotificationErrorCode.INVALID_QUIET_HOURS,
            "Quiet hours need a start and an end.",
            "quiet_start",
        )
    if quiet_start is not None and quiet_start == quiet_end:
        raise _invalid(
            NotificationErrorCode.INVALID_QUIET_HOURS,
            "Quiet hours must start and end at different times.",
            "quiet_end",
        )
    with transaction.atomic():
        preferences, _ = Preferences.objects.select_for_update().get_or_create(user_id=user_id)
        if channels is not None:
            merged: dict[str, Any] = dict(preferences.channels or {})
            for type_key in channels:
                merged.pop(type_key, None)
            merged.update(cleaned)
            preferences.channels = merged
        if time_zone is not None:
            preferences.time_zone = time_zone
        if clear_quiet_hours:
            preferences.quiet_start = preferences.quiet_end = None
        elif quiet_start is not None and quiet_end is not None:
            preferences.quiet_start, preferences.quiet_end = quiet_start, quiet_end
        if is_daily_digest is not None:
            preferences.is_daily_digest = is_daily_digest
        if phone_number is not None:
            preferences.phone_number = phone_number
        preferences.save()
    return preferences


def _check_time_zone(name: str) -> None:
    try:
        if name not in available_timezones():
            raise ZoneInfoNotFoundError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise _invalid(
            NotificationErrorCode.INVALID_TIME_ZONE,
            f"{name!r} is not an IANA time zone (like Europe/Berlin).",
            "time_zone",
        ) from error


def zone_of(preferences: Preferences) -> ZoneInfo:
    try:
        return ZoneInfo(preferences.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def quiet_until(preferences: Preferences, now: datetime) -> datetime | None:
    """When the user's quiet hours end, if ``now`` is inside them; else None."""
    start, end = preferences.quiet_start, preferences.quiet_end
    if start is None or end is None:
        return None
    local = now.astimezone(zone_of(preferences))
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    end_day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=local.tzinfo)
