"""Races with real commits, one database connection per thread: sixteen buyers holding the
same slot at the same moment leave one hold and fifteen clear conflicts (PostgreSQL's
exclusion constraint decides, not a lock of ours); sixteen buyers racing for a five-seat
group session take exactly five seats."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
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
