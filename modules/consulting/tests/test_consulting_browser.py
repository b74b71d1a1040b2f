"""The consulting pages in Debian's Chromium, at desktop and phone widths: a buyer in New
York sees the session they hold in their own zone, and the consultant (Berlin) sees it on
their studio calendar in theirs; neither page scrolls sideways at 390 px. Screenshots go to
the test's temporary folder (and to ``$SOUK_SCREENSHOT_DIR`` when set)."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect, sync_playwright

from core.accounts.models import User
from modules.consulting.services.booking import hold_slot
from modules.consulting.tests.helpers import free, make_consulting
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    _running_server,
    chromium_executable,
    marketplace_with_operator,
    page_width,
)


def _sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _shot(page: Page, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    target = os.environ.get("SOUK_SCREENSHOT_DIR")
    if target:
        shutil.copy(path, Path(target) / path.name)


def test_buyer_and_consultant_see_the_session_in_their_own_zones(
    django_db_setup: None,
    django_db_blocker: Any,
    chromium_executable: str,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug="consult-corner-browser",
            name="Consult Corner",
            operator_email="op@consult.example",
            modules=["consulting"],
        ) as market,
    ):
        c = make_consulting(market.tenant)
        day = (timezone.now() + timedelta(days=3)).date()
        while day.weekday() > 4:
            day += timedelta(days=1)
        slot = free(market.tenant, c.session_type, day)[0]
        with schema_context(market.tenant.schema_name):
            hold_slot(
                buyer=c.buyer,
                session_type_id=c.session_type.pk,
                starts_at=slot.starts_at,
                buyer_zone="America/New_York",
            )
            consultant_email = User.objects.get(pk=c.seller.owner_id).email
        use_public_schema()
        new_york = slot.starts_at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")
        berlin = slot.starts_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M")
        with (
            _running_server(market.host, tmp_path, request) as server,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(
                executable_path=chromium_executable, args=CHROMIUM_ARGS
            )
            for width in (1280, 390):
                context = browser.new_context(viewport={"width": width, "height": 800})
                page = context.new_page()
                _sign_in(
                    page,
                    server.url(market.host, "/accounts/login/?next=/consulting/mine/"),
                    c.buyer.email,
                )
                row = page.locator(".consult-row")
                expect(row).to_have_count(1)
                expect(row).to_contain_text("Strategy call")
                expect(row).to_contain_text(f"{new_york}")
                expect(row).to_contain_text("America/New_York")
                assert page_width(page) <= width
                _shot(page, tmp_path, f"consulting-mine-{width}")
                context.close()

                context = browser.new_context(viewport={"width": width, "height": 800})
                page = context.new_page()
                _sign_in(
                    page,
                    server.url(market.host, "/accounts/login/?next=/studio/consulting/"),
                    consultant_email,
                )
                row = page.locator(".consult-row")
                expect(row).to_have_count(1)
                expect(row).to_contain_text(berlin)
                expect(page.locator(".consult-zone")).to_contain_text("Europe/Berlin")
                assert page_width(page) <= width
                _shot(page, tmp_path, f"consulting-studio-{width}")
                context.close()
            browser.close()
