"""An operator handles automated moderation in Debian's Chromium, on a phone: adds a banned
word on the settings page, sees a buyer's review held with the check's reason and score on
the Moderation page (which fits 390 px, with the precision/recall chart's place), and overturns
the hold: the review is published."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect, sync_playwright

from core.reviews.models import Review, ReviewStatus
from core.reviews.services.writing import create_review
from core.reviews.tests.helpers import make_line
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    Marketplace,
    _running_server,
    marketplace_with_operator,
    operator_code,
    page_width,
)
from tests.catalog_helpers import make_product, make_seller

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def market(django_db_setup: None, django_db_blocker: Any) -> Iterator[Marketplace]:
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug="automod-market", name="Careful Market", operator_email="op@automod.example"
        ) as found,
    ):
        yield found


def _held_review(market: Marketplace, blocker: Any) -> int:
    """Written while Playwright runs an event loop in this thread, hence the flag."""
    with blocker.unblock(), mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}):
        seller = make_seller(market.tenant, "lamps", "Lamp Works")
        product = make_product(market.tenant, seller, "Brass Lamp")
        buyer = make_user(market.tenant, "bea@automod.example")
        line = make_line(market.tenant, buyer, product)
        with schema_context(market.tenant.schema_name):
            review = create_review(
                buyer=buyer, order_line_id=line.pk, rating=1, body="Total r1p-0ff, avoid"
            )
        use_public_schema()
        return review.pk


def test_an_operator_overturns_an_automated_hold_on_a_phone(
    chromium_executable, market, tmp_path, request, django_db_blocker
):
    errors: list[str] = []
    with (
        _running_server(market.host, tmp_path, request) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_context(viewport=PHONE).new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url(market.host, "/accounts/login/?next=/operator/moderation/automated/"))
        page.get_by_label("E-mail address").fill(market.operator.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Code from your authenticator app").fill(
            operator_code(market, django_db_blocker)
        )
        page.get_by_role("button", name="Verify and sign in").click()

        # The banned word goes on the settings page.
        expect(page.get_by_role("heading", level=1, name="Automated moderation")).to_be_visible()
        page.get_by_label("Banned words").fill("rip-off")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Automated moderation settings saved.")).to_be_visible()

        review_id = _held_review(market, django_db_blocker)
        page.goto(server.url(market.host, "/operator/moderation/"))
        hold = page.locator("#automated-holds .hold").first
        expect(hold).to_contain_text("Banned words: “rip-off”.")
        expect(hold).to_contain_text("Score 100 %")
        expect(page.locator("#chart-automod-quality")).to_contain_text("No operator decisions yet")
        assert page_width(page) <= PHONE["width"]

        hold.get_by_role("button", name="Overturn: publish").click()
        expect(page.get_by_text("Hold overturned: the item is live.")).to_be_visible()
        expect(page.locator("#automated-holds .hold")).to_have_count(0)
        browser.close()

    with django_db_blocker.unblock(), schema_context(market.tenant.schema_name):
        assert Review.objects.get(pk=review_id).status == ReviewStatus.PUBLISHED
    use_public_schema()
    assert errors == []
