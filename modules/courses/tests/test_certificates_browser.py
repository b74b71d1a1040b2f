"""Certificates and the students page in Chromium against a real server process: the public
verification page (valid, no sign-in) in the marketplace's branding, the seller's students
page with its progress chart, revoking a certificate there, and the verification page then
saying "Revoked"; every page fits 1280 px and a 390 px phone. Screenshots go to
``$SOUK_SHOTS`` (default: the test's tmp_path)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from modules.courses.models import (
    Attempt,
    Course,
    Enrolment,
    Lesson,
    LessonKind,
    LessonProgress,
    Quiz,
    Section,
)
from modules.courses.services import certificates
from tenants.models import Tenant
from tenants.schemas_sql import use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    LiveServer,
    _delete_marketplace,
    _running_server,
    chromium_executable,
    page_width,
)
from tests.catalog_helpers import make_product, make_seller
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG = "courses-cert-browser-market"
HOST = f"{SLUG}.{settings.PLATFORM_DOMAIN}"


@pytest.fixture
def school(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        tenant = provision_tenant(
            slug=SLUG,
            name="Paint Academy",
            owner_email=f"owner@{SLUG}.example",
            owner_password=None,
            modules=["courses"],
            branding={"primary_colour": "#7a1f5c"},
        ).tenant
        use_public_schema()
        try:
            yield tenant
        finally:
            _delete_marketplace(SLUG)
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


def _sign_in(context: BrowserContext, server: LiveServer, email: str, path: str) -> Page:
    page = context.new_page()
    page.goto(server.url(HOST, f"/accounts/login/?next={path}"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def _fits(page: Page, width: int, shot: Path) -> None:
    assert page_width(page) <= width, (page.url, width)
    page.screenshot(path=str(shot), full_page=True)


def _students(tenant: Tenant) -> tuple[Course, str]:
    """A course with five students at different stages; the first has a certificate."""
    seller = make_seller(tenant, "ada-teaches", "Ada Teaches", product_types=["course"])
    product = make_product(tenant, seller, "Watercolour Basics", price=4900, product_type="course")
    people = [
        ("Amara Okafor", 100),
        ("Bo Lindqvist", 40),
        ("Chidera Nwosu-Hargreaves", 10),
        ("Dmitri Volkov", 80),
        ("Elif Şahin", 0),
    ]
    now = timezone.now()
    with schema_context(tenant.schema_name):
        course = Course.objects.create(product=product)
        section = Section.objects.create(course=course, title="Start")
        lesson = Lesson.objects.create(
            course=course, section=section, title="Mixing", kind=LessonKind.VIDEO
        )
        quiz_lesson = Lesson.objects.create(
            course=course, section=section, title="Check", kind=LessonKind.QUIZ, position=1
        )
        quiz = Quiz.objects.create(lesson=quiz_lesson)
        code = ""
        for index, (name, percent) in enumerate(people):
            user = make_user(tenant, f"student{index}@{SLUG}.example", full_name=name)
            enrolment = Enrolment.objects.create(
                course=course,
                buyer=user,
                enrolled_at=now - timedelta(days=30 - index),
                progress_percent=percent,
                last_active_at=now - timedelta(hours=index * 7 + 1),
            )
            if percent == 100:
                LessonProgress.objects.create(enrolment=enrolment, lesson=lesson, completed_at=now)
                Attempt.objects.create(
                    quiz=quiz, enrolment=enrolment, number=1, started_at=now, passed=True
                )
                issued = certificates.issue_for_enrolment(enrolment_id=enrolment.pk)
                assert issued is not None
                code = issued.code
    use_public_schema()
    return course, code


def test_verification_and_students_pages_in_chromium(
    school: Tenant,
    chromium_executable: str,  # noqa: F811
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        course, code = _students(school)
    verify_path = f"/certificates/{code.lower().replace('-', '')}/"
    students_path = f"/studio/courses/students/{course.pk}/"

    with _running_server(HOST, tmp_path, request) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        for width in (1280, 390):
            visitor = browser.new_context(viewport={"width": width, "height": 900})
            page = visitor.new_page()
            page.goto(server.url(HOST, verify_path))
            expect(page.locator("[data-certificate-status=valid]")).to_be_visible()
            expect(page.get_by_role("heading", level=1)).to_have_text("Amara Okafor")
            _fits(page, width, shots / f"certificate-valid-{width}.png")
            visitor.close()

        desk = browser.new_context(viewport={"width": 1280, "height": 900})
        page = _sign_in(desk, server, "ada-teaches@example.com", students_path)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        expect(page.get_by_role("heading", level=1)).to_have_text("Watercolour Basics")
        expect(page.locator("tr[data-enrolment]")).to_have_count(5)
        expect(page.locator("#chart-course-progress")).to_be_attached()
        _fits(page, 1280, shots / "students-1280.png")

        page.get_by_text("Revoke", exact=True).click()
        page.get_by_label("Reason").fill("Copied the final project")
        page.get_by_role("button", name="Revoke certificate").click()
        expect(page.get_by_text(f"Certificate {code} revoked.")).to_be_visible()
        assert errors == []

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        small = _sign_in(phone, server, "ada-teaches@example.com", students_path)
        expect(small.get_by_role("heading", level=1)).to_have_text("Watercolour Basics")
        _fits(small, 390, shots / "students-390.png")

        for width in (1280, 390):
            visitor = browser.new_context(viewport={"width": width, "height": 900})
            page = visitor.new_page()
            page.goto(server.url(HOST, verify_path))
            expect(page.locator("[data-certificate-status=revoked]")).to_be_visible()
            _fits(page, width, shots / f"certificate-revoked-{width}.png")
            visitor.close()
        browser.close()
