"""Opening a marketplace in a real browser (Debian's Chromium, headless) against a real server
process: the form's answer is a redirect to the new storefront's host, which Chromium follows
only if the form page's Content-Security-Policy names that host in form-action. The owner lands
signed in on an unopened storefront; sending the form again from the same browser lands on the
same marketplace; a visitor sees "not open yet" until the owner follows the mailed link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

from tenants.models import Tenant
from tenants.schemas_sql import use_public_schema
from tenants.services import fill_schema_pool
from tests.browser.conftest import CHROMIUM_ARGS, _delete_marketplace, link_in, wait_for_mail
from tests.fleet_helpers import TEST_POOL_SIZE
from tests.platform_helpers import wait_out_form_timer

SLUG = "browser-spice"
STOREFRONT = f"{SLUG}.{settings.PLATFORM_DOMAIN}"
OWNER = "founder@browser-spice.example"
PASSWORD = "cardamom and saffron"


@pytest.fixture
def no_browser_spice(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The marketplace the browser makes is removed (with its schema) before and after."""
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
    yield
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


def open_a_marketplace(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Marketplace name").fill("Browser Spice")
    page.get_by_label("Address").fill(SLUG)
    page.get_by_label("Your e-mail").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Theme").select_option("bazaar")
    wait_out_form_timer(page)
    page.get_by_role("button", name="Open my marketplace").click()


def test_opening_a_marketplace_lands_the_owner_on_it_and_the_mailed_link_opens_it(
    chromium_executable, no_browser_spice, platform_server, django_db_blocker
):
    server = platform_server
    platform = server.url(settings.PLATFORM_DOMAIN, "/")
    storefront = lambda path: server.url(STOREFRONT, path)  # noqa: E731
    csp_violations: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_context().new_page()
        page.set_default_timeout(15_000)

        def watch(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                csp_violations.append(message.text)

        page.on("console", watch)

        # The owner sends the form: the answer's redirect to the new host is followed to the
        # hand-off, which signs them in on their storefront.
        open_a_marketplace(page, platform)
        expect(page).to_have_url(storefront("/"))
        expect(page.locator(".site-header .who")).to_have_text(OWNER)
        expect(page.locator("body")).to_have_class("theme-bazaar")
        expect(page.locator(".unopened-banner")).to_contain_text(
            f"Only your team can see Browser Spice until you confirm {OWNER}"
        )

        # Signed out, they send the same form again (the first answer got lost, say): they
        # land signed in on the marketplace they made, not on "address taken".
        header = page.locator(".site-header")
        header.locator("details.account-menu > summary").click()  # Sign out is in the menu
        header.get_by_role("button", name="Sign out").click()
        expect(page.locator(".site-header")).to_contain_text("Sign in")
        open_a_marketplace(page, platform)
        expect(page).to_have_url(storefront("/"))
        expect(page.locator(".site-header .who")).to_have_text(OWNER)

        # A visitor finds it not open yet, and it is not to be indexed.
        visitor = browser.new_context().new_page()
        visitor.on("console", watch)
        closed = visitor.goto(storefront("/"))
        assert closed is not None and closed.status == 404
        assert closed.headers["x-robots-tag"] == "noindex, nofollow"
        expect(visitor.get_by_role("heading", level=1)).to_have_text(
            "Browser Spice is not open yet"
        )

        # The link mailed to the owner, on the marketplace's own host, opens it.
        body = wait_for_mail(server.mail_dir, to=OWNER, subject="Confirm your e-mail address")
        link = link_in(body, "/marketplace/verify/")
        assert link.startswith(storefront("/marketplace/verify/"))
        visitor.goto(link)
        visitor.get_by_role("button", name="Confirm and open my marketplace").click()
        expect(visitor.get_by_role("heading", level=1)).to_have_text("Browser Spice is open")
        opened = visitor.goto(storefront("/"))
        assert opened is not None and opened.status == 200
        expect(visitor.locator(".brand-name")).to_have_text("Browser Spice")
        expect(visitor.locator("body")).not_to_contain_text("not open yet")
        browser.close()

    assert csp_violations == []
    with django_db_blocker.unblock():
        [tenant] = Tenant.objects.filter(name="Browser Spice")
        assert tenant.slug == SLUG and tenant.owner_verified_at is not None
        assert re.fullmatch(r"t_browser_spice", tenant.schema_name)
