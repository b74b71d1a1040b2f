"""Getting paid with PayPal on the studio's payouts page in a real browser (Debian's Chromium,
headless, at a phone's 390 px): the form posts with htmx, a bad address is told beside the
field, a good one swaps the account card in place to say where payouts go, and nothing pushes
the page sideways."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from core.payments.models import SellerPaymentAccount
from core.payments.providers.paypal_settings import save_paypal_settings
from core.sellers.models import Seller
from core.sellers.services import onboarding
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import CHROMIUM_ARGS, Marketplace, page_width, wait_until
from tests.catalog_helpers import make_seller

PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def paypal_seller(committed_marketplace: Marketplace, django_db_blocker: Any) -> Seller:
    """A verified seller on a marketplace whose operators turned PayPal on (committed)."""
    tenant = committed_marketplace.tenant
    with django_db_blocker.unblock():
        seller = make_seller(tenant, "payee", "Payee Goods")
        with schema_context(tenant.schema_name):
            save_paypal_settings(
                is_enabled=True,
                is_live=False,
                client_id="AppClientBrowser",
                client_secret="secret",
                webhook_id="WHBROWSER1",
            )
        use_public_schema()
    return seller


def _phone_signed_in(browser: Browser, url: Callable[[str], str], email: str, path: str) -> Page:
    """A phone-sized page signed in through the login form, at ``path``."""
    page = browser.new_context(viewport=PHONE).new_page()
    page.set_default_timeout(15_000)
    page.goto(url(f"/accounts/login/?next={path}"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(url(path))
    return page


def test_a_seller_sets_their_paypal_email_on_a_phone(
    chromium_executable,
    committed_marketplace,
    paypal_seller,
    live_server_process,
    django_db_blocker,
):
    url = lambda path: live_server_process.url(committed_marketplace.host, path)  # noqa: E731
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        page = _phone_signed_in(browser, url, paypal_seller.owner.email, "/studio/payouts/")
        wait_until(page, "window.htmx !== undefined", what="htmx loaded")

        field = page.get_by_label("Your PayPal e-mail address")
        field.fill("payee-at-paypal")
        page.get_by_role("button", name="Get paid with PayPal").click()
        expect(page.locator("#payout-account .errorlist")).to_contain_text("e-mail address")
        field = page.get_by_label("Your PayPal e-mail address")
        field.fill("payee@paypal.example")
        page.get_by_role("button", name="Get paid with PayPal").click()
        expect(page.locator("#payout-account [role=status]")).to_contain_text(
            "your payouts now go to payee@paypal.example through PayPal"
        )
        expect(page.locator("[data-paid-with=paypal]")).to_contain_text("payee@paypal.example")
        # The pay-out card was swapped too: it no longer asks for an account.
        expect(page.locator("#payout-actions")).not_to_contain_text("Connect a payout account")
        assert page.url == url("/studio/payouts/")  # swapped in place, no navigation
        assert page_width(page) <= PHONE["width"]
        browser.close()

    with django_db_blocker.unblock(), schema_context(committed_marketplace.tenant.schema_name):
        account = SellerPaymentAccount.objects.get(seller=paypal_seller)
        assert (account.provider, account.reference) == ("paypal", "payee@paypal.example")
    with django_db_blocker.unblock():
        use_public_schema()


def test_an_applicant_chooses_paypal_in_the_seller_wizard_on_a_phone(
    chromium_executable,
    committed_marketplace,
    paypal_seller,  # PayPal on for the marketplace
    live_server_process,
    django_db_blocker,
    tmp_path,
):
    tenant = committed_marketplace.tenant
    with django_db_blocker.unblock():
        user = make_user(tenant, "owl.applicant@example.com")
        with schema_context(tenant.schema_name):
            onboarding.start_onboarding(user=user, business_name="Paper Owl", legal_form="company")
        use_public_schema()
    url = lambda path: live_server_process.url(committed_marketplace.host, path)  # noqa: E731
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        page = _phone_signed_in(browser, url, user.email, "/seller/onboarding/")

        payouts = page.locator("#payouts")
        expect(payouts).to_contain_text("Or get paid with PayPal")
        payouts.get_by_label("Your PayPal e-mail address").fill("owl@paypal")  # a browser passes it
        payouts.get_by_role("button", name="Get paid with PayPal").click()
        expect(page.locator("#payouts .errorlist")).to_contain_text("PayPal account")
        assert page_width(page) <= PHONE["width"]
        page.locator("#payouts").screenshot(path=str(tmp_path / "wizard-paypal-error.png"))
        page.locator("#payouts").get_by_label("Your PayPal e-mail address").fill(
            "owl@paypal.example"
        )
        page.locator("#payouts").get_by_role("button", name="Get paid with PayPal").click()
        expect(page.locator("#payouts")).to_contain_text(
            "Payouts go to the PayPal account owl@paypal.example"
        )
        expect(page.locator("[role=status], .messages")).to_contain_text("paid with PayPal")
        assert page_width(page) <= PHONE["width"]
        page.screenshot(path=str(tmp_path / "wizard-paypal-done.png"), full_page=True)
        keep = os.environ.get("SOUK_SCREENSHOT_DIR")
        if keep:
            for shot in tmp_path.glob("wizard-paypal-*.png"):
                shutil.copy(shot, keep)
        browser.close()
