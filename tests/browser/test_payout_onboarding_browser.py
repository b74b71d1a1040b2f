"""The seller wizard's payout step in a real browser (Debian's Chromium, headless) with Stripe
as the payment provider: the form's answer is a redirect to Stripe Connect's onboarding page
(the local Connect stub plays Stripe), which Chromium follows only if the wizard page's
Content-Security-Policy names Stripe's origin in form-action."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import ConsoleMessage, expect, sync_playwright

from core.payments.models import SellerPaymentAccount
from core.sellers.models import Seller
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import CHROMIUM_ARGS, LiveServer, Marketplace, _running_server
from tests.stripe_fixtures import TEST_SECRET_KEY, TEST_WEBHOOK_SECRET, ConnectStub

pytest_plugins = ["tests.stripe_fixtures"]

SELLER = "maker@browser.example"


@pytest.fixture
def onboarding_seller(committed_marketplace: Marketplace, django_db_blocker: Any) -> Seller:
    """A buyer who started the seller wizard, committed (removed with the marketplace)."""
    tenant = committed_marketplace.tenant
    with django_db_blocker.unblock():
        user = make_user(tenant, SELLER, email_verified_at=timezone.now())
        with schema_context(tenant.schema_name):
            seller = Seller.objects.create(
                owner=user, slug="maker", business_name="Maker Studio", legal_form="company"
            )
        use_public_schema()
    return seller


@pytest.fixture
def stripe_server(
    committed_marketplace: Marketplace,
    connect_stub: ConnectStub,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[LiveServer]:
    """The marketplace's server with Stripe as its payment provider, Connect on the stub."""
    connect_stub.reset()
    stripe = {
        "SOUK_PAYMENT_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_WEBHOOK_SECRET": TEST_WEBHOOK_SECRET,
        "STRIPE_CONNECT_API_BASE": connect_stub.url,
    }
    with _running_server(committed_marketplace.host, tmp_path, request, stripe) as server:
        yield server


def test_the_payout_step_takes_the_seller_to_stripe_connect_onboarding(
    chromium_executable,
    committed_marketplace,
    onboarding_seller,
    connect_stub,
    stripe_server,
    django_db_blocker,
):
    url = lambda path: stripe_server.url(committed_marketplace.host, path)  # noqa: E731
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
        page.goto(url("/accounts/login/?next=/seller/onboarding/"))
        page.get_by_label("E-mail address").fill(SELLER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(url("/seller/onboarding/"))

        page.get_by_role("button", name="Set up payouts").click()

        onboarding = re.compile(re.escape(connect_stub.url) + r"/setup/e/(acct_\w+)/[\w-]+")
        expect(page).to_have_url(onboarding)
        expect(page.locator("body")).to_contain_text('"object": "onboarding_page"')
        match = onboarding.fullmatch(page.url)
        assert match is not None
        browser.close()

    assert csp_violations == []
    [link] = connect_stub.sent("POST", "/v1/account_links")
    assert link.params["account"] == match[1]
    assert link.params["return_url"] == url("/seller/onboarding/#payouts")
    with django_db_blocker.unblock(), schema_context(committed_marketplace.tenant.schema_name):
        account = SellerPaymentAccount.objects.get(seller=onboarding_seller)
        assert (account.provider, account.reference) == ("stripe", match[1])
        assert Seller.objects.get(pk=onboarding_seller.pk).payout_account_ref == match[1]
