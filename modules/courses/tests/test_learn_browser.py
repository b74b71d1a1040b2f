"""A student's whole course in Chromium against a real server process: Amara, enrolled by a
paid order, opens the video lesson and the encrypted HLS ladder actually plays in hls.js
(time advances, frames are decoded) while the player's reports reach the server as watched
intervals; she reads the text lessons, passes the quiz through its page, completes the
course, downloads her certificate (the PDF names her and carries the code) and the public
verification page says it is valid. The learning page is photographed at 1280 and 390 px
(``$SOUK_SHOTS``, default the test's tmp_path)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from pypdf import PdfReader

from modules.courses import demo
from modules.courses.models import Certificate, Enrolment, LessonProgress, Question
from modules.courses.tests.helpers_cdemo import GitCourse, enrol_by_paying, git_course
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
    wait_until,
)
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG = "courses-learn-browser"
HOST = f"{SLUG}.{settings.PLATFORM_DOMAIN}"
AMARA = f"amara@{SLUG}.example"


@pytest.fixture
def school(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        tenant = provision_tenant(
            slug=SLUG,
            name="Byte School",
            owner_email=f"owner@{SLUG}.example",
            owner_password=None,
            modules=["courses"],
            branding={"theme": "bazaar", "primary_colour": "#1f6f5c"},
        ).tenant
        use_public_schema()
        try:
            yield tenant
        finally:
            _delete_marketplace(SLUG)
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


def _sign_in(context: BrowserContext, server: LiveServer, path: str, email: str = AMARA) -> Page:
    page = context.new_page()
    page.goto(server.url(HOST, f"/accounts/login/?next={path}"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def _upload_video(browser: Browser, server: LiveServer, course: GitCourse, source: Path) -> None:
    """The seller uploads the lesson's recording to the studio; the server transcodes it (the
    test settings run the job at once) and the studio fragment says it is ready."""
    studio = browser.new_context()
    lesson_id = course.lessons["video"].pk
    page = _sign_in(studio, server, "/studio/", email="nimbus-teaches@example.com")
    expect(page).to_have_url(server.url(HOST, "/studio/"))
    # Playwright's request context resolves names itself (not through Chromium's host map):
    # the studio's upload posted from here with the seller's session, to the server's port.
    session = requests.Session()
    for cookie in studio.cookies():
        session.cookies.set(cookie["name"], cookie["value"])
    token = str(session.cookies["csrftoken"])
    base = f"http://127.0.0.1:{server.port}/studio/courses/lessons/{lesson_id}/video"
    headers = {"Host": HOST, "X-CSRFToken": token, "HX-Request": "true"}
    with source.open("rb") as stream:
        response = session.post(
            f"{base}/upload/",
            files={"file": ("git.mp4", stream, "video/mp4")},
            headers=headers,
            timeout=180,
        )
    assert response.status_code < 400, response.text[:500]
    status = session.get(f"{base}/", headers={"Host": HOST}, timeout=30)
    assert "Playing in the lesson" in status.text, status.text[:1000]
    studio.close()


def _answer(page: Page, course: GitCourse, tenant: Tenant) -> None:
    """Every question answered right through the form, ordering by the up/down buttons."""
    with schema_context(tenant.schema_name):
        ids = {q.kind: q.pk for q in Question.objects.filter(quiz__lesson=course.lessons["quiz"])}
    use_public_schema()

    def box(kind: str) -> Any:
        return page.locator(f'[data-question="{ids[kind]}"]')

    box("single").get_by_label("git diff --staged", exact=True).check()
    box("true_false").get_by_label("False", exact=True).check()
    for choice in ("Fix rounding in invoice totals", "Add retry to the payment webhook"):
        box("multiple").get_by_label(choice, exact=True).check()
    box("short").get_by_label("Your answer").fill("git reflog")
    order = ["git switch -c feature", "git commit", "git switch main", "git merge feature"]
    for wanted in order:  # bubble each to the bottom, in order
        while True:
            items = box("ordering").locator("[data-item] label").all_inner_texts()
            if items.index(wanted) == len(items) - 1:
                break
            box("ordering").get_by_role("button", name=f"Move {wanted} down", exact=True).click()
    assert box("ordering").locator("[data-item] label").all_inner_texts() == order


def _progress(tenant: Tenant, course: GitCourse, key: str) -> LessonProgress | None:
    with schema_context(tenant.schema_name):
        found = LessonProgress.objects.filter(
            enrolment__buyer__email=AMARA, lesson=course.lessons[key]
        ).first()
    use_public_schema()
    return found


@pytest.mark.slow  # about 40 s: a transcode, a server, half a minute of video at 2x
def test_a_student_watches_reads_passes_and_is_certified_in_chromium(
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
        # Files live in each process's own media folder: the server stores (and transcodes)
        # the video itself, uploaded through the studio below.
        course = git_course(school, "nimbus-teaches", with_video=False)
        amara = make_user(school, AMARA, full_name="Amara Okafor")
        enrolment = enrol_by_paying(school, amara, course.product)
        use_public_schema()
    course_id = enrolment.course_id
    lessons = course.lessons
    video_path = f"/courses/{course_id}/learn/{lessons['video'].pk}/"

    with (
        django_db_blocker.unblock(),
        _running_server(HOST, tmp_path, request) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=chromium_executable,
            args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
        )
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        _upload_video(browser, server, course, demo.lesson_video(tmp_path / "git.mp4", title="Git"))
        page = _sign_in(context, server, video_path)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        console: list[str] = []  # CSP refusals are reported here, not as page errors
        page.on("console", lambda message: console.append(message.text))
        expect(page.locator("video")).to_be_visible()
        page.screenshot(path=str(shots / "learn-video-1280.png"), full_page=True)
        assert page_width(page) <= 1280

        # The ladder plays through hls.js (not a native fallback): time runs, frames decode.
        wait_until(page, "!!window.Hls && window.Hls.isSupported()", what="hls.js to load")
        page.get_by_label("Speed").select_option("2")
        page.locator("video").evaluate("video => { video.muted = true; video.play(); }")
        try:
            wait_until(
                page,
                "document.querySelector('video').currentTime > 1",
                what="playback",
                seconds=30,
            )
        except AssertionError as error:
            raise AssertionError(f"{error}; console: {console}") from None
        frames = page.evaluate(
            "document.querySelector('video').getVideoPlaybackQuality().totalVideoFrames"
        )
        assert frames > 0
        assert page.evaluate("document.querySelector('video').src.startsWith('blob:')")
        # Played to the end at 2x; the player's reports are merged into intervals.
        wait_until(page, "document.querySelector('video').ended", what="the end", seconds=60)
        deadline_checks = 0
        watched = _progress(school, course, "video")
        while (watched is None or watched.completed_at is None) and deadline_checks < 100:
            page.wait_for_timeout(100)
            watched = _progress(school, course, "video")
            deadline_checks += 1
        assert watched is not None and watched.completed_at is not None
        assert watched.watched[0] == 0 and watched.watched_seconds >= 0.9 * 24

        # Time on a text page counts while the tab is visible (reading.js, every 15 s), and
        # stops counting while it is hidden.
        readings: list[str] = []
        page.on(
            "request",
            lambda request: readings.append(request.url) if "/reading/" in request.url else None,
        )
        page.goto(server.url(HOST, f"/courses/{course_id}/learn/{lessons['welcome'].pk}/"))
        page.wait_for_timeout(16_500)
        assert len(readings) == 1, readings
        page.evaluate(
            "Object.defineProperty(document, 'visibilityState', "
            "{value: 'hidden', configurable: true}); "
            "document.dispatchEvent(new Event('visibilitychange'))"
        )
        page.wait_for_timeout(16_500)
        assert len(readings) == 1, "a hidden tab reported reading time"

        # The text lessons: "Mark complete" on each.
        for key in ("welcome", "commits", "undo"):
            page.goto(server.url(HOST, f"/courses/{course_id}/learn/{lessons[key].pk}/"))
            page.get_by_role("button", name="Mark complete").click()
            expect(page.locator("#learn-body").get_by_text("Completed")).to_be_visible()
            if key == "commits":
                page.screenshot(path=str(shots / "learn-text-1280.png"), full_page=True)

        # The quiz through its page.
        page.goto(server.url(HOST, f"/courses/quiz/{lessons['quiz'].pk}/"))
        page.get_by_role("button", name="Start the quiz").click()
        _answer(page, course, school)
        page.get_by_role("button", name="Submit answers").click()
        expect(page.locator(".qz-score")).to_contain_text("100%")
        expect(page.locator(".qz-score")).to_contain_text("Passed")

        # Complete, with a certificate to download and verify.
        with schema_context(school.schema_name):
            done = Enrolment.objects.get(pk=enrolment.pk)
            assert done.progress_percent == 100 and done.completed_at is not None
        use_public_schema()
        certificate: Certificate | None = None
        for _ in range(100):  # issued after the completing request's commit
            with schema_context(school.schema_name):
                certificate = Certificate.objects.filter(enrolment_id=enrolment.pk).first()
            use_public_schema()
            if certificate is not None:
                break
            page.wait_for_timeout(100)
        assert certificate is not None
        page.goto(server.url(HOST, "/courses/certificates/"))
        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download PDF").click()
        pdf_path = tmp_path / "certificate.pdf"
        download_info.value.save_as(pdf_path)
        text = "".join(p.extract_text() for p in PdfReader(pdf_path).pages)
        assert "Amara Okafor" in text and certificate.code in text
        page.get_by_role("link", name="Verification page").click()
        expect(page.locator("[data-certificate-status=valid]")).to_be_visible()
        assert errors == []

        # The learning page on a phone, after the course is done.
        phone = browser.new_context(viewport={"width": 390, "height": 844})
        small = _sign_in(phone, server, video_path)
        expect(small.locator("video")).to_be_visible()
        assert page_width(small) <= 390
        small.screenshot(path=str(shots / "learn-video-390.png"), full_page=True)
        small.goto(server.url(HOST, f"/courses/{course_id}/learn/{lessons['commits'].pk}/"))
        assert page_width(small) <= 390
        small.screenshot(path=str(shots / "learn-text-390.png"), full_page=True)
        browser.close()
