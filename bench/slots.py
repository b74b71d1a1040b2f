"""Free slots for a 31-day window: the consulting module's ``slots_for`` (the booking page's
calendar and ``GET /api/v1/consulting/session-types/<id>/slots``) for a busy consultant,
beside a naive baseline in the same run.

Set-up: a marketplace running consulting; a consultant in London (07:00-12:00 and
13:00-21:00 every day, 15-minute slot interval, 5 minutes' buffer before and 10 after, two
hours' notice, a 90-day horizon) with 50 date overrides (days off and short days) over the
next ten weeks and 500 booked sessions of 30 to 60 minutes packed into the next seven weeks
(plus 50 cancelled ones, which no longer block). The buyer is in New York and asks for the
31 days from tomorrow, 45-minute sessions.

(a) ``slots_for`` as the API calls it (the session type already loaded), N runs after a
warm-up: p50/p95 wall-clock ms, SQL statements per call.
(b) Baseline: the same rules' candidate slots, then one SQL query per candidate asking
whether an active session's blocked time overlaps it (what a per-slot check costs); its
results must equal (a)'s or the run fails.

Usage: python bench/slots.py [--runs 300] [--baseline-runs 20] [--reuse]
Last line: {"p50_ms", "p95_ms", "baseline_p50_ms", "baseline_p95_ms", "speedup", "queries",
"slots", "candidates", "bookings", "overrides"}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    bench_database_url,
    percentile,
    recreate_database,
    setup_django,
    summary,
)

SLUG = "slots-bench"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
ZONE = "Europe/London"
BUYER_ZONE = "America/New_York"
BOOKINGS = 500
CANCELLED = 50
OVERRIDES = 50
WINDOW_DAYS = 31
WEEKLY = [[420, 720], [780, 1260]]  # 07:00-12:00, 13:00-21:00


def reused(url: str) -> dict[str, Any]:
    """An earlier run's marketplace (``--reuse``)."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    setup_django(url)
    from django_tenants.utils import schema_context

    from modules.consulting.models import SessionType
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug=SLUG)
    with schema_context(tenant.schema_name):
        session_type = SessionType.objects.select_related("consultant").get(minutes=45)
    return {"tenant": tenant, "session_type": session_type}


def prepare(url: str, seed: int) -> dict[str, Any]:
    """The marketplace, the consultant, their overrides and 500 booked sessions."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    recreate_database(url)
    setup_django(url)
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from core.accounts.models import Role, User
    from core.catalog.services.moderation import approve_product
    from core.catalog.services.products import ProductData, create_product, transition
    from core.sellers.models import Seller, VerificationStatus
    from modules.consulting.manifest import ConsultingSettings
    from modules.consulting.models import Booking, BookingStatus, ConsultingSession, SessionType
    from modules.consulting.services import availability
    from tenants.services import fill_schema_pool, provision_tenant

    rng = random.Random(seed)
    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug=SLUG,
        name="Slots Bench",
        owner_email="owner@slots-bench.example",
        owner_password=None,
        modules=["consulting"],
    ).tenant
    with schema_context(tenant.schema_name):
        owner = User.objects.create_user("ada@bench.example", None, role=Role.SELLER)
        seller = Seller.objects.create(
            owner=owner,
            slug="ada",
            business_name="Ada Advisory",
            legal_form="company",
            verification_status=VerificationStatus.VERIFIED,
            product_type_grants=["consult"],
        )
        profile = availability.set_profile(
            seller=seller,
            data=availability.ProfileData(
                time_zone=ZONE,
                buffer_before=5,
                buffer_after=10,
                min_notice=120,
                horizon_days=90,
                slot_interval=15,
            ),
            bounds=ConsultingSettings(),
        )
        availability.set_weekly_rules(profile=profile, rules=dict.fromkeys(range(7), WEEKLY))
        today = timezone.now().astimezone(UTC).date()
        for offset in sorted(rng.sample(range(1, 71), OVERRIDES)):
            windows = rng.choice([[], [], [[540, 780]], [[600, 720], [840, 1020]], [[720, 1320]]])
            availability.set_override(
                profile=profile, day=today + timedelta(days=offset), windows=windows
            )
        types = []
        for minutes in (30, 45, 60):
            product = create_product(
                seller=seller,
                data=ProductData(
                    name=f"{minutes}-minute call", product_type="consult", prices={"USD": 9000}
                ),
            )
            transition(product=product, action="publish")
            approve_product(product=product)
            types.append(
                availability.set_session_type(
                    profile=profile,
                    product_id=product.pk,
                    minutes=minutes,
                    price=9000,
                    currency="USD",
                )
            )
        buyers = User.objects.bulk_create(
            User(email=f"buyer{i}@bench.example", password="!", full_name=f"Buyer {i}")
            for i in range(100)
        )
        sessions = _pack(rng, profile, types, today)
        made = ConsultingSession.objects.bulk_create(sessions)
        Booking.objects.bulk_create(
            Booking(
                session=session,
                session_type=session.session_type,
                consultant=profile,
                buyer=buyers[index % len(buyers)],
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                status=BookingStatus.BOOKED if session.is_active else BookingStatus.CANCELLED,
                hold_expires_at=session.starts_at,
                amount=9000,
                currency="USD",
                policy=dict(profile.policy),
            )
            for index, session in enumerate(made)
        )
        session_type = SessionType.objects.select_related("consultant").get(pk=types[1].pk)
    return {"tenant": tenant, "session_type": session_type}


def _pack(rng: random.Random, profile: Any, types: list[Any], today: date) -> list[Any]:
    """500 active sessions (and 50 cancelled ones) walked forward through the weekly
    windows from tomorrow, with random gaps: they never overlap, buffers included."""
    from zoneinfo import ZoneInfo

    from modules.consulting.models import ConsultingSession

    zone = ZoneInfo(ZONE)
    sessions: list[Any] = []
    day = today + timedelta(days=1)
    active = 0
    while active < BOOKINGS:
        for start_minute, end_minute in WEEKLY:
            minute = start_minute + rng.choice((0, 15, 30, 45, 60, 90))
            while active < BOOKINGS:
                session_type = rng.choice(types)
                if minute + session_type.minutes > end_minute:
                    break
                starts_at = datetime.combine(
                    day, clock(minute // 60, minute % 60), zone
                ).astimezone(UTC)
                ends_at = starts_at + timedelta(minutes=session_type.minutes)
                is_active = len(sessions) % 11 != 10 or len(sessions) - active >= CANCELLED
                sessions.append(
                    ConsultingSession(
                        consultant=profile,
                        session_type=session_type,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        blocked_from=starts_at - timedelta(minutes=profile.buffer_before),
                        blocked_until=ends_at + timedelta(minutes=profile.buffer_after),
                        capacity=1,
                        seats_taken=1,
                        is_active=is_active,
                    )
                )
                active += is_active
                gap = rng.choice((0, 15, 15, 30, 45, 60, 120))
                minute += session_type.minutes + 15 + gap  # the buffers, rounded to the grid
        day += timedelta(days=1)
    return sessions


def naive_slots(
    session_type: Any, buyer_zone: str, first_day: date, last_day: date, now: datetime
) -> tuple[list[Any], int]:
    """Every slot the rules allow, each checked with its own query against the calendar."""
    from modules.consulting.models import ConsultingSession
    from modules.consulting.services.availability import availability_of
    from modules.consulting.slots import free_slots

    profile = session_type.consultant
    rules = availability_of(profile)
    candidates = free_slots(
        rules,
        minutes=session_type.minutes,
        seats=session_type.seats,
        session_type_id=session_type.pk,
        taken=[],
        now=now,
        buyer_zone=buyer_zone,
        first_day=first_day,
        last_day=last_day,
    )
    before, after = timedelta(minutes=rules.buffer_before), timedelta(minutes=rules.buffer_after)
    free = [
        slot
        for slot in candidates
        if not ConsultingSession.objects.filter(
            consultant=profile,
            is_active=True,
            blocked_from__lt=slot.ends_at + after,
            blocked_until__gt=slot.starts_at - before,
        ).exists()
    ]
    return free, len(candidates)


def timed(function: Any, runs: int) -> tuple[list[float], Any]:
    values: list[float] = []
    result: Any = None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        values.append((time.perf_counter() - started) * 1000)
    return values, result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--baseline-runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier run's database")
    args = parser.parse_args()

    url = bench_database_url().replace("_bench", "_bench_slots")
    print(
        f"setup: {BOOKINGS} bookings, {OVERRIDES} overrides, a {WINDOW_DAYS}-day window"
        + (" (reused)" if args.reuse else "")
    )
    setup = reused(url) if args.reuse else prepare(url, args.seed)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from modules.consulting.services.booking import slots_for

    session_type = setup["session_type"]
    now = timezone.now()
    first_day = (now.astimezone(UTC) + timedelta(days=1)).date()
    last_day = first_day + timedelta(days=WINDOW_DAYS - 1)

    def fast() -> list[Any]:
        return slots_for(
            session_type=session_type,
            buyer_zone=BUYER_ZONE,
            first_day=first_day,
            last_day=last_day,
            now=now,
        )

    def naive() -> tuple[list[Any], int]:
        return naive_slots(session_type, BUYER_ZONE, first_day, last_day, now)

    with schema_context(setup["tenant"].schema_name):
        timed(fast, args.warmup)
        with CaptureQueriesContext(connection) as captured:
            expected = fast()
        queries = len(captured.captured_queries)
        fast_ms, found = timed(fast, args.runs)
        timed(naive, 2)
        naive_ms, (baseline, candidates) = timed(naive, args.baseline_runs)
    if [(s.starts_at, s.ends_at, s.seats_left) for s in baseline] != [
        (s.starts_at, s.ends_at, s.seats_left) for s in found
    ] or found != expected:
        raise SystemExit("the baseline and slots_for disagree")
    print(
        f"{len(found)} free slots of {candidates} the rules allow "
        f"({first_day} .. {last_day}, buyer in {BUYER_ZONE})"
    )
    print(f"slots_for ({queries} SQL statements): {summary(fast_ms)}")
    print(f"per-slot query baseline ({candidates + 2} statements): {summary(naive_ms)}")
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs")
    p95 = percentile(fast_ms, 95)
    baseline_p95 = percentile(naive_ms, 95)
    print(
        json.dumps(
            {
                "p50_ms": round(percentile(fast_ms, 50), 2),
                "p95_ms": round(p95, 2),
                "baseline_p50_ms": round(percentile(naive_ms, 50), 1),
                "baseline_p95_ms": round(baseline_p95, 1),
                "speedup": round(baseline_p95 / p95, 1),
                "queries": queries,
                "slots": len(found),
                "candidates": candidates,
                "bookings": BOOKINGS,
                "overrides": OVERRIDES,
            }
        )
    )


if __name__ == "__main__":
    main()
