"""A timed quiz in Chromium against a real server process: the student reads the rules,
starts, sees the countdown, answers every kind (the ordering item moved with the up/down
buttons), submits and reads the result with feedback; the seller's editor with its item
analytics. Every page fits 1280 px and a 390 px phone. Screenshots go to ``$SOUK_SHOTS``
(default: the test's tmp_path)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from modules.courses.models import Attempt, Quiz
from modules.courses.tests.helpers_cquiz import School
from tenants.schemas_sql import use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import PASSWORD
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    LiveServer,
    _delete_marketplace,
    _running_server,
    chromium_executable,
    page_width,
)
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG = "quiz-browser-school"
HOST = f"{SLUG}.{settings.PLATFORM_DOMAIN}"


class _Provisioned:
    def __init__(self, tenant: Any) -> None:
        self.tenant = tenant


def _provision(slug: str, **options: Any) -> _Provisioned:
    tenant = provision_tenant(
        slug=slug,
        name="Star School",
        owner_email=f"owner@{slug}.example",
        owner_password=None,
        modules=options.get("modules", ["courses"]),
        branding={"theme": "bazaar", "primary_colour": "#1f6f5c"},
    ).tenant
    use_public_schema()
    return _Provisioned(tenant)


@pytest.fixture
def committed_school(django_db_setup: None, django_db_blocker: Any) -> Iterator[School]:
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        # Outside a test transaction, fulfilment runs on commit by itself.
        school = School(_provision, SLUG, lambda execute=True: contextlib.nullcontext())
        use_public_schema()
        try:
            yield school
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


def _answer(page: Page, school: School) -> None:
    """Every question answered right through the form, ordering by the buttons."""
    single, multiple = school.question("single"), school.question("multiple")
    truth, short = school.question("true_false"), school.question("short")
    page.locator(f'[data-question="{single.pk}"]').get_by_label("Jupiterquux").check()
    for choice in ("Seven", "Eleven"):
        page.locator(f'[data-question="{multiple.pk}"]').get_by_label(choice).check()
    page.locator(f'[data-question="{truth.pk}"]').get_by_label("True").check()
    page.locator(f'[data-question="{short.pk}"]').get_by_label("Your answer").fill("reykjavikwort")
    ordering = school.question("ordering")
    box = page.locator(f'[data-question="{ordering.pk}"]')
    for wanted in ("Atom", "Cell", "Planet"):  # bubble each to the bottom, in order
        while True:
            items = box.locator("[data-item] label").all_inner_texts()
            if items.index(wanted) == len(items) - 1:
                break
            box.get_by_role("button", name=f"Move {wanted} down").click()
    assert box.locator("[data-item] label").all_inner_texts() == ["Atom", "Cell", "Planet"]


def test_a_student_takes_a_timed_quiz_in_chromium(
    committed_school: School,
    chromium_executable: str,  # noqa: F811
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    school = committed_school
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        school.buy(school.buyer)
        with schema_context(school.tenant.schema_name):
            Quiz.objects.filter(pk=school.quiz.pk).update(time_limit_minutes=20, attempt_limit=3)
        use_public_schema()
    quiz_path = f"/courses/quiz/{school.lesson.pk}/"

    with _running_server(HOST, tmp_path, request) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        for width, height in ((1280, 900), (390, 844)):
            context = browser.new_context(viewport={"width": width, "height": height})
            page = _sign_in(context, server, school.buyer.email, quiz_path)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))  # noqa: B023
            expect(page.get_by_role("heading", level=1)).to_have_text("Check yourself")
            _fits(page, width, shots / f"quiz-start-{width}.png")
            page.get_by_role(
                "button", name="Start the quiz" if width == 1280 else "Try again"
            ).click()
            expect(page.locator("[data-countdown]")).to_contain_text(":")  # the script ticks
            _fits(page, width, shots / f"quiz-paper-{width}.png")
            _answer(page, school)
            page.get_by_role("button", name="Submit answers").click()
            expect(page.locator(".qz-score")).to_contain_text("100%")
            expect(page.locator("[data-feedback]")).to_have_count(5)
            _fits(page, width, shots / f"quiz-result-{width}.png")
            assert errors == []
            context.close()
        with django_db_blocker.unblock(), schema_context(school.tenant.schema_name):
            assert [a.score_percent for a in Attempt.objects.order_by("number")] == [100, 100]
        use_public_schema()

        seller_email = f"{SLUG}-tutor@example.com"
        editor = f"/studio/courses/lessons/{school.lesson.pk}/quiz/"
        for width, height in ((1280, 900), (390, 844)):
            context = browser.new_context(viewport={"width": width, "height": height})
            page = _sign_in(context, server, seller_email, editor)
            expect(page.get_by_role("heading", level=1)).to_have_text("Check yourself")
            expect(page.locator("[data-item] [data-asked]").first).to_have_text("2")
            _fits(page, width, shots / f"quiz-studio-{width}.png")
            context.close()
        browser.close()
