"""The slot engine across daylight-saving transitions in every kind of zone (an hour, Lord
Howe's half hour, Sao Paulo's midnight gap of 2018, none in Kolkata), as property tests: the
slots computed equal those found by an independent brute force that walks real (UTC) time in
five-minute steps, and each one starts at a wall-clock time the consultant's rules allow in
their zone, lasts exactly the session length in real time, overlaps no taken session with its
buffers, respects notice, horizon and caps, and falls on the buyer's requested days in the
buyer's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modules.consulting.slots import Availability, Slot, Taken, free_slots, week_of

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Auckland",
    "UTC",
]
STEP = timedelta(minutes=5)


@cache
def transitions(zone_name: str) -> tuple[date, ...]:
    """Days on which the zone's UTC offset changes (2018 for Sao Paulo's midnight gaps)."""
    zone = ZoneInfo(zone_name)
    found: list[date] = []
    for year in (2018, 2026, 2027):
        day = date(year, 1, 1)
        while day.year == year:
            before = datetime.combine(day, time(0), tzinfo=UTC).astimezone(zone).utcoffset()
            after = (
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
                .astimezone(zone)
                .utcoffset()
            )
            if before != after:
                found.append(day)
            day += timedelta(days=1)
    return tuple(found) or (date(2026, 3, 29), date(2026, 10, 25))


@st.composite
def windows(draw: st.DrawFn) -> list[tuple[int, int]]:
    """0-3 non-overlapping windows on a 5-minute grid (ends up to midnight)."""
    points = sorted(set(draw(st.lists(st.integers(0, 288), min_size=0, max_size=6))))
    pairs = [(points[i] * 5, points[i + 1] * 5) for i in range(0, len(points) - 1, 2)]
    return [pair for pair in pairs if pair[0] < pair[1]]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    zone = draw(st.sampled_from(ZONES))
    buyer_zone = draw(st.sampled_from(ZONES))
    pivot = draw(st.sampled_from(transitions(zone))) + timedelta(days=draw(st.integers(-2, 2)))
    weekly = {weekday: draw(windows()) for weekday in range(7)}
    overrides = {
        pivot + timedelta(days=offset): draw(windows())
        for offset in draw(st.lists(st.integers(-2, 3), max_size=2, unique=True))
    }
    availability = Availability(
        zone=zone,
        weekly=weekly,
        overrides=overrides,
        buffer_before=draw(st.sampled_from([0, 5, 10, 15, 30])),
        buffer_after=draw(st.sampled_from([0, 5, 10, 15, 30])),
        min_notice=draw(st.sampled_from([0, 30, 120, 600, 1440])),
        horizon_days=draw(st.integers(1, 10)),
        interval=draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60, 90])),
        max_per_day=draw(st.none() | st.integers(1, 3)),
        max_per_week=draw(st.none() | st.integers(1, 6)),
    )
    minutes = draw(st.sampled_from([15, 30, 45, 60, 90, 120]))
    base = datetime.combine(pivot, time(0), tzinfo=UTC)
    now = base + timedelta(minutes=5 * draw(st.integers(-288 * 3, 288)))
    session_type_id = 1
    taken = [
        Taken(
            starts_at=(start := base + timedelta(minutes=5 * draw(st.integers(-288 * 2, 288 * 3)))),
            ends_at=start + timedelta(minutes=draw(st.sampled_from([15, 30, 60, 120]))),
            buffer_before=draw(st.sampled_from([0, 10, 30])),
            buffer_after=draw(st.sampled_from([0, 10, 30])),
            session_type_id=draw(st.sampled_from([1, 2])),
            seats_left=draw(st.sampled_from([0, 0, 1, 2])),
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    first_day = pivot + timedelta(days=draw(st.integers(-1, 1)))
    last_day = first_day + timedelta(days=draw(st.integers(0, 2)))
    seats = draw(st.sampled_from([1, 4]))
    return {
        "availability": availability,
        "minutes": minutes,
        "seats": seats,
        "session_type_id": session_type_id,
        "taken": taken,
        "now": now,
        "buyer_zone": buyer_zone,
        "first_day": first_day,
        "last_day": last_day,
    }


def wall_minute(instant: datetime, zone: ZoneInfo) -> tuple[date, int, int]:
    local = instant.astimezone(zone)
    return local.date(), local.hour * 60 + local.minute, local.fold


def brute_window_end(day: date, end_minute: int, zone: ZoneInfo) -> datetime:
    """The first 5-minute UTC instant whose wall clock reads (day, end_minute) or later."""
    target = (day, end_minute) if end_minute < 1440 else (day + timedelta(days=1), 0)
    instant = datetime.combine(day - timedelta(days=1), time(0), tzinfo=UTC)
    while True:
        local_day, minute, _ = wall_minute(instant, zone)
        if (local_day, minute) >= target:
            return instant
        instant += STEP


def brute_force(case: dict[str, object]) -> list[tuple[datetime, int]]:
    """Walk real time in 5-minute steps and keep every instant the definition allows."""
    availability = case["availability"]
    assert isinstance(availability, Availability)
    zone, buyer = ZoneInfo(availability.zone), ZoneInfo(str(case["buyer_zone"]))
    minutes, now = int(case["minutes"]), case["now"]  # type: ignore[call-overload]
    assert isinstance(now, datetime)
    taken: list[Taken] = case["taken"]  # type: ignore[assignment]
    first_day, last_day = case["first_day"], case["last_day"]
    assert isinstance(first_day, date) and isinstance(last_day, date)
    length = timedelta(minutes=minutes)
    per_day: dict[date, int] = {}
    per_week: dict[tuple[int, int], int] = {}
    for item in taken:
        local_day = item.starts_at.astimezone(zone).date()
        per_day[local_day] = per_day.get(local_day, 0) + 1
        per_week[week_of(local_day)] = per_week.get(week_of(local_day), 0) + 1
    found: list[tuple[datetime, int]] = []
    instant = datetime.combine(first_day - timedelta(days=2), time(0), tzinfo=UTC)
    stop = datetime.combine(last_day + timedelta(days=3), time(0), tzinfo=UTC)
    while instant < stop:
        start, instant = instant, instant + STEP
        buyer_day = start.astimezone(buyer).date()
        if not first_day <= buyer_day <= last_day:
            continue
        if start < now + timedelta(minutes=availability.min_notice):
            continue
        if start >= now + timedelta(days=availability.horizon_days):
            continue
        day, minute, fold = wall_minute(start, zone)
        if fold:
            continue  # the second pass through an autumn hour: the first one counts
        windows = availability.overrides.get(day, availability.weekly.get(day.weekday(), ()))
        if not any(
            s <= minute < e
            and (minute - s) % availability.interval == 0
            and start + length <= brute_window_end(day, e, zone)
            for s, e in windows
        ):
            continue
        joinable = [
            item
            for item in taken
            if item.starts_at == start and item.session_type_id == 1 and item.seats_left > 0
        ]
        if joinable:
            found.append((start, joinable[-1].seats_left))
            continue
        if availability.max_per_day is not None and per_day.get(day, 0) >= availability.max_per_day:
            continue
        if (
            availability.max_per_week is not None
            and per_week.get(week_of(day), 0) >= availability.max_per_week
        ):
            continue
        blocked_from = start - timedelta(minutes=availability.buffer_before)
        blocked_until = start + length + timedelta(minutes=availability.buffer_after)
        if any(
            item.blocked_from < blocked_until and blocked_from < item.blocked_until
            for item in taken
        ):
            continue
        found.append((start, int(case["seats"])))  # type: ignore[call-overload]
    return found


def compute(case: dict[str, object]) -> list[Slot]:
    return free_slots(**case)  # type: ignore[arg-type]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_slots_are_exactly_what_walking_real_time_allows(case: dict[str, object]) -> None:
    slots = compute(case)
    assert [(slot.starts_at.astimezone(UTC), slot.seats_left) for slot in slots] == brute_force(
        case
    )


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_slot_keeps_the_consultants_rules(case: dict[str, object]) -> None:
    availability = case["availability"]
    assert isinstance(availability, Availability)
    zone, buyer = ZoneInfo(availability.zone), ZoneInfo(str(case["buyer_zone"]))
    now = case["now"]
    assert isinstance(now, datetime)
    taken: list[Taken] = case["taken"]  # type: ignore[assignment]
    starts = []
    for slot in compute(case):
        start, end = slot.starts_at.astimezone(UTC), slot.ends_at.astimezone(UTC)
        starts.append(start)
        # Shown in the buyer's zone, on the days asked for.
        assert slot.starts_at.tzinfo == buyer
        assert case["first_day"] <= slot.starts_at.date() <= case["last_day"]  # type: ignore[operator]
        # Exactly the session's length in real time (aware subtraction in one zone would
        # compare wall clocks; UTC does not).
        assert end - start == timedelta(minutes=int(case["minutes"]))  # type: ignore[call-overload]
        # A wall-clock start the consultant's rules allow that day, in their zone.
        local = start.astimezone(zone)
        minute = local.hour * 60 + local.minute
        windows = availability.overrides.get(
            local.date(), availability.weekly.get(local.date().weekday(), ())
        )
        assert any(
            s <= minute < e and (minute - s) % availability.interval == 0 for s, e in windows
        )
        assert local.fold == 0
        # Notice and horizon.
        assert start >= now + timedelta(minutes=availability.min_notice)
        assert start < now + timedelta(days=availability.horizon_days)
        # No overlap with anything taken, buffers included (joining a group seat aside).
        joining = any(
            item.starts_at == start and item.session_type_id == 1 and item.seats_left
            for item in taken
        )
        if not joining:
            blocked = (
                start - timedelta(minutes=availability.buffer_before),
                end + timedelta(minutes=availability.buffer_after),
            )
            assert not any(
                item.blocked_from < blocked[1] and blocked[0] < item.blocked_until for item in taken
            )
            if availability.max_per_day is not None:
                same_day = [i for i in taken if i.starts_at.astimezone(zone).date() == local.date()]
                assert len(same_day) < availability.max_per_day
    assert starts == sorted(set(starts))


def test_london_spring_forward_skips_the_missing_hour() -> None:
    """29 March 2026: 01:00-02:00 does not exist in London."""
    availability = Availability(zone="Europe/London", weekly={6: [(0, 240)]}, interval=30)
    slots = free_slots(
        availability,
        minutes=60,
        seats=1,
        session_type_id=1,
        taken=[],
        now=datetime(2026, 3, 20, tzinfo=UTC),
        buyer_zone="Europe/London",
        first_day=date(2026, 3, 29),
        last_day=date(2026, 3, 29),
    )
    assert [slot.starts_at.strftime("%H:%M %Z") for slot in slots] == [
        "00:00 GMT",
        "00:30 GMT",
        "02:00 BST",
        "02:30 BST",
        "03:00 BST",
    ]


def test_london_autumn_fold_uses_the_first_pass_and_real_lengths() -> None:
    """25 October 2026: 01:00-02:00 happens twice; a window of 3 wall hours is 4 real ones,
    and each 60-minute session lasts 60 real minutes."""
    availability = Availability(zone="Europe/London", weekly={6: [(0, 180)]}, interval=30)
    slots = free_slots(
        availability,
        minutes=60,
        seats=1,
        session_type_id=1,
        taken=[],
        now=datetime(2026, 10, 20, tzinfo=UTC),
        buyer_zone="America/New_York",
        first_day=date(2026, 10, 24),
        last_day=date(2026, 10, 25),
    )
    assert [slot.starts_at.astimezone(UTC).strftime("%H:%M") for slot in slots] == [
        "23:00",  # 00:00 BST, the 24th in UTC
        "23:30",
        "00:00",  # 01:00 BST (first pass)
        "00:30",
        "02:00",  # 02:00 GMT; 02:30 GMT would end at 03:30, past the window
    ]
    assert all(
        slot.ends_at.astimezone(UTC) - slot.starts_at.astimezone(UTC) == timedelta(hours=1)
        for slot in slots
    )
    assert slots[0].starts_at.strftime("%Y-%m-%d %H:%M") == "2026-10-24 19:00"  # New York


def test_lord_howe_half_hour_shift_and_a_day_off_override() -> None:
    """Lord Howe moves its clocks by 30 minutes (4 October 2026, 02:00 -> 02:30)."""
    availability = Availability(
        zone="Australia/Lord_Howe",
        weekly={6: [(60, 240)], 0: [(540, 600)]},
        overrides={date(2026, 10, 5): []},
        interval=15,
    )
    slots = free_slots(
        availability,
        minutes=30,
        seats=1,
        session_type_id=1,
        taken=[],
        now=datetime(2026, 9, 30, tzinfo=UTC),
        buyer_zone="Australia/Lord_Howe",
        first_day=date(2026, 10, 4),
        last_day=date(2026, 10, 5),
    )
    walls = [slot.starts_at.strftime("%d %H:%M") for slot in slots]
    assert "04 02:00" not in walls and "04 02:15" not in walls  # inside the gap
    assert walls[:6] == ["04 01:00", "04 01:15", "04 01:30", "04 01:45", "04 02:30", "04 02:45"]
    assert walls[-1] == "04 03:30"
    assert not any(wall.startswith("05") for wall in walls)  # Monday the 5th is a day off
