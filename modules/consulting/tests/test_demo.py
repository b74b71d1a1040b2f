"""Consult Corner's demo (``modules.consulting.demo.populate``, the manifest's ``demo`` hook):
on a fresh committed marketplace running consulting (as `make demo` runs it) it makes three
consultants in their own zones with session types, weekly hours, overrides, policies and
bookings in every state, bought through the checkout, with the books balanced; a second run
changes nothing; another marketplace is left alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.utils import timezone
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.commerce.models import OrderLine
from core.deadlines.models import Deadline, DeadlineStatus
from modules.consulting import demo
from modules.consulting.models import (
    Booking,
    BookingStatus,
    ConsultantProfile,
    DateOverride,
    SessionType,
    WeeklyRule,
)
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.commerce_helpers import ledger_totals
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG, SCHEMA = "consult-corner", "t_consult_corner"
PASSWORD = "pw-demo-12345"


def _drop() -> None:
    Domain.objects.filter(tenant__slug=SLUG).delete()
    Tenant.objects.filter(slug=SLUG).delete()
    drop_schema(SCHEMA)


@pytest.fixture
def committed_corner(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    """Consult Corner committed with consulting on (its fulfilment runs after each commit,
    as in `make demo`), removed afterwards."""
    with django_db_blocker.unblock():
        _drop()
        tenant = provision_tenant(
            slug=SLUG,
            name="Consult Corner",
            owner_email="o@consult-corner.example",
            owner_password=None,
            modules=["consulting"],
        ).tenant
        use_public_schema()
        yield tenant
        use_public_schema()
        _drop()
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


def test_consult_corner_demo_has_consultants_calendars_and_bookings_in_every_state(
    committed_corner: Tenant, django_db_blocker: Any
) -> None:
    tenant = committed_corner
    with django_db_blocker.unblock(), schema_context(tenant.schema_name):
        assert demo.populate("another-market", password=PASSWORD, seed=3) is False
        assert demo.populate(SLUG, password=PASSWORD, seed=3) is True
        now = timezone.now()

        # Three consultants in their own zones, each with an intro, a deep dive and a group
        # workshop, weekly hours, a policy with tiers, reminders and an override or two.
        profiles = ConsultantProfile.objects.select_related("seller").order_by("seller__slug")
        assert [p.seller.slug for p in profiles] == ["agenda-studio", "clientwise", "ledgerline"]
        assert {p.time_zone for p in profiles} == {
            "Asia/Singapore",
            "America/New_York",
            "Europe/London",
        }
        for profile in profiles:
            types = SessionType.objects.filter(consultant=profile, product__status="published")
            assert sorted(types.values_list("minutes", flat=True))[:2] == [30, 60]
            assert types.filter(seats__gt=1).count() == 1
            assert WeeklyRule.objects.filter(consultant=profile).count() >= 5
            assert DateOverride.objects.filter(consultant=profile).exists()
            assert len(profile.policy["refund_tiers"]) == 2
            assert profile.reminder_minutes == [1440, 60]
        assert DateOverride.objects.filter(windows=[]).exists()  # a holiday
        season = profiles.get(seller__slug="agenda-studio")
        assert season.horizon_start is not None and season.horizon_end is not None

        # Bookings in each state, bought through the checkout.
        bookings = Booking.objects.all()
        completed = bookings.filter(status=BookingStatus.COMPLETED)
        assert completed.count() >= 9
        assert all(b.ends_at < now - timedelta(hours=48) for b in completed)
        # Each completed session has its write-up: a note the buyer sees, a private one,
        # and follow-ups, one already ticked off by the buyer.
        for done in completed:
            assert done.notes.filter(is_shared=True).count() == 1
            assert done.notes.filter(is_shared=False).count() == 1
            assert done.follow_ups.count() == 2
            assert done.follow_ups.filter(done_at__isnull=False).count() == 1
        upcoming = bookings.filter(status=BookingStatus.BOOKED, starts_at__gt=now)
        assert upcoming.count() >= 9
        assert upcoming.filter(session__seats_taken__gte=3).exists()  # a workshop's seats
        by_buyer = bookings.filter(cancelled_by="buyer")
        assert by_buyer.count() == 3
        for booking in by_buyer:
            assert booking.refunded_amount == booking.amount // 2  # the 24-48 h tier
        by_consultant = bookings.filter(cancelled_by="consultant")
        assert by_consultant.count() == 3
        assert all(b.refunded_amount == b.amount for b in by_consultant)
        held = bookings.filter(status=BookingStatus.HELD)
        assert held.count() == 3 and all(b.hold_expires_at > now for b in held)
        paid = bookings.exclude(status=BookingStatus.HELD)
        assert all(b.order_line_id is not None for b in paid)
        assert OrderLine.objects.filter(pk__in=paid.values("order_line_id")).count() == 36
        # Buyers in their own zones; nothing pending is overdue.
        assert len(set(bookings.values_list("buyer_zone", flat=True))) >= 5
        assert not Deadline.objects.filter(
            status=DeadlineStatus.PENDING, next_attempt_at__lt=now - timedelta(minutes=1)
        ).exists()

        # The sellers and buyers sign in with the demo password.
        consultant = User.objects.get(email="ledgerline@demo.localhost")
        buyer = User.objects.get(pk=held.first().buyer_id)  # type: ignore[union-attr]
        for user in (consultant, buyer):
            assert authenticate(email=user.email, password=PASSWORD) == user

        # Once is enough.
        assert demo.populate(SLUG, password=PASSWORD, seed=4) is False
        assert Booking.objects.count() == bookings.count()
    with django_db_blocker.unblock():
        assert set(ledger_totals(tenant).values()) == {0}
