"""The player's reports through the API: intervals merge, a video completes at 90% of its
length actually watched (never by seeking to the end), the position is kept for resume;
text lessons complete on time on page or "mark complete"; the course's percent counts
required lessons (a quiz once passed) and the enrolment completes, asking for its
certificate once. A report costs at most two SQL statements, signing in included.
Validation, another buyer, a refunded buyer, another marketplace and the module off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context, tenant_context

from core.accounts.services.tokens import create_token
from modules.courses.models import Attempt, Enrolment, LessonProgress
from modules.courses.services import progress
from modules.courses.tests.helpers_cprog import (
    T0,
    Academy,
    open_academy,
    order_of,
    report,
)
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.fleet_helpers import host_of


@pytest.fixture
def academy(make_tenant: Any, time_machine: Any) -> Academy:
    return open_academy(make_tenant, time_machine)


@pytest.fixture
def enrolled(academy: Academy, django_capture_on_commit_callbacks: Any) -> Enrolment:
    return academy.enrol(academy.buyer, django_capture_on_commit_callbacks)


def progress_of(academy: Academy, lesson: Any) -> LessonProgress:
    with schema_context(academy.tenant.schema_name):
        return LessonProgress.objects.get(lesson=lesson)


def test_reports_merge_and_the_position_is_kept(academy: Academy, enrolled: Enrolment) -> None:
    client = academy.client(academy.buyer)
    response = report(client, academy.video, [[10, 20.4], [0, 5]], 20.4)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "lesson_id": academy.video.pk,
        "watched_seconds": 15,
        "position_seconds": 20,
        "seconds_on_page": 0,
        "is_complete": False,
        "course_percent": 0,
    }
    report(client, academy.video, [[5, 10], [18, 30]], 31)
    record = progress_of(academy, academy.video)
    assert (record.watched, record.watched_seconds, record.position_seconds) == ([0, 30], 30, 31)
    with schema_context(academy.tenant.schema_name):
        enrolled.refresh_from_db()
    assert enrolled.last_lesson_id == academy.video.pk and enrolled.last_active_at == T0


def test_a_video_completes_at_ninety_percent_actually_watched(
    academy: Academy, enrolled: Enrolment
) -> None:
    client = academy.client(academy.buyer)
    # Seeking to the end is not watching: the position says 99, 10 seconds were played.
    body = report(client, academy.video, [[0, 5], [94, 99]], 99).json()
    assert (body["watched_seconds"], body["is_complete"]) == (10, False)
    body = report(client, academy.video, [[5, 84]], 84).json()  # 89 of 100
    assert (body["watched_seconds"], body["is_complete"]) == (89, False)
    body = report(client, academy.video, [[84, 85]], 85).json()  # 90 of 100
    assert (body["watched_seconds"], body["is_complete"], body["course_percent"]) == (90, True, 16)
    completed_at = progress_of(academy, academy.video).completed_at
    assert completed_at == T0
    report(client, academy.video, [[0, 10]], 10)
    assert progress_of(academy, academy.video).completed_at == completed_at  # stays


def test_a_report_costs_at_most_two_statements(
    academy: Academy, enrolled: Enrolment, django_assert_max_num_queries: Any
) -> None:
    """As the players call it (a bearer token): the signed-in user and the report, besides
    the marketplace's host lookup every request makes."""
    with schema_context(academy.tenant.schema_name):
        token = create_token(
            user=academy.buyer,
            name="player",
            scopes=["read", "write"],
            expires_at=None,
            is_two_factor_verified=False,
        ).raw
    client = Client(HTTP_HOST=host_of(academy.tenant), HTTP_AUTHORIZATION=f"Bearer {token}")
    assert report(client, academy.video, [[0, 5]], 5).status_code == 200  # the token is cached
    with CaptureQueriesContext(connection) as captured:
        response = report(client, academy.video, [[5, 10], [12, 14]], 14)
    assert response.status_code == 200
    statements = [
        q["sql"]
        for q in captured
        if not q["sql"].startswith(("SET search_path", "SAVEPOINT", "RELEASE SAVEPOINT"))
        and 'FROM "tenants_domain"' not in q["sql"]
    ]
    assert len(statements) <= 2, "\n".join(sql[:120] for sql in statements)
    # The service alone: one statement, no transaction block of its own (plus the schema
    # switch), on the tenant a request has (its time zone costs nothing).
    with tenant_context(academy.tenant), django_assert_max_num_queries(2) as seen:
        progress.report_watched(
            user_id=academy.buyer.pk, lesson_id=academy.video.pk, intervals=[[20, 30]], position=30
        )
    own = [q["sql"] for q in seen.captured_queries if q["sql"].lstrip().startswith("WITH")]
    assert len(own) == 1
    assert progress_of(academy, academy.video).watched == [0, 10, 12, 14, 20, 30]


def test_reports_are_validated(academy: Academy, enrolled: Enrolment) -> None:
    client = academy.client(academy.buyer)
    too_many = [[i, i + 0.5] for i in range(progress.MAX_INTERVALS + 1)]
    for intervals, position in (
        ([[5, 4]], 5),  # ends before it starts
        ([[-1, 4]], 4),  # before the start
        ([[0, 103]], 10),  # past the 100 s video (+2 s slack)
        ([[1, 2, 3]], 1),  # not a pair
        (too_many, 1),
        ([[0, 5]], -3),  # a negative position
    ):
        response = report(client, academy.video, intervals, position)
        assert response.status_code == 422, (intervals, response.content)
    assert report(client, academy.video, [[0, 101.5]], 101).json()["watched_seconds"] == 100
    # A report about a text lesson is refused; nothing was written for it.
    assert report(client, academy.text, [[0, 5]], 5).status_code == 422
    with schema_context(academy.tenant.schema_name):
        assert not LessonProgress.objects.filter(lesson=academy.text).exists()


def test_text_lessons_complete_on_time_or_when_marked(
    academy: Academy, enrolled: Enrolment
) -> None:
    client = academy.client(academy.buyer)
    reading = "/api/v1/courses/progress/reading"
    body = client.post(
        reading, {"lesson_id": academy.text.pk, "seconds": 20}, content_type="application/json"
    ).json()
    assert (body["seconds_on_page"], body["is_complete"]) == (20, False)
    body = client.post(
        reading, {"lesson_id": academy.text.pk, "seconds": 10}, content_type="application/json"
    ).json()
    assert (body["seconds_on_page"], body["is_complete"]) == (30, True)  # min_seconds 30
    too_long = client.post(
        reading, {"lesson_id": academy.text.pk, "seconds": 601}, content_type="application/json"
    )
    assert too_long.status_code == 422
    # The optional lesson has no minimum: reading never completes it, marking it does.
    body = client.post(
        reading, {"lesson_id": academy.extra.pk, "seconds": 600}, content_type="application/json"
    ).json()
    assert body["is_complete"] is False
    body = client.post(
        "/api/v1/courses/progress/complete",
        {"lesson_id": academy.extra.pk},
        content_type="application/json",
    ).json()
    assert body["is_complete"] is True
    assert body["course_percent"] == 16  # optional lessons do not count: 1 of 6 required
    marked = client.post(
        "/api/v1/courses/progress/complete",
        {"lesson_id": academy.video.pk},
        content_type="application/json",
    )
    assert marked.status_code == 422  # a video completes by watching only


def complete_everything(academy: Academy, client: Any, enrolment: Enrolment) -> None:
    report(client, academy.video, [[0, 100]], 100)
    client.post(
        "/api/v1/courses/progress/complete",
        {"lesson_id": academy.text.pk},
        content_type="application/json",
    )
    with schema_context(academy.tenant.schema_name):
        Attempt.objects.create(
            quiz=academy.quiz_settings,
            enrolment=enrolment,
            number=1,
            started_at=T0,
            submitted_at=T0,
            score_percent=100,
            passed=True,
        )
        progress.refresh_course(enrolment_id=enrolment.pk)


def test_the_course_completes_once_every_required_lesson_is_done(
    academy: Academy,
    enrolled: Enrolment,
    time_machine: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
) -> None:
    issued: list[int] = []
    monkeypatch.setattr(
        progress, "issue_certificate", lambda **kw: issued.append(kw["enrolment_id"])
    )
    client = academy.client(academy.buyer)
    with django_capture_on_commit_callbacks(execute=True):
        complete_everything(academy, client, enrolled)
    with schema_context(academy.tenant.schema_name):
        enrolled.refresh_from_db()
    assert (enrolled.progress_percent, enrolled.completed_at) == (50, None)  # 3 of 6
    time_machine.move_to(T0 + timedelta(days=8), tick=False)  # the dripped lesson opens
    with django_capture_on_commit_callbacks(execute=True):
        for lesson in (academy.dripped, academy.after_video, academy.after_quiz):
            body = report(client, lesson, [[0, 60]], 60).json()
    assert body["course_percent"] == 100
    with schema_context(academy.tenant.schema_name):
        enrolled.refresh_from_db()
    assert enrolled.completed_at == T0 + timedelta(days=8)
    assert issued == [enrolled.pk]
    with django_capture_on_commit_callbacks(execute=True):
        report(client, academy.after_quiz, [[0, 60]], 60)
    assert issued == [enrolled.pk]  # once


def test_strangers_refunded_buyers_other_marketplaces_and_module_off_get_404(
    academy: Academy, enrolled: Enrolment, make_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    stranger = academy.client(academy.other)
    assert report(stranger, academy.video, [[0, 5]], 5).status_code == 404
    assert report(stranger, academy.video.__class__(pk=999_999), [[0, 5]], 5).status_code == 404
    assert stranger.get(f"/api/v1/courses/{academy.course.pk}/outline").status_code == 404
    use_public_schema()
    elsewhere = Academy(make_tenant, "rival-school")
    visitor = elsewhere.client(elsewhere.buyer)  # not enrolled there either
    assert report(visitor, academy.video, [[0, 5]], 5).status_code == 404
    buyer = academy.client(academy.buyer)
    buyer.defaults["HTTP_HOST"] = visitor.defaults["HTTP_HOST"]  # our session, their host
    assert report(buyer, academy.video, [[0, 5]], 5).status_code in (401, 403)
    with schema_context(academy.tenant.schema_name):
        assert not LessonProgress.objects.exists()

    buyer = academy.client(academy.buyer)
    assert report(buyer, academy.video, [[0, 5]], 5).status_code == 200
    set_module_enabled(tenant=academy.tenant, key="courses", is_enabled=False)
    assert report(buyer, academy.video, [[5, 10]], 10).status_code == 404
    set_module_enabled(tenant=academy.tenant, key="courses", is_enabled=True)
    academy.refund(order_of(enrolled), django_capture_on_commit_callbacks)
    assert report(buyer, academy.video, [[5, 10]], 10).status_code == 404
    assert progress_of(academy, academy.video).watched == [0, 5]
