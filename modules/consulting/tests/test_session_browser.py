"""The documents, notes and follow-ups sections in Debian's Chromium at 1280 and 390 px, on
the sections' own pages (the booking pages include the same partials): the buyer shares a
PDF and a question, adds a task, sees a refused task's message beside its field with the
typing kept; the consultant writes a private note and ticks the buyer's task; the buyer
never sees the private note. Nothing scrolls sideways. Screenshots go to the test's
temporary folder (and to ``$SOUK_SCREENSHOT_DIR`` when set)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect, sync_playwright

from core.accounts.models import User
from modules.consulting.tests.browser_helpers import shot as _shot
from modules.consulting.tests.browser_helpers import sign_in as _sign_in
from modules.consulting.tests.helpers import free, hold, make_consulting, pay, refreshed
from modules.consulting.tests.test_session_documents import PDF
from tenants.schemas_sql import use_public_schema
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    _running_server,
    chromium_executable,
    marketplace_with_operator,
    page_width,
)


@contextlib.contextmanager
def _committed(execute: bool = True) -> Iterator[None]:
    yield  # outside a test transaction on_commit callbacks run at once


def test_both_sides_use_the_session_sections_at_desktop_and_phone_width(
    django_db_setup: None,
    django_db_blocker: Any,
    chromium_executable: str,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug="consult-session-browser",
            name="Consult Corner",
            operator_email="op@session.example",
            modules=["consulting"],
        ) as market,
    ):
        c = make_consulting(market.tenant)
        day = (timezone.now() + timedelta(days=3)).date()
        while day.weekday() > 4:
            day += timedelta(days=1)
        slot = free(market.tenant, c.session_type, day)[0]
        booking = hold(market.tenant, c.buyer, c.session_type, slot.starts_at)
        pay(market.tenant, c.buyer, booking, lambda execute=True: _committed())
        assert refreshed(market.tenant, booking).status == "booked"
        with schema_context(market.tenant.schema_name):
            consultant_email = User.objects.get(pk=c.seller.owner_id).email
        use_public_schema()
        pdf = tmp_path / "brief.pdf"
        pdf.write_bytes(PDF)
        buyer_base = f"/consulting/bookings/{booking.pk}"
        studio_base = f"/studio/consulting/bookings/{booking.pk}"
        with (
            _running_server(market.host, tmp_path, request) as server,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=chromium_executable, args=CHROMIUM_ARGS
            )
            for width in (1280, 390):
                buyer = browser.new_context(viewport={"width": width, "height": 800}).new_page()
                _sign_in(
                    buyer,
                    server.url(market.host, f"/accounts/login/?next={buyer_base}/files/"),
                    c.buyer.email,
                )
                buyer.locator("#session-files input[type=file]").set_input_files(str(pdf))
                buyer.locator("#session-files").get_by_role("button", name="Upload").click()
                files = buyer.locator("#session-files .session-item")
                expect(files).to_have_count(1 if width == 1280 else 2)
                expect(files.last).to_contain_text("brief.pdf")
                assert page_width(buyer) <= width
                _shot(buyer, tmp_path, f"session-files-{width}")

                buyer.goto(server.url(market.host, f"{buyer_base}/follow-ups/"))
                section = buyer.locator("#session-follow-ups")
                section.get_by_label("Due (optional)").fill("2026-12-31")
                section.get_by_role("button", name="Add task").click()
                expect(section.locator(".session-error")).to_have_text("Say what is to be done.")
                expect(section.get_by_label("Due (optional)")).to_have_value("2026-12-31")
                section.get_by_label("Add a task").fill(f"Send the figures ({width})")
                section.get_by_role("button", name="Add task").click()
                expect(section.locator(".session-item").last).to_contain_text(
                    f"Send the figures ({width})"
                )
                assert page_width(buyer) <= width
                _shot(buyer, tmp_path, f"session-follow-ups-{width}")

                consultant = browser.new_context(
                    viewport={"width": width, "height": 800}
                ).new_page()
                _sign_in(
                    consultant,
                    server.url(market.host, f"/accounts/login/?next={studio_base}/notes/"),
                    consultant_email,
                )
                notes = consultant.locator("#session-notes")
                notes.get_by_label("Add a note").fill(f"Private: budget is tight ({width})")
                notes.get_by_role("button", name="Save note").click()
                expect(notes.locator(".session-badge.is-private")).to_have_count(
                    1 if width == 1280 else 2
                )
                assert page_width(consultant) <= width
                _shot(consultant, tmp_path, f"session-studio-notes-{width}")
                consultant.goto(server.url(market.host, f"{studio_base}/follow-ups/"))
                task = consultant.locator("#session-follow-ups .session-item").last
                task.get_by_role("button", name="Mark done").click()
                expect(
                    consultant.locator("#session-follow-ups .session-item.is-done")
                ).to_have_count(1 if width == 1280 else 2)
                _shot(consultant, tmp_path, f"session-studio-follow-ups-{width}")

                buyer.goto(server.url(market.host, f"{buyer_base}/notes/"))
                asking = buyer.locator("#session-notes")
                asking.get_by_label("Add a note or a question for your consultant").fill(
                    "Can we cover VAT as well?"
                )
                asking.get_by_role("button", name="Share note").click()
                expect(asking.locator(".session-item")).to_have_count(1 if width == 1280 else 2)
                expect(asking.locator("textarea").last).to_have_value("")
                expect(asking).not_to_contain_text("budget is tight")
                assert page_width(buyer) <= width
                _shot(buyer, tmp_path, f"session-notes-{width}")
                buyer.context.close()
                consultant.context.close()
            browser.close()
