"""Races with real commits, one database connection per thread: sixteen buyers holding the
same slot at the same moment leave one hold and fifteen clear conflicts (PostgreSQL's
exclusion constraint decides, not a lock of ours); sixteen buyers racing for a five-seat
group session take exactly five seats."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from modules.consulting.errors import ConsultingError, ConsultingErrorCode
from modules.consulting.models import Booking, BookingStatus, ConsultingSession
from modules.consulting.services.booking import hold_slot
from modules.consulting.tests.helpers import free, make_consultant, make_session_type
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import make_user
from tests.concurrency import run_together
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG = "consult-race"
SCHEMA = "t_consult_race"
RACERS = 16


def _drop() -> None:
    Domain.objects.filter(tenant__slug=SLUG).delete()
    Tenant.objects.filter(slug=SLUG).delete()
    drop_schema(SCHEMA)


@pytest.fixture(scope="module")
def committed_tenant(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        _drop()
        tenant = provision_tenant(
            slug=SLUG,
            name="Consult Race",
            owner_email="owner@race.example",
            owner_password=None,
            modules=["consulting"],
        ).tenant
        use_public_schema()
        yield tenant
        use_public_schema()
        _drop()
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


def _race(tenant: Tenant, session_type_id: int, starts_at: Any, team: str) -> list[Any]:
    buyers = [make_user(tenant, f"{team}{index}@example.com") for index in range(RACERS)]

    def attempt(buyer: Any) -> Any:
        with schema_context(tenant.schema_name):
            return hold_slot(buyer=buyer, session_type_id=session_type_id, starts_at=starts_at)

    calls: list[Callable[[], Any]] = [partial(attempt, buyer) for buyer in buyers]
    return run_together(calls)


def test_sixteen_buyers_racing_for_one_slot_leave_one_hold(committed_tenant, django_db_blocker):
    tenant = committed_tenant
    with django_db_blocker.unblock():
        seller, profile = make_consultant(tenant, "ada", buffer_after=10)
        call = make_session_type(tenant, profile, seller, "Strategy call")
        day = (timezone.now() + timedelta(days=3)).date()
        while day.weekday() > 4:
            day += timedelta(days=1)
        slot = free(tenant, call, day)[0].starts_at

        results = _race(tenant, call.pk, slot, "solo")

        won = [r for r in results if isinstance(r, Booking)]
        lost = [r for r in results if not isinstance(r, Booking)]
        assert len(won) == 1, results
        assert len(lost) == RACERS - 1
        assert all(isinstance(r, ConsultingError) and r.kind == "conflict" for r in lost), lost
        codes = {r.code for r in lost}
        assert codes <= {ConsultingErrorCode.SLOT_TAKEN, ConsultingErrorCode.SLOT_UNAVAILABLE}
        # Which of the two refusals each loser meets depends on timing (the calendar check, or
        # the exclusion constraint for racers that checked before the winner committed); that
        # PostgreSQL itself refuses an overlap is shown without timing in test_booking.py
        # (test_postgresql_refuses_overlapping_active_sessions_of_one_consultant).
        with schema_context(tenant.schema_name):
            assert ConsultingSession.objects.filter(is_active=True, consultant=profile).count() == 1
            assert (
                Booking.objects.filter(status=BookingStatus.HELD, consultant=profile).count() == 1
            )
        assert slot not in [s.starts_at for s in free(tenant, call, day)]


def test_sixteen_buyers_racing_for_a_five_seat_session_take_five_seats(
    committed_tenant, django_db_blocker
):
    tenant = committed_tenant
    with django_db_blocker.unblock():
        seller, profile = make_consultant(tenant, "eve")
        workshop = make_session_type(tenant, profile, seller, "Workshop", minutes=90, seats=5)
        day = (timezone.now() + timedelta(days=3)).date()
        while day.weekday() > 4:
            day += timedelta(days=1)
        slot = free(tenant, workshop, day)[0].starts_at

        results = _race(tenant, workshop.pk, slot, "group")

        won = [r for r in results if isinstance(r, Booking)]
        lost = [r for r in results if not isinstance(r, Booking)]
        assert len(won) == 5, results
        assert all(isinstance(r, ConsultingError) and r.kind == "conflict" for r in lost), lost
        with schema_context(tenant.schema_name):
            session = ConsultingSession.objects.get(is_active=True, consultant=profile)
            assert (session.seats_taken, session.capacity) == (5, 5)
            assert Booking.objects.filter(session=session, status=BookingStatus.HELD).count() == 5


def test_a_buyer_whose_slot_insert_loses_a_deadlock_still_gets_the_slot(
    committed_tenant, django_db_blocker
):
    """PostgreSQL's exclusion check can deadlock two inserters that each find the other's
    uncommitted row (what sixteen racers meet now and then). Made here on purpose: a rival
    transaction holds a session overlapping the slot's start, the buyer's insert waits for it,
    and the rival then inserts one overlapping the slot's end, waiting for the buyer. The buyer,
    whose wait began first, is the one PostgreSQL fails; they try again and, once the rival
    gives up, hold the slot: no server error reaches them."""
    tenant = committed_tenant
    with django_db_blocker.unblock():
        seller, profile = make_consultant(tenant, "dee")
        call = make_session_type(tenant, profile, seller, "Deadlock call", minutes=60)
        day = (timezone.now() + timedelta(days=4)).date()
        while day.weekday() > 4:
            day += timedelta(days=1)
        slot = free(tenant, call, day)[0].starts_at
        buyer = make_user(tenant, "deadlocked@example.com")
        use_public_schema()
        rival_waits = threading.Event()
        rival_done = threading.Event()

        def rival_row(starts: datetime, minutes: int) -> None:
            ConsultingSession.objects.create(
                consultant=profile,
                session_type=call,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=minutes),
                blocked_from=starts,
                blocked_until=starts + timedelta(minutes=minutes),
                capacity=1,
                seats_taken=1,
            )

        def rival() -> str:
            with schema_context(tenant.schema_name):
                with connection.cursor() as cursor:  # the buyer's wait is the one checked first
                    cursor.execute("SET deadlock_timeout = '20s'")
                try:
                    with transaction.atomic():
                        rival_row(slot - timedelta(minutes=30), 40)
                        rival_waits.wait(timeout=30)
                        rival_row(slot + timedelta(minutes=50), 40)  # waits for the buyer
                        raise RuntimeError("the rival gives up")
                except RuntimeError as exc:
                    return str(exc)
                finally:
                    rival_done.set()

        def buyer_holds() -> Any:
            with schema_context(tenant.schema_name):
                return hold_slot(buyer=buyer, session_type_id=call.pk, starts_at=slot)

        def watch() -> None:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not rival_done.is_set():
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND query LIKE 'INSERT INTO %%consulting_consultingsession%%'"
                    )
                    if cursor.fetchone()[0] >= 1:
                        rival_waits.set()  # the buyer's insert waits for the rival's row
                        return
                time.sleep(0.02)

        results = run_together([rival, buyer_holds, watch])

        assert results[0] == "the rival gives up", results
        booking = results[1]
        assert isinstance(booking, Booking), results
        assert booking.starts_at == slot
        with schema_context(tenant.schema_name):
            active = ConsultingSession.objects.filter(is_active=True, consultant=profile)
            assert [s.starts_at for s in active] == [slot]
