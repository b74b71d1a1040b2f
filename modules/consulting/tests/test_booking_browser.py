"""Issue 17's browser test, in Debian's Chromium against a real server process: a buyer whose
browser is in New York (the consultant works in Berlin) opens the consultation's page and sees
the free slots in New York time, books one, pays at the checkout with the sandbox card, sees
the booking in their zone, downloads the invite (its DTSTART is the booked instant), moves the
session to another slot, and the consultant, signed in on the studio, sees the new time on
their calendar in Berlin time. The booking panel, "Your consultations" and the booking page
are photographed at 1280 and 390 px (to the test's folder and ``$SOUK_SCREENSHOT_DIR``) and
never scroll sideways."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, expect, sync_playwright

from core.accounts.models import User
from core.payments.providers.sandbox import SUCCESS_CARD
from modules.consulting.models import Booking, BookingStatus
from modules.consulting.tests.browser_helpers import shot as _shot
from modules.consulting.tests.browser_helpers import sign_in as _sign_in
from modules.consulting.tests.helpers import Consulting, free, make_consulting
from tenants.schemas_sql import use_public_schema
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    LiveServer,
    _running_server,
    chromium_executable,
    marketplace_with_operator,
    page_width,
    wait_until,
)

NEW_YORK = "America/New_York"
BERLIN = "Europe/Berlin"
# The calendar's week element (a stand-in while the page is still on its way).
WEEK = "document.querySelector('[data-consult-week]') || {dataset: {}}"
WEEK_IN_NEW_YORK = f"({WEEK}).dataset.zone === '{NEW_YORK}'"


def _weekday_from(start: date) -> date:
    while start.weekday() > 4:
        start += timedelta(days=1)
    return start


def _new_york(instant: datetime, pattern: str = "%H:%M") -> str:
    return instant.astimezone(ZoneInfo(NEW_YORK)).strftime(pattern)


def _show_day(page: Page, day: date) -> None:
    """Move the calendar on (htmx swaps the week) until ``day`` is in it."""
    week = page.locator("[data-consult-week]").first
    for _ in range(6):
        if week.locator(f'[data-day="{day.isoformat()}"]').count():
            return
        before = week.get_attribute("data-week")
        week.get_by_role("link", name="Later").click()
        wait_until(
            page,
            f"({WEEK}).dataset.week !== '{before}'",
            what="the next week",
        )
    raise AssertionError(f"{day} never showed")


def _pick(page: Page, instant: datetime) -> None:
    value = instant.astimezone(UTC).isoformat()  # the form posts the instant in UTC
    slot = page.locator(".consult-slot", has=page.locator(f'input[value="{value}"]'))
    expect(slot).to_have_text(_new_york(instant))
    slot.click()
    expect(page.locator(f'input[value="{value}"]')).to_be_checked()


def _pay_at_checkout(page: Page, server: LiveServer, host: str) -> None:
    expect(page).to_have_url(server.url(host, "/checkout/"))
    page.get_by_label("Billing country").fill("DE")
    page.get_by_label("Billing country").press("Tab")
    page.get_by_label("Card number").fill(SUCCESS_CARD)
    page.get_by_role("button", name="Place order and pay").click()
    expect(page.get_by_role("status")).to_contain_text("is paid")


def _screenshots(
    browser: Browser, server: LiveServer, host: str, c: Consulting, booking_id: int, folder: Path
) -> None:
    slug = c.session_type.product.slug
    for width in (1280, 390):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, timezone_id=NEW_YORK
        )
        page = context.new_page()
        _sign_in(page, server.url(host, f"/accounts/login/?next=/p/{slug}/"), c.buyer.email)
        wait_until(
            page,
            WEEK_IN_NEW_YORK,
            what="the week in the browser's zone",
        )
        _shot(page, folder, "consulting-product-panel", width)
        page.goto(server.url(host, "/consulting/mine/"))
        expect(page.locator(f'[data-booking="{booking_id}"]')).to_be_visible()
        _shot(page, folder, "consulting-mine", width)
        page.goto(server.url(host, f"/consulting/bookings/{booking_id}/"))
        expect(page.locator("[data-consult-when]")).to_be_visible()
        _shot(page, folder, "consulting-booking", width)
        context.close()


def test_a_buyer_in_new_york_books_pays_gets_the_invite_and_reschedules_in_chromium(
    django_db_setup: None,
    django_db_blocker: Any,
    chromium_executable: str,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Playwright's sync API runs an event loop; the database calls between pages are sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug="consult-booking-browser",
            name="Consult Corner",
            operator_email="op@consult.example",
            modules=["consulting"],
        ) as market,
    ):
        c = make_consulting(market.tenant)
        # Far enough ahead for the policy's 24-hour reschedule cut-off, on Ada's weekdays;
        # the slots are those of the buyer's New York calendar days.
        day = _weekday_from((timezone.now() + timedelta(days=3)).date())
        later_day = _weekday_from(day + timedelta(days=1))
        booked_at = free(market.tenant, c.session_type, day, NEW_YORK)[0].starts_at
        moved_to = free(market.tenant, c.session_type, later_day, NEW_YORK)[2].starts_at
        with schema_context(market.tenant.schema_name):
            consultant_email = User.objects.get(pk=c.seller.owner_id).email
        use_public_schema()
        host = market.host
        slug = c.session_type.product.slug
        errors: list[str] = []
        with (
            _running_server(host, tmp_path, request) as server,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=chromium_executable, args=CHROMIUM_ARGS
            )
            context = browser.new_context(
                viewport={"width": 1280, "height": 900},
                timezone_id=NEW_YORK,
                accept_downloads=True,
            )
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            _sign_in(page, server.url(host, f"/accounts/login/?next=/p/{slug}/"), c.buyer.email)

            # The calendar starts in the browser's zone, and says so in the address.
            wait_until(
                page,
                WEEK_IN_NEW_YORK,
                what="the week in the browser's zone",
            )
            expect(page.get_by_label("Times in")).to_have_value(NEW_YORK)
            assert "tz=America%2FNew_York" in page.url
            _show_day(page, day)
            _pick(page, booked_at)
            page.get_by_role("button", name="Book", exact=True).click()
            _pay_at_checkout(page, server, host)

            with django_db_blocker.unblock():
                with schema_context(market.tenant.schema_name):
                    booking = Booking.objects.get(buyer=c.buyer)
                use_public_schema()
            assert (booking.status, booking.buyer_zone) == (BookingStatus.BOOKED, NEW_YORK)
            assert booking.starts_at == booked_at

            # In their zone on "Your consultations" and on the booking page.
            page.goto(server.url(host, "/consulting/mine/"))
            row = page.locator(f'[data-booking="{booking.pk}"]')
            expect(row).to_contain_text(_new_york(booked_at, "%a %-d %b %Y, %H:%M"))
            expect(row).to_contain_text("Booked")
            row.get_by_role("link").click()
            when = page.locator("[data-consult-when]")
            expect(when).to_contain_text(_new_york(booked_at, "%A %-d %B %Y, %H:%M"))

            # The invite: an ICS whose DTSTART is the booked instant.
            with page.expect_download() as download:
                page.locator("[data-consult-invite]").click()
            invite = Path(download.value.path()).read_bytes()
            calendar = icalendar.Calendar.from_ical(invite)
            event = next(iter(calendar.walk("VEVENT")))
            assert event.decoded("DTSTART") == booked_at

            # Moved to another slot of the same session type, in New York time.
            _show_day(page, later_day)
            _pick(page, moved_to)
            page.get_by_role("button", name="Move here").click()
            expect(page.locator(".consult-done")).to_contain_text("Your session has moved.")
            expect(when).to_contain_text(_new_york(moved_to, "%A %-d %B %Y, %H:%M"))
            context.close()

            # The consultant, in Berlin, sees the new time on their calendar.
            studio = browser.new_context(
                viewport={"width": 1280, "height": 900}, timezone_id=BERLIN
            )
            calendar_page = studio.new_page()
            calendar_page.on("pageerror", lambda error: errors.append(str(error)))
            in_berlin = moved_to.astimezone(ZoneInfo(BERLIN))
            monday = (in_berlin.date() - timedelta(days=in_berlin.weekday())).isoformat()
            calendar_url = f"/studio/consulting/calendar/?week={monday}"
            _sign_in(
                calendar_page,
                server.url(host, f"/accounts/login/?next={quote(calendar_url)}"),
                consultant_email,
            )
            block = calendar_page.locator(f'[data-booking="{booking.pk}"]').first
            expect(block).to_contain_text(in_berlin.strftime("%H:%M"))
            studio.close()

            _screenshots(browser, server, host, c, booking.pk, tmp_path)
            browser.close()
        assert errors == []
        with schema_context(market.tenant.schema_name):
            moved = Booking.objects.get(pk=booking.pk)
        use_public_schema()
        assert (moved.starts_at, moved.sequence, moved.status) == (moved_to, 1, "booked")
