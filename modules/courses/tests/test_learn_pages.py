"""The learner's pages: "My courses" lists live enrolments with their progress and a button
back to the last lesson; the learning page shows the lesson (the player or its placeholder,
a text lesson with "mark complete" over htmx and its time-on-page reporter, the way to the
quiz), the curriculum sidebar with open, locked (why, when) and done lessons, and the
lesson's resources, which download for the enrolled only. Another buyer, a refunded buyer,
another marketplace and the module switched off get 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django_tenants.utils import schema_context

from modules.courses.learn_pages import quiz_url
from modules.courses.models import Enrolment, Lesson, LessonProgress, Resource, Video
from modules.courses.tests.helpers_cprog import Academy, open_academy, order_of, report
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled


@pytest.fixture
def academy(make_tenant: Any, time_machine: Any) -> Academy:
    return open_academy(make_tenant, time_machine)


@pytest.fixture
def enrolled(academy: Academy, django_capture_on_commit_callbacks: Any) -> Enrolment:
    return academy.enrol(academy.buyer, django_capture_on_commit_callbacks)


def page(academy: Academy, lesson: Any) -> str:
    return f"/courses/{academy.course.pk}/learn/{lesson.pk}/"


def test_my_courses_shows_progress_and_continues_where_i_left_off(
    academy: Academy, enrolled: Enrolment
) -> None:
    client = academy.client(academy.buyer)
    html = client.get("/courses/mine/").content.decode()
    assert "Python from Zero" in html and "0% complete" in html
    assert f'href="{page(academy, academy.video)}"' in html and ">Start<" in html
    client.post(
        "/api/v1/courses/progress/complete",
        {"lesson_id": academy.text.pk},
        content_type="application/json",
    )
    html = client.get("/courses/mine/").content.decode()
    assert "16% complete" in html
    assert f'href="{page(academy, academy.text)}"' in html and ">Continue<" in html
    assert "Last: Reading the docs" in html
    assert (
        "Python from Zero"
        not in academy.client(academy.other).get("/courses/mine/").content.decode()
    )


def test_the_learning_page_of_a_video_lesson(academy: Academy, enrolled: Enrolment) -> None:
    client = academy.client(academy.buyer)
    response = client.get(page(academy, academy.video))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Installing Python</h1>" in html
    assert "data-player-placeholder" in html  # no ready video yet
    assert 'id="learn-sidebar"' in html
    assert f'data-lesson="{academy.dripped.pk}" data-state="locked"' in html
    assert "Opens on 14 December 2026." in html
    assert f'data-lesson="{academy.after_quiz.pk}" data-state="locked"' in html
    assert f'data-lesson="{academy.text.pk}" data-state="open"' in html
    quiz = client.get(page(academy, academy.quiz)).content.decode()
    assert f'href="{quiz_url(academy.quiz.pk)}"' in quiz


def test_a_ready_video_plays_in_the_player_from_the_saved_position(
    academy: Academy, enrolled: Enrolment
) -> None:
    client = academy.client(academy.buyer)
    report(client, academy.video, [[0, 42]], 42)
    with schema_context(academy.tenant.schema_name):
        video = Video.objects.create(
            lesson=academy.video,
            original_name="intro.mp4",
            status="ready",
            is_current=True,
            duration_seconds=100.0,
            width=1280,
            height=720,
        )
    html = client.get(page(academy, academy.video)).content.decode()
    assert "data-course-player" in html and "data-player-placeholder" not in html
    assert 'data-start-at="42"' in html
    assert 'data-progress-url="/api/v1/courses/progress"' in html
    assert video.key in html
    assert "Watched 42 s of 1 min 40 s" in html  # 42 of 100 seconds


def test_a_preview_lesson_opens_to_a_visitor_and_the_rest_stays_locked(
    academy: Academy,
) -> None:
    with schema_context(academy.tenant.schema_name):
        Lesson.objects.filter(pk=academy.text.pk).update(is_preview=True)
    visitor = academy.client(academy.other)
    html = visitor.get(page(academy, academy.text)).content.decode()
    assert "Read them." in html and "Mark complete" not in html
    assert "Enrol on the course to open this lesson." in html
    assert visitor.get(page(academy, academy.video)).status_code == 404


def test_a_locked_lesson_says_why_and_when(academy: Academy, enrolled: Enrolment) -> None:
    client = academy.client(academy.buyer)
    html = client.get(page(academy, academy.dripped)).content.decode()
    assert "This lesson is locked" in html and "Opens on 14 December 2026." in html
    assert "data-player" not in html


def test_mark_complete_over_htmx_updates_the_lesson_and_the_sidebar(
    academy: Academy, enrolled: Enrolment
) -> None:
    client = academy.client(academy.buyer)
    html = client.get(page(academy, academy.text)).content.decode()
    assert "Mark complete" in html and 'data-reading-every="15"' in html
    assert 'hx-trigger="cl-read"' in html and "courses/reading.js" in html  # visible time only
    response = client.post(f"{page(academy, academy.text)}complete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "&#10003; Completed" in html or "\u2713 Completed" in html
    assert f'data-lesson="{academy.text.pk}" data-state="done"' in html
    assert "16% complete" in html
    # The reporter adds 15 seconds each time; the lesson is already complete.
    assert client.post(f"{page(academy, academy.text)}reading/").status_code == 204
    with schema_context(academy.tenant.schema_name):
        record = LessonProgress.objects.get(lesson=academy.text)
    assert (record.seconds_on_page, record.completed_at is not None) == (15, True)


def test_the_reporter_completes_a_text_lesson_after_its_minimum(
    academy: Academy, enrolled: Enrolment
) -> None:
    client = academy.client(academy.buyer)
    url = f"{page(academy, academy.text)}reading/"
    assert client.post(url).status_code == 204
    assert client.post(url).status_code == 204  # 30 s: min_seconds reached
    with schema_context(academy.tenant.schema_name):
        assert LessonProgress.objects.get(lesson=academy.text).completed_at is not None


def test_resources_download_for_the_enrolled_only(academy: Academy, enrolled: Enrolment) -> None:
    with schema_context(academy.tenant.schema_name):
        item = Resource(
            lesson=academy.video,
            title="Cheat sheet",
            original_name="cheat-sheet.txt",
            content_type="text/plain",
            size=5,
        )
        item.content.save("cheat-sheet.txt", ContentFile(b"hello"), save=False)
        item.save()
    client = academy.client(academy.buyer)
    assert "Cheat sheet" in client.get(page(academy, academy.video)).content.decode()
    url = f"/courses/{academy.course.pk}/resources/{item.key}/"
    response = client.get(url)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.getvalue() == b"hello"
    assert academy.client(academy.other).get(url).status_code == 404


def test_strangers_refunds_other_marketplaces_and_module_off_get_404(
    academy: Academy, enrolled: Enrolment, make_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    url = page(academy, academy.video)
    assert academy.client(academy.other).get(url).status_code == 404
    assert (
        academy.client(academy.other).post(f"{page(academy, academy.text)}complete/").status_code
        == 404
    )
    buyer = academy.client(academy.buyer)
    assert buyer.get(f"/courses/{academy.course.pk}/learn/999999/").status_code == 404
    use_public_schema()
    elsewhere = Academy(make_tenant, "rival-school")
    assert elsewhere.client(elsewhere.buyer).get(url).status_code == 404
    set_module_enabled(tenant=academy.tenant, key="courses", is_enabled=False)
    assert buyer.get(url).status_code == 404
    assert buyer.get("/courses/mine/").status_code == 404
    set_module_enabled(tenant=academy.tenant, key="courses", is_enabled=True)
    assert buyer.get(url).status_code == 200
    academy.refund(order_of(enrolled), django_capture_on_commit_callbacks)
    assert buyer.get(url).status_code == 404
    assert "Python from Zero" not in buyer.get("/courses/mine/").content.decode()
