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

The horizon is rolling (``horizon_days`` from now) or, when ``horizon_end`` is set, a date
range of the consultant's calendar: a slot starts on ``horizon_start``..``horizon_end`` in
their zone (from today when the range has no start).

Speed: the work is done on whole epoch seconds. A day whose UTC offset is the same at both
its midnights (every day but a transition's) maps wall minutes to instants by adding; only
transition days take the careful path above. Taken blocked times are merged into sorted
disjoint intervals, so a candidate's overlap is one bisection.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 1440
SECONDS_PER_DAY = 86400
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

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
    # A date range of the consultant's calendar instead of ``horizon_days`` when the end is
    # set (no start: from now on).
    horizon_start: date | None = None
    horizon_end: date | None = None


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


def _seconds(instant: datetime) -> int:
    """Whole epoch seconds of an instant that falls on a whole second."""
    return int(instant.timestamp())


def _candidates(
    availability: Availability, day: date, zone: ZoneInfo, length: int
) -> Iterator[int]:
    """The starts (epoch seconds) the rules allow on ``day`` for a session of ``length``
    seconds, window by window: wall times ``start + k * interval`` that exist that day and
    whose session ends (in real time) by the window's end."""
    windows = windows_on(availability, day)
    if not windows:
        return
    naive = (day.toordinal() - EPOCH_ORDINAL) * SECONDS_PER_DAY  # the wall clock, as if UTC
    midnight = _seconds(local_instant(day, 0, zone))
    next_midnight = _seconds(local_instant(day + timedelta(days=1), 0, zone))
    steady = naive - midnight == naive + SECONDS_PER_DAY - next_midnight  # one offset all day
    step = availability.interval * 60
    for start_minute, end_minute in windows:
        if steady:
            last = midnight + end_minute * 60 - length
            yield from range(midnight + start_minute * 60, last + 1, step)
            continue
        window_end = _seconds(window_end_instant(day, end_minute, zone))
        minute = start_minute
        while minute < end_minute:
            if exists(day, minute, zone):
                start = _seconds(local_instant(day, minute, zone))
                if start + length > window_end:
                    break
                yield start
            minute += availability.interval


def _merged(taken: Sequence[Taken]) -> tuple[list[int], list[int]]:
    """The union of the taken blocked times as sorted disjoint ``[start, end)`` intervals in
    epoch seconds (starts rounded down, ends up: the same overlaps with whole seconds)."""
    blocked = sorted(
        (
            math.floor(item.starts_at.timestamp()) - item.buffer_before * 60,
            math.ceil(item.ends_at.timestamp()) + item.buffer_after * 60,
        )
        for item in taken
    )
    starts: list[int] = []
    ends: list[int] = []
    for blocked_from, blocked_until in blocked:
        if blocked_until <= blocked_from:
            continue
        if ends and blocked_from <= ends[-1]:
            ends[-1] = max(ends[-1], blocked_until)
        else:
            starts.append(blocked_from)
            ends.append(blocked_until)
    return starts, ends


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
    length = minutes * 60
    before, after = availability.buffer_before * 60, availability.buffer_after * 60
    window_from = _seconds(datetime.combine(first_day, time(0), tzinfo=buyer))
    window_to = _seconds(datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=buyer))
    now_seconds = math.ceil(now.timestamp())  # starts are whole: s >= now <=> s >= ceil(now)
    earliest = max(window_from, now_seconds + availability.min_notice * 60)
    latest = window_to
    if availability.horizon_end is None:
        latest = min(latest, now_seconds + availability.horizon_days * SECONDS_PER_DAY)
    if earliest >= latest:
        return []

    sessions = list(taken)
    starts, ends = _merged(sessions)
    joinable = {
        _seconds(item.starts_at): item.seats_left
        for item in sessions
        if item.seats_left > 0
        and item.session_type_id == session_type_id
        and item.starts_at.microsecond == 0
    }
    capped = availability.max_per_day is not None or availability.max_per_week is not None
    per_day: dict[date, int] = {}
    per_week: dict[tuple[int, int], int] = {}
    for item in sessions if capped else ():
        local_day = item.starts_at.astimezone(zone).date()
        per_day[local_day] = per_day.get(local_day, 0) + 1
        per_week[week_of(local_day)] = per_week.get(week_of(local_day), 0) + 1

    found: list[tuple[int, int]] = []
    day = datetime.fromtimestamp(earliest, zone).date() - timedelta(days=1)
    last_local = datetime.fromtimestamp(latest, zone).date() + timedelta(days=1)
    if availability.horizon_start is not None:
        day = max(day, availability.horizon_start)
    if availability.horizon_end is not None:
        last_local = min(last_local, availability.horizon_end)
    while day <= last_local:
        full = (
            availability.max_per_day is not None and per_day.get(day, 0) >= availability.max_per_day
        ) or (
            availability.max_per_week is not None
            and per_week.get(week_of(day), 0) >= availability.max_per_week
        )
        for start in _candidates(availability, day, zone, length):
            if not earliest <= start < latest:
                continue
            joined = joinable.get(start)
            if joined is not None:
                found.append((start, joined))
                continue
            if full:
                continue
            # The merged interval starting last before our blocked time ends is the only
            # one that can reach into it.
            index = bisect_left(starts, start + length + after)
            if index and ends[index - 1] > start - before:
                continue
            found.append((start, seats))
        day += timedelta(days=1)
    found.sort()  # wall clocks repeat in a fold; real time decides the order
    return [
        Slot(
            datetime.fromtimestamp(start, buyer),
            datetime.fromtimestamp(start + length, buyer),
            seats_left,
        )
        for start, seats_left in found
    ]
