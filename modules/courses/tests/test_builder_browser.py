"""The course builder and the course's landing page in Chromium against a real server
process: the seller drags a lesson into another section (SortableJS, posted over htmx), the
new order is saved and survives a reload; the arrows move a lesson back; the builder and the
landing page (curriculum, free preview link) fit 1280 px and a 390 px phone. Screenshots go
to ``$SOUK_SHOTS`` (default: the test's tmp_path)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from modules.courses.services import builder
from modules.courses.tests.helpers_cbuild import build_course
from tenants.models import Tenant
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
    wait_until,
)
from tests.catalog_helpers import make_product, make_seller
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG = "course-builder-browser-market"
HOST = f"{SLUG}.{settings.PLATFORM_DOMAIN}"


@pytest.fixture
def course_marketplace(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        tenant = provision_tenant(
            slug=SLUG,
            name="Byte Bazaar",
            owner_email=f"owner@{SLUG}.example",
            owner_password=None,
            modules=["courses"],
            branding={"theme": "bazaar", "primary_colour": "#4b2a8c"},
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


def _titles(page: Page, section_id: int) -> list[str]:
    return page.locator(f"#section-{section_id} .cb-lesson-title").all_inner_texts()


def _drag(page: Page, handle: str, onto: str, *, arrived: str, seconds: float = 30) -> None:
    """Drags by hand, as a person does: press on the handle, move in small steps onto the
    target and hold there, nudging, until SortableJS has moved the row (its fallback mode
    checks the pointer on a 50 ms timer, which a loaded machine can delay past a quick
    drop), then release. A drop that never arrived fails here, not as a missing save."""
    start = page.locator(handle).bounding_box()
    goal = page.locator(onto).first.bounding_box()
    assert start and goal, (handle, onto)
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    to_x, to_y = goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 8, steps=4)
    page.mouse.move(to_x, to_y, steps=16)
    deadline = time.monotonic() + seconds
    nudge = 0
    while page.locator(arrived).count() == 0:
        assert time.monotonic() < deadline, f"the dragged row never reached {arrived}"
        nudge = (nudge + 1) % 4
        page.mouse.move(to_x, to_y + (nudge - 1.5) * 3, steps=2)
        page.wait_for_timeout(100)
    page.mouse.up()


def test_a_seller_drags_a_lesson_to_another_section_in_chromium(
    course_marketplace: Tenant,
    chromium_executable: str,  # noqa: F811
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    tenant = course_marketplace
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        seller = make_seller(tenant, "pyschool", "Py School", product_types=["course"])
        product = make_product(
            tenant, seller, "Python from Zero", price=4900, product_type="course"
        )
        with schema_context(tenant.schema_name):
            built = build_course(seller, product.pk)
        use_public_schema()
    basics, further = built["basics"].pk, built["further"].pk
    text_lesson = built["text"].pk
    page_path = f"/studio/courses/{product.pk}/"

    def layout() -> list[tuple[int, list[int]]]:
        with django_db_blocker.unblock(), schema_context(tenant.schema_name):
            found = builder._layout(built["course"].pk)
        use_public_schema()
        return found

    with _running_server(HOST, tmp_path, request) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = _sign_in(context, server, "pyschool@example.com", page_path)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Python from Zero")
        wait_until(page, "!!window.Sortable && !!window.htmx", what="the builder's scripts")
        assert _titles(page, basics) == ["Installing Python", "Reading the docs"]
        _fits(page, 1280, shots / "course-builder-1280.png")

        # Drag "Reading the docs" by its handle onto the quiz in "Going further".
        _drag(
            page,
            f"#lesson-{text_lesson} .cb-lesson-handle",
            f"#section-{further} .cb-lesson",
            arrived=f"#section-{further} #lesson-{text_lesson}",
        )
        wait_until(
            page,
            f"!!document.querySelector('#section-{further} #lesson-{text_lesson}') && "
            "!document.querySelector('.cb-saving')",
            what="the saved order to come back",
            seconds=30,
        )
        assert layout()[1][0] == further and text_lesson in layout()[1][1]
        assert layout()[0] == (basics, [built["video"].pk])

        page.reload()
        assert "Reading the docs" in _titles(page, further)
        assert _titles(page, basics) == ["Installing Python"]

        # The arrows (no drag needed, htmx swaps the curriculum): back up into "Basics",
        # one place per click.
        def where() -> tuple[int, int]:
            """Where the lesson is, once the page shows it (htmx swaps the curriculum: for a
            moment on a loaded machine neither section may hold it)."""
            for _ in range(200):
                for section_id in (basics, further):
                    titles = _titles(page, section_id)
                    if "Reading the docs" in titles:
                        return section_id, titles.index("Reading the docs")
                page.wait_for_timeout(50)
            raise AssertionError("the lesson is gone from the page")

        while where()[0] != basics:
            before = where()
            page.get_by_role("button", name="Move Reading the docs up").click()
            for _ in range(200):
                if where() != before:
                    break
                page.wait_for_timeout(50)
            assert where() != before, "the lesson did not move up"
        expect(page.locator(f"#section-{basics} .cb-lesson-title")).to_have_count(2)
        assert layout()[0] == (basics, [built["video"].pk, text_lesson])
        assert errors == []

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        small = _sign_in(phone, server, "pyschool@example.com", page_path)
        expect(small.get_by_role("heading", level=1)).to_contain_text("Python from Zero")
        _fits(small, 390, shots / "course-builder-390.png")
        small.goto(server.url(HOST, f"/studio/courses/lessons/{text_lesson}/"))
        _fits(small, 390, shots / "course-lesson-edit-390.png")

        for width in (1280, 390):
            visitor = browser.new_context(viewport={"width": width, "height": 900})
            landing = visitor.new_page()
            landing.goto(server.url(HOST, f"/p/{product.slug}/"))
            expect(landing.get_by_role("heading", name="Curriculum")).to_be_visible()
            preview = landing.locator("a[data-preview]")
            expect(preview).to_have_text("Installing Python")
            assert preview.get_attribute("href") == (
                f"/courses/{built['course'].pk}/learn/{built['video'].pk}/"
            )
            _fits(landing, width, shots / f"course-landing-{width}.png")
        browser.close()
