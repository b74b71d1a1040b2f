"""Drip and prerequisites with a controlled clock: a lesson dripped 7 days opens exactly 7
days after enrolment; one dripped to a date opens at midnight of that date in the
marketplace's time zone; a lesson behind another opens once that one is complete, behind a
quiz once a passed attempt exists (a failed one is not enough). Preview lessons open to
anyone. The outline answers for the whole course in a fixed number of queries, and the
progress report refuses what the outline locks (409), so both read the same rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context, tenant_context

from modules.courses.models import Attempt, Enrolment, Lesson, Section
from modules.courses.services import access
from modules.courses.tests.helpers_cprog import T0, Academy, open_academy, report
from tenants.services.locale import set_time_zone


@pytest.fixture
def academy(make_tenant: Any, time_machine: Any) -> Academy:
    return open_academy(make_tenant, time_machine)


@pytest.fixture
def enrolled(academy: Academy, django_capture_on_commit_callbacks: Any) -> Enrolment:
    return academy.enrol(academy.buyer, django_capture_on_commit_callbacks)


def states(academy: Academy, enrolment: Enrolment | None, now: datetime) -> dict[int, Any]:
    with schema_context(academy.tenant.schema_name):
        return access.outline(course_id=academy.course.pk, enrolment=enrolment, now=now)


def test_a_dripped_lesson_opens_days_after_enrolment(
    academy: Academy, enrolled: Enrolment, time_machine: Any
) -> None:
    just_before = T0 + timedelta(days=7) - timedelta(seconds=1)
    state = states(academy, enrolled, just_before)[academy.dripped.pk]
    assert (state.state, state.opens_at) == ("locked", T0 + timedelta(days=7))
    assert state.reason == "Opens on 14 December 2026."
    client = academy.client(academy.buyer)
    time_machine.move_to(just_before, tick=False)
    refused = report(client, academy.dripped, [[0, 5]], 5)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "lesson_locked"
    time_machine.move_to(T0 + timedelta(days=7), tick=False)
    assert states(academy, enrolled, T0 + timedelta(days=7))[academy.dripped.pk].state == "open"
    assert report(client, academy.dripped, [[0, 5]], 5).status_code == 200


def test_a_lesson_dripped_to_a_date_opens_at_midnight_in_the_marketplaces_zone(
    academy: Academy, enrolled: Enrolment, time_machine: Any
) -> None:
    set_time_zone(tenant=academy.tenant, name="pacific/auckland")  # any case
    zone = ZoneInfo("Pacific/Auckland")
    with schema_context(academy.tenant.schema_name):
        Lesson.objects.filter(pk=academy.dripped.pk).update(
            drip_days=None, drip_date=date(2027, 1, 1)
        )
    midnight = datetime(2027, 1, 1, tzinfo=zone)  # 11:00 UTC on 31 December
    before = states(academy, enrolled, midnight - timedelta(minutes=1))[academy.dripped.pk]
    assert (before.state, before.opens_at) == ("locked", midnight)
    assert states(academy, enrolled, midnight)[academy.dripped.pk].state == "open"
    time_machine.move_to(midnight - timedelta(minutes=1), tick=False)
    client = academy.client(academy.buyer)  # signed in now: a session of December expired
    assert report(client, academy.dripped, [[0, 5]], 5).status_code == 409
    page = client.get(f"/courses/{academy.course.pk}/learn/{academy.dripped.pk}/")
    assert "It opens on" in page.content.decode()
    assert "1 January 2027, 00:00 NZDT" in page.content.decode()  # the marketplace's midnight
    time_machine.move_to(midnight, tick=False)
    assert report(client, academy.dripped, [[0, 5]], 5).status_code == 200


def test_a_lesson_behind_another_opens_once_it_is_complete(
    academy: Academy, enrolled: Enrolment
) -> None:
    client = academy.client(academy.buyer)
    state = states(academy, enrolled, T0)[academy.after_video.pk]
    assert (state.state, state.reason) == ("locked", "Finish \u201cInstalling Python\u201d first.")
    assert report(client, academy.after_video, [[0, 5]], 5).status_code == 409
    report(client, academy.video, [[0, 89]], 89)  # not yet 90%
    assert report(client, academy.after_video, [[0, 5]], 5).status_code == 409
    report(client, academy.video, [[89, 90]], 90)
    outline = states(academy, enrolled, T0)
    assert outline[academy.video.pk].state == "done"
    assert outline[academy.after_video.pk].state == "open"
    assert report(client, academy.after_video, [[0, 5]], 5).status_code == 200


def test_a_lesson_behind_a_quiz_opens_once_it_is_passed(
    academy: Academy, enrolled: Enrolment
) -> None:
    client = academy.client(academy.buyer)
    state = states(academy, enrolled, T0)[academy.after_quiz.pk]
    assert state.reason == "Pass the quiz \u201cCheck yourself\u201d first."
    with schema_context(academy.tenant.schema_name):
        sitting = {"quiz": academy.quiz_settings, "enrolment": enrolled, "started_at": T0}
        Attempt.objects.create(number=1, submitted_at=T0, score_percent=20, passed=False, **sitting)
    assert states(academy, enrolled, T0)[academy.after_quiz.pk].state == "locked"
    assert report(client, academy.after_quiz, [[0, 5]], 5).status_code == 409
    with schema_context(academy.tenant.schema_name):
        Attempt.objects.create(number=2, submitted_at=T0, score_percent=80, passed=True, **sitting)
        assert access.can_open(user_id=academy.buyer.pk, lesson=academy.after_quiz, now=T0)
    outline = states(academy, enrolled, T0)
    assert (outline[academy.quiz.pk].state, outline[academy.after_quiz.pk].state) == (
        "done",
        "open",
    )
    assert report(client, academy.after_quiz, [[0, 5]], 5).status_code == 200


def test_preview_lessons_open_to_anyone_and_the_rest_needs_an_enrolment(
    academy: Academy,
) -> None:
    with schema_context(academy.tenant.schema_name):
        Lesson.objects.filter(pk=academy.dripped.pk).update(is_preview=True)
        academy.dripped.refresh_from_db()
        assert access.can_open(user_id=None, lesson=academy.dripped)
        assert not access.can_open(user_id=academy.other.pk, lesson=academy.video)
    outline = states(academy, None, T0)
    assert outline[academy.dripped.pk].state == "open"
    assert outline[academy.video.pk].reason == "Enrol on the course to open this lesson."


def test_the_outline_costs_the_same_for_any_size_of_course(
    academy: Academy, enrolled: Enrolment
) -> None:
    with CaptureQueriesContext(connection) as small:
        states(academy, enrolled, T0)
    with schema_context(academy.tenant.schema_name):
        section = Section.objects.create(course=academy.course, title="More", position=5)
        previous = academy.video
        for number in range(30):
            previous = Lesson.objects.create(
                course=academy.course,
                section=section,
                title=f"Extra {number}",
                kind="video",
                position=number,
                duration_seconds=30,
                prerequisite=previous,
                drip_days=number % 3 or None,
            )
    with CaptureQueriesContext(connection) as large:
        outline = states(academy, enrolled, T0)
    assert len(outline) == 37
    assert len(large.captured_queries) == len(small.captured_queries) <= 5


def test_can_open_is_cheap_for_the_players_requests(
    academy: Academy, enrolled: Enrolment, django_assert_max_num_queries: Any
) -> None:
    """Every playlist and segment asks: one query, two behind a prerequisite (plus the
    schema switch), on the tenant the middleware sets, whose time zone costs nothing."""
    with tenant_context(academy.tenant):
        with django_assert_max_num_queries(2):
            assert access.can_open(user_id=academy.buyer.pk, lesson=academy.video, now=T0)
        with django_assert_max_num_queries(2):
            assert not access.can_open(user_id=academy.buyer.pk, lesson=academy.dripped, now=T0)
        with django_assert_max_num_queries(4):
            assert not access.can_open(user_id=academy.buyer.pk, lesson=academy.after_video, now=T0)
        assert access.can_open(
            user_id=academy.buyer.pk, lesson=academy.dripped, now=T0 + timedelta(days=7)
        )
        assert not access.can_open(user_id=academy.other.pk, lesson=academy.video, now=T0)
