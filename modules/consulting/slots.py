"""Free slots, computed in pure Python from a consultant's availability and what is already
taken: no database here, so the daylight-saving rules can be tested exhaustively.

Wall-clock times are the consultant's, in the consultant's IANA zone; a slot starts at a
wall-clock time the rules allow (``window start + k * interval``) that exists that day (a
start inside a spring-forward gap is skipped; in an autumn fold the first occurrence is
used), lasts exactly ``minutes`` of real time, and ends no later (in real time) than the
window's end. Everything compared is an aware UTC datetime.

What a consultant has taken is "blocked time": ``[start - buffer_before, end + buffer_after)``.
Two sessions' blocked times never overlap (PostgreSQL's exclusion constraint on
``ConsultingSession`` enforces the same rule), so a candidate is free when its own blocked
time overlaps none.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 1440

Window = tuple[int, int]  # minutes after local midnight: [start, end), end up to 1440


@dataclass(frozen=True)
class Availability:
    """A consultant's availability, as stored (``ConsultantProfile`` and its rules)."""

    zone: str
    weekly: Mapping[int, Sequence[Window]]  # weekday (Monday 0) -> windows
    overrides: Mapping[date, Sequence[Window]] = field(default_factory=dict)  # () = day off
    buffer_before: int = 0  # minutes
    buffer_after: int = 0
    min_notice: int = 0  # minutes
    horizon_days: int = 60
    interval: int = 30  # minutes between possible starts
    max_per_day: int | None = None
    max_per_week: int | None = None


@dataclass(frozen=True)
class Taken:
    """A session already on the consultant's calendar (held or booked)."""

    starts_at: datetime
    ends_at: datetime
    buffer_before: int
    buffer_after: int
    session_type_id: int | None = None
    seats_left: int = 0  # a group session of the same type with seats left can be joined

    @property
    def blocked_from(self) -> datetime:
        return self.starts_at - timedelta(minutes=self.buffer_before)

    @property
    def blocked_until(self) -> datetime:
        return self.ends_at + timedelta(minutes=self.buffer_after)


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # in the buyer's zone
    ends_at: datetime
    seats_left: int  # the session type's seats, or what an existing group session has left


def local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``minute`` after midnight of ``day`` in ``zone`` (the
    first occurrence in a fold; a time in a gap resolves with the offset before the gap)."""
    if minute >= MINUTES_PER_DAY:
        day, minute = day + timedelta(days=minute // MINUTES_PER_DAY), minute % MINUTES_PER_DAY
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return wall.astimezone(UTC)


def exists(day: date, minute: int, zone: ZoneInfo) -> bool:
    """Whether that wall-clock time happens at all that day (not in a spring-forward gap)."""
    instant = local_instant(day, minute, zone).astimezone(zone)
    return (instant.date(), instant.hour * 60 + instant.minute) == (day, minute)


def window_end_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The first instant at which the wall clock of ``zone`` reads ``minute`` of ``day`` or
    later: a window ending inside a spring-forward gap ends when the gap does."""
    if minute >= MINUTES_PER_DAY or exists(day, minute, zone):
        return local_instant(day, minute, zone)
    later = minute
    while later < MINUTES_PER_DAY and not exists(day, later, zone):
        later += 1
    return local_instant(day, later, zone)


def windows_on(availability: Availability, day: date) -> Sequence[Window]:
    if day in availability.overrides:
        return availability.overrides[day]
    return availability.weekly.get(day.weekday(), ())


def week_of(day: date) -> tuple[int, int]:
    iso = day.isocalendar()
    return (iso.year, iso.week)


def free_slots(
    availability: Availability,
    *,
    minutes: int,
    seats: int,
    session_type_id: int | None,
    taken: Iterable[Taken],
    now: datetime,
    buyer_zone: str,
    first_day: date,
    last_day: date,
) -> list[Slot]:
    """The free slots whose start falls on ``first_day``..``last_day`` in the buyer's zone,
    in order, each in the buyer's zone."""
    zone, buyer = ZoneInfo(availability.zone), ZoneInfo(buyer_zone)
    length = timedelta(minutes=minutes)
    before, after = (
        timedelta(minutes=availability.buffer_before),
        timedelta(minutes=availability.buffer_after),
    )
    window_from = datetime.combine(first_day, time(0), tzinfo=buyer).astimezone(UTC)
    window_to = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=buyer).astimezone(
        UTC
    )
    earliest = max(window_from, now + timedelta(minutes=availability.min_notice))
    latest = min(window_to, now + timedelta(days=availability.horizon_days))
    if earliest >= latest:
        return []

    sessions = sorted(taken, key=lambda item: item.blocked_from)
    starts = [item.blocked_from for item in sessions]
    longest = max((item.blocked_until - item.blocked_from for item in sessions), default=length)
    joinable = {
        (item.starts_at, item.session_type_id): item
        for item in sessions
        if item.seats_left > 0 and item.session_type_id == session_type_id
    }
    per_day: dict[date, int] = {}
    per_week: dict[tuple[int, int], int] = {}
    for item in sessions:
        local_day = item.starts_at.astimezone(zone).date()
        per_day[local_day] = per_day.get(local_day, 0) + 1
        per_week[week_of(local_day)] = per_week.get(week_of(local_day), 0) + 1

    def overlaps(blocked_from: datetime, blocked_until: datetime) -> bool:
        # Any session starting its blocked time before ours ends, and ending it after ours
        # starts; sessions are sorted by blocked start, so look back at most ``longest``.
        index = bisect_left(starts, blocked_until)
        lower = bisect_left(starts, blocked_from - longest)
        return any(sessions[i].blocked_until > blocked_from for i in range(lower, index))

    slots: list[Slot] = []
    day = earliest.astimezone(zone).date() - timedelta(days=1)
    last_local = latest.astimezone(zone).date() + timedelta(days=1)
    while day <= last_local:
        day_full = (
            availability.max_per_day is not None and per_day.get(day, 0) >= availability.max_per_day
        )
        week_full = (
            availability.max_per_week is not None
            and per_week.get(week_of(day), 0) >= availability.max_per_week
        )
        for start_minute, end_minute in windows_on(availability, day):
            window_end = window_end_instant(day, end_minute, zone)
            minute = start_minute
            while minute < end_minute:
                if exists(day, minute, zone):
                    start = local_instant(day, minute, zone)
                    end = start + length
                    if end > window_end:
                        break
                    if earliest <= start < latest:
                        joined = joinable.get((start, session_type_id))
                        if joined is not None:
                            slots.append(
                                Slot(start.astimezone(buyer), end.astimezone(buyer),
                                     joined.seats_left)
                            )  # fmt: skip
                        elif not (day_full or week_full) and not overlaps(
                            start - before, end + after
                        ):
                            slots.append(
                                Slot(start.astimezone(buyer), end.astimezone(buyer), seats)
                            )
                minute += availability.interval
        day += timedelta(days=1)
    slots.sort(key=lambda slot: slot.starts_at.astimezone(UTC))  # wall clocks repeat in a fold
    return slots
