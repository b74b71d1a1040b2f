"""The gig package chooser in Chromium against a real server process: at 1280 px the three
packages stand side by side, choosing premium and an extra updates the total, "Continue"
sends a signed-out buyer to sign in and back to the same choice, and on to checkout with
the right total; at 390 px the packages stack and nothing scrolls sideways. Screenshots go
to ``$SOUK_SHOTS`` (default: the test's tmp_path)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect, sync_playwright

from modules.gigs.models import GigExtra
from modules.gigs.tests.helpers import make_gig
from tenants.models import Tenant
from tenants.schemas_sql import use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    _delete_marketplace,
    _running_server,
    chromium_executable,
    page_width,
)
from tests.catalog_helpers import make_seller
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG = "gig-chooser-market"
HOST = f"{SLUG}.{settings.PLATFORM_DOMAIN}"
GIG_PAGE = "/p/logo-design/"


@pytest.fixture
def chooser_marketplace(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        tenant = provision_tenant(
            slug=SLUG,
            name="Chooser Market",
            owner_email=f"owner@{SLUG}.example",
            owner_password=None,
            modules=["gigs"],
            branding={"theme": "bazaar", "primary_colour": "#1b6f5c"},
        ).tenant
        use_public_schema()
        try:
            yield tenant
        finally:
            _delete_marketplace(SLUG)
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


def _fits(page: Page, width: int, shot: Path) -> None:
    assert page_width(page) <= width, (page.url, width)
    page.screenshot(path=str(shot), full_page=True)


def _tops(page: Page) -> list[float]:
    boxes = [page.locator(f'.gig-package[data-tier="{tier}"]').bounding_box() for tier in TIERS]
    assert all(boxes)
    return [box["y"] for box in boxes if box]


TIERS = ("basic", "standard", "premium")


def test_a_buyer_chooses_a_package_and_an_extra_and_reaches_checkout_in_chromium(
    chooser_marketplace: Tenant,
    chromium_executable: str,  # noqa: F811
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    tenant = chooser_marketplace
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        seller = make_seller(tenant, "studio", "Studio Nord", product_types=["gig"])
        gig = make_gig(tenant, seller, "Logo design")
        buyer = make_user(tenant, "buyer@chooser.example", full_name="Bea Buyer")
        with schema_context(tenant.schema_name):
            express = GigExtra.objects.get(product=gig, title="Express").pk
        use_public_schema()

    with _running_server(HOST, tmp_path, request) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url(HOST, GIG_PAGE))
        total = page.locator("[data-gig-total]")
        expect(total).to_have_text("100.00 USD")  # standard, chosen to start with
        tops = _tops(page)
        assert max(tops) - min(tops) < 2, tops  # side by side
        _fits(page, 1280, shots / "gig-chooser-1280.png")

        page.locator('.gig-package[data-tier="premium"]').click()
        expect(total).to_have_text("200.00 USD")
        page.get_by_label("Express").check()
        expect(total).to_have_text("225.00 USD")
        expect(page.locator("[data-gig-days]")).to_have_text("Delivery in 5 days")
        page.locator("details summary", has_text="Do you do print?").click()
        expect(page.get_by_text("Yes, CMYK too.")).to_be_visible()
        _fits(page, 1280, shots / "gig-chooser-premium-1280.png")

        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
        page.get_by_label("E-mail address").fill(buyer.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        # Back on the gig's page with the choice made before signing in.
        expect(page.locator('input[name="package"][value="premium"]')).to_be_checked()
        expect(page.locator(f'input[name="extra"][value="{express}"]')).to_be_checked()
        expect(total).to_have_text("225.00 USD")
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(server.url(HOST, "/checkout/"))
        expect(page.locator("main")).to_contain_text("225.00 USD")
        expect(page.locator("main")).to_contain_text("Logo design: Premium")
        _fits(page, 1280, shots / "gig-checkout-1280.png")

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        small = phone.new_page()
        small.on("pageerror", lambda error: errors.append(str(error)))
        small.goto(server.url(HOST, GIG_PAGE))
        expect(small.locator("[data-gig-total]")).to_have_text("100.00 USD")
        tops = _tops(small)
        assert tops == sorted(tops) and tops[1] - tops[0] > 40, tops  # stacked
        small.get_by_label("Social media kit").check()
        expect(small.locator("[data-gig-total]")).to_have_text("115.00 USD")
        _fits(small, 390, shots / "gig-chooser-390.png")
        small.locator(".gig-chooser").screenshot(path=str(shots / "gig-chooser-box-390.png"))
        browser.close()
        assert errors == []
