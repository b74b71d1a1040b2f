"""The booking horizon as a date range of the consultant's calendar: it replaces the rolling
``horizon_days``; no slot starts before ``horizon_start`` or after ``horizon_end``'s last
minute, both read in the consultant's zone (not the buyer's), across daylight-saving edges;
the stored profile's range reaches the slot engine and holds outside it are refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modules.consulting.errors import ConsultingError, ConsultingErrorCode
from modules.consulting.manifest import ConsultingSettings
from modules.consulting.models import ConsultantProfile, SessionType
from modules.consulting.services import availability
from modules.consulting.services.availability import availability_of
from modules.consulting.services.booking import slots_for
from modules.consulting.slots import Availability, Slot, free_slots
from modules.consulting.tests.helpers import T0, Consulting, hold
from modules.consulting.tests.test_slots import brute_force, scenarios

ALL_DAY = [(0, 1440)]


def slots(
    available: Availability,
    first_day: date,
    last_day: date,
    *,
    now: datetime,
    buyer_zone: str = "UTC",
    minutes: int = 60,
) -> list[Slot]:
    return free_slots(
        available,
        minutes=minutes,
        seats=1,
        session_type_id=1,
        taken=[],
        now=now,
        buyer_zone=buyer_zone,
        first_day=first_day,
        last_day=last_day,
    )


def local_days(found: list[Slot], zone: str) -> set[date]:
    return {slot.starts_at.astimezone(ZoneInfo(zone)).date() for slot in found}


# --- the engine ---------------------------------------------------------------------------


def test_a_range_replaces_the_rolling_horizon() -> None:
    """A one-day rolling horizon does not cut a range weeks ahead; days outside it are shut
    even though the weekly rules open them."""
    available = Availability(
        zone="Europe/Berlin",
        weekly={weekday: [(540, 720)] for weekday in range(7)},
        horizon_days=1,
        horizon_start=date(2027, 1, 11),
        horizon_end=date(2027, 1, 13),
    )
    found = slots(available, date(2027, 1, 1), date(2027, 1, 31), now=T0)
    assert local_days(found, "Europe/Berlin") == {
        date(2027, 1, 11),
        date(2027, 1, 12),
        date(2027, 1, 13),
    }
    assert len(found) == 3 * 5  # 09:00 .. 11:00 starts, every 30 minutes, three days
    # Without the range, the rolling day from now is all there is.
    rolling = replace(available, horizon_start=None, horizon_end=None)
    assert local_days(slots(rolling, date(2027, 1, 1), date(2027, 1, 31), now=T0), "UTC") == set()


def test_the_range_is_read_in_the_consultants_zone_not_the_buyers() -> None:
    """Auckland (UTC+13 in January) works all day; a New York buyer's calendar shows the
    range's first slot on the evening before, and its last one ending at Auckland's
    midnight."""
    available = Availability(
        zone="Pacific/Auckland",
        weekly=dict.fromkeys(range(7), ALL_DAY),
        interval=60,
        horizon_start=date(2027, 1, 12),
        horizon_end=date(2027, 1, 12),
    )
    found = slots(
        available, date(2027, 1, 10), date(2027, 1, 13), now=T0, buyer_zone="America/New_York"
    )
    assert len(found) == 24
    assert local_days(found, "Pacific/Auckland") == {date(2027, 1, 12)}
    first, last = found[0], found[-1]
    assert first.starts_at.strftime("%Y-%m-%d %H:%M %Z") == "2027-01-11 06:00 EST"
    assert first.starts_at.astimezone(UTC) == datetime(2027, 1, 11, 11, 0, tzinfo=UTC)
    assert last.ends_at.astimezone(ZoneInfo("Pacific/Auckland")).strftime("%d %H:%M") == "13 00:00"


def test_a_range_ending_on_spring_forward_day_keeps_its_23_real_hours() -> None:
    """London, 29 March 2026: 01:00-02:00 does not exist. A range ending that day offers
    its 23 real hours (the last start 23:00 BST) and nothing of the 30th."""
    available = Availability(
        zone="Europe/London",
        weekly=dict.fromkeys(range(7), ALL_DAY),
        interval=60,
        horizon_start=date(2026, 3, 29),
        horizon_end=date(2026, 3, 29),
    )
    found = slots(
        available,
        date(2026, 3, 28),
        date(2026, 3, 31),
        now=datetime(2026, 3, 1, tzinfo=UTC),
        buyer_zone="Europe/London",
    )
    walls = [slot.starts_at.strftime("%H:%M %Z") for slot in found]
    assert len(found) == 23
    assert walls[:3] == ["00:00 GMT", "02:00 BST", "03:00 BST"]
    assert walls[-1] == "23:00 BST"
    assert found[-1].ends_at.astimezone(UTC) == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)


def test_a_range_starting_on_autumn_day_begins_at_its_first_midnight() -> None:
    """London, 25 October 2026 has 25 real hours (01:00-02:00 twice; the first pass counts).
    A range starting that day starts at 00:00 BST (23:00 UTC on the 24th): nothing of the
    24th in London, though the 24th in UTC."""
    available = Availability(
        zone="Europe/London",
        weekly=dict.fromkeys(range(7), ALL_DAY),
        interval=60,
        horizon_start=date(2026, 10, 25),
        horizon_end=date(2026, 10, 25),
    )
    found = slots(available, date(2026, 10, 24), date(2026, 10, 26), now=T0 - timedelta(days=60))
    assert found[0].starts_at == datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    assert local_days(found, "Europe/London") == {date(2026, 10, 25)}
    assert len(found) == 24  # wall-clock starts 00:00 .. 23:00, 01:00 on its first pass only


def test_a_range_starting_on_a_midnight_gap_starts_when_the_day_does() -> None:
    """Sao Paulo, 4 November 2018: clocks went from 00:00 to 01:00, so the day (and the
    range) begins at 01:00; the 3rd stays shut."""
    available = Availability(
        zone="America/Sao_Paulo",
        weekly=dict.fromkeys(range(7), ALL_DAY),
        interval=60,
        horizon_start=date(2018, 11, 4),
        horizon_end=date(2018, 11, 5),
    )
    found = slots(
        available,
        date(2018, 11, 2),
        date(2018, 11, 6),
        now=datetime(2018, 10, 1, tzinfo=UTC),
        buyer_zone="America/Sao_Paulo",
    )
    assert found[0].starts_at.strftime("%Y-%m-%d %H:%M") == "2018-11-04 01:00"
    assert local_days(found, "America/Sao_Paulo") == {date(2018, 11, 4), date(2018, 11, 5)}
    assert len(found) == 23 + 24


def test_notice_still_applies_inside_a_range_and_an_end_alone_counts_from_now() -> None:
    available = Availability(
        zone="UTC",
        weekly={weekday: [(540, 1020)] for weekday in range(7)},
        min_notice=180,
        interval=60,
        horizon_end=date(2026, 12, 8),
    )
    found = slots(available, date(2026, 12, 1), date(2026, 12, 31), now=T0)  # Mon 08:00 UTC
    assert [slot.starts_at.strftime("%d %H:%M") for slot in found] == [
        *(f"07 {hour:02}:00" for hour in range(11, 17)),
        *(f"08 {hour:02}:00" for hour in range(9, 17)),
    ]


@st.composite
def ranged(draw: st.DrawFn) -> dict[str, object]:
    """test_slots' scenarios (every kind of transition), with a date range around the
    transition in place of the rolling horizon."""
    case = draw(scenarios())
    available = case["availability"]
    assert isinstance(available, Availability)
    pivot = case["first_day"]
    assert isinstance(pivot, date)
    end = pivot + timedelta(days=draw(st.integers(-2, 3)))
    start = draw(st.none() | st.integers(0, 3).map(lambda back: end - timedelta(days=back)))
    return {**case, "availability": replace(available, horizon_start=start, horizon_end=end)}


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ranged())
def test_slots_in_a_range_are_what_walking_real_time_allows(case: dict[str, Any]) -> None:
    """Exactly the brute force's slots without a rolling limit, kept when they start on a
    day of the range in the consultant's zone."""
    available: Availability = case["availability"]
    zone = ZoneInfo(available.zone)
    first, last = available.horizon_start or date.min, available.horizon_end
    assert last is not None
    unlimited = replace(available, horizon_days=10_000, horizon_start=None, horizon_end=None)
    expected = [
        (start, seats)
        for start, seats in brute_force({**case, "availability": unlimited})
        if first <= start.astimezone(zone).date() <= last
    ]
    found = free_slots(**case)
    assert [(slot.starts_at.astimezone(UTC), slot.seats_left) for slot in found] == expected


# --- the stored profile -------------------------------------------------------------------


def free(consulting: Consulting, day: date, zone: str = "UTC") -> list[Slot]:
    """The session type's free slots that day, loaded afresh (as the pages and the API do)."""
    with schema_context(consulting.tenant.schema_name):
        session_type = SessionType.objects.select_related("consultant").get(
            pk=consulting.session_type.pk
        )
        return slots_for(session_type=session_type, buyer_zone=zone, first_day=day, last_day=day)


def set_range(consulting: Consulting, start: date | None, end: date | None) -> None:
    with schema_context(consulting.tenant.schema_name):
        availability.set_profile(
            seller=consulting.seller,
            data=availability.ProfileData(
                time_zone="Europe/Berlin", horizon_start=start, horizon_end=end
            ),
            bounds=ConsultingSettings(),
        )


def test_the_profiles_range_reaches_the_slots_and_holds(consulting: Consulting) -> None:
    """Ada (Berlin, weekdays 09-17) opens only 14-15 January 2027, beyond her rolling 60
    days: a buyer in New York sees those days, nothing of December, and a hold outside the
    range is refused."""
    set_range(consulting, date(2027, 1, 14), date(2027, 1, 15))
    with schema_context(consulting.tenant.schema_name):
        profile = ConsultantProfile.objects.get(pk=consulting.profile.pk)
        stored = availability_of(profile)
    assert (stored.horizon_start, stored.horizon_end) == (date(2027, 1, 14), date(2027, 1, 15))
    assert free(consulting, date(2026, 12, 8)) == []
    january = free(consulting, date(2027, 1, 14), "Europe/Berlin")
    assert january[0].starts_at.strftime("%H:%M") == "09:00"
    assert len(january) == 15  # 09:00 .. 16:00, every 30 minutes
    with schema_context(consulting.tenant.schema_name):
        new_york = slots_for(
            session_type=SessionType.objects.get(pk=consulting.session_type.pk),
            buyer_zone="America/New_York",
            first_day=date(2027, 1, 1),
            last_day=date(2027, 1, 31),
        )
    assert local_days(new_york, "Europe/Berlin") == {date(2027, 1, 14), date(2027, 1, 15)}
    assert new_york[0].starts_at.strftime("%d %H:%M") == "14 03:00"  # 09:00 in Berlin
    with pytest.raises(ConsultingError) as refused:
        hold(
            consulting.tenant,
            consulting.buyer,
            consulting.session_type,
            datetime(2026, 12, 8, 9, 0, tzinfo=UTC),
        )
    assert refused.value.code == ConsultingErrorCode.SLOT_UNAVAILABLE
    booking = hold(
        consulting.tenant, consulting.buyer, consulting.session_type, january[0].starts_at
    )
    assert booking.status == "held"


def test_clearing_the_range_brings_the_rolling_horizon_back(consulting: Consulting) -> None:
    set_range(consulting, date(2027, 1, 14), date(2027, 1, 15))
    assert free(consulting, date(2026, 12, 8)) == []
    set_range(consulting, None, None)
    assert len(free(consulting, date(2026, 12, 8), "Europe/Berlin"))
    assert free(consulting, date(2027, 3, 1)) == []  # > 60 days


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2027, 1, 15), date(2027, 1, 14), "horizon_end"),
        (date(2027, 1, 14), None, "horizon_end"),
    ],
)
def test_a_range_that_ends_before_it_starts_or_never_ends_is_refused(
    consulting: Consulting, start: date, end: date | None, field: str
) -> None:
    with pytest.raises(ConsultingError) as refused:
        set_range(consulting, start, end)
    assert refused.value.code == ConsultingErrorCode.INVALID_AVAILABILITY
    assert refused.value.details == {"field": field}


def test_slots_for_costs_three_statements_however_busy_the_calendar(
    consulting: Consulting, django_assert_num_queries: Any
) -> None:
    """Weekly rules, overrides, sessions: three statements for a month in a range, with 20
    overrides and 30 sessions on the calendar as with none (no query per slot or day)."""
    c = consulting
    set_range(c, date(2026, 12, 8), date(2027, 1, 31))

    def month() -> list[Slot]:
        with schema_context(c.tenant.schema_name):
            session_type = SessionType.objects.select_related("consultant").get(
                pk=c.session_type.pk
            )
            with django_assert_num_queries(3):
                return slots_for(
                    session_type=session_type,
                    buyer_zone="Asia/Kolkata",
                    first_day=date(2026, 12, 8),
                    last_day=date(2027, 1, 7),
                )

    empty = month()
    with schema_context(c.tenant.schema_name):
        profile = ConsultantProfile.objects.get(pk=c.profile.pk)
        for offset in range(20):
            availability.set_override(
                profile=profile, day=date(2026, 12, 9) + timedelta(days=offset * 2), windows=[]
            )
    taken = [slot.starts_at for slot in month()[::4][:30]]
    for starts_at in taken:
        hold(c.tenant, c.buyer, c.session_type, starts_at)
    busy = month()
    assert len(empty) > len(busy) > 50
    assert not set(taken) & {slot.starts_at for slot in busy}
