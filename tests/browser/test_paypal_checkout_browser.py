"""Paying with PayPal in a real browser (Debian's Chromium, headless, at a phone's 390 px)
against a real server process and the local server playing PayPal (tests/paypal_server.py,
whose approval page stands in for PayPal's): the buyer chooses PayPal at checkout, approves at
"PayPal" and comes back to a paid and fulfilled order with the books balanced; or turns back
at PayPal and finds the order cancelled, the stock given back and the cart as it was.

Souk gives PayPal ``https://<marketplace domain>/checkout/paypal/...`` to send the buyer back
to, as production serves it behind TLS on port 443. The test's server speaks plain HTTP on a
free port, so the browser context answers requests to the ``https://`` origin with a redirect
to that port, as the TLS front would pass them on; the path and PayPal's query string go
through untouched, and the test checks both."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Route, expect, sync_playwright

from core.catalog.models import Product
from core.commerce.models import Inventory, Order, OrderStatus, Payment, PaymentStatus
from core.payments import ledger
from core.payments.models import EntryKind, JournalEntry
from core.payments.providers.paypal_settings import save_paypal_settings
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    LiveServer,
    Marketplace,
    _running_server,
    page_width,
    wait_until,
)
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import account_balance, ledger_totals
from tests.paypal_server import PayPalServer

PHONE = {"width": 390, "height": 844}
BUYER = "payer@browser.example"
STOCK = 3


@dataclass(frozen=True)
class PayPalShop:
    product: Product  # 20.00 USD, STOCK units


@pytest.fixture
def paypal_api() -> Iterator[PayPalServer]:
    server = PayPalServer()
    yield server
    server.close()


@pytest.fixture
def paypal_shop(
    committed_marketplace: Marketplace, paypal_api: PayPalServer, django_db_blocker: Any
) -> PayPalShop:
    """A seller's product in limited stock, a buyer, and PayPal turned on with the local
    server's app (committed; removed with the marketplace's schema)."""
    tenant = committed_marketplace.tenant
    client_id, secret = paypal_api.add_app()
    with django_db_blocker.unblock():
        seller = make_seller(tenant, "acme", "Acme Tools")
        product = make_product(tenant, seller, "Swift Editor", price=2000)
        make_user(tenant, BUYER, full_name="Pat Payer")
        with schema_context(tenant.schema_name):
            Inventory.objects.create(product=product, available=STOCK)
            save_paypal_settings(
                is_enabled=True,
                is_live=False,
                client_id=client_id,
                client_secret=secret,
                webhook_id="WHBROWSERCHECKOUT",
            )
        use_public_schema()
    return PayPalShop(product=product)


@pytest.fixture
def paypal_server_process(
    committed_marketplace: Marketplace,
    paypal_shop: PayPalShop,
    paypal_api: PayPalServer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[LiveServer]:
    """The marketplace's server, calling the local PayPal server for every PayPal request."""
    with _running_server(
        committed_marketplace.host,
        tmp_path,
        request,
        extra_env={"PAYPAL_API_BASE": paypal_api.url},
    ) as server:
        yield server


def tls_front(context: BrowserContext, host: str, server: LiveServer) -> list[str]:
    """Requests to ``https://<host>/...`` redirected to the test server's port (see the module
    docstring); answers the URLs passed on."""
    passed: list[str] = []

    def redirect(route: Route) -> None:
        passed.append(route.request.url)
        target = route.request.url.replace(f"https://{host}/", server.url(host, "/"), 1)
        route.fulfill(status=302, headers={"Location": target})

    context.route(f"https://{host}/**", redirect)
    return passed


def to_paypal(page: Page, url: Any, shop: PayPalShop, paypal: PayPalServer) -> tuple[str, str]:
    """The buyer signs in, adds the product to the cart, chooses PayPal at checkout and lands
    on PayPal's approval page; answers PayPal's order id and the total checkout showed."""
    page.goto(url("/accounts/login/?next=" + f"/p/{shop.product.slug}/"))
    page.get_by_label("E-mail address").fill(BUYER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(url(f"/p/{shop.product.slug}/"))
    wait_until(page, "window.htmx !== undefined", what="htmx loaded")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#add-to-cart .added")).to_contain_text("Added Swift Editor")

    page.goto(url("/checkout/"))
    page.get_by_label("Billing country").fill("DE")
    page.get_by_label("Billing country").press("Tab")  # htmx prices the summary for DE
    expect(page.locator("#summary")).to_contain_text("Tax (DE)")
    choice = page.get_by_role("group", name="Pay with")
    expect(choice.get_by_role("radio", name="Card (test mode)")).to_be_checked()
    expect(page.get_by_label("Card number")).to_be_visible()
    choice.get_by_role("radio", name="PayPal").check()
    expect(page.get_by_label("Card number")).to_be_hidden()  # nothing to type for PayPal
    assert page_width(page) <= PHONE["width"]
    total = page.locator("#summary [data-total]").inner_text().strip()
    page.get_by_role("button", name="Place order and pay").click()

    expect(page).to_have_url(re.compile(re.escape(f"{paypal.url}/checkoutnow?token=") + r"\w+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pay ")
    expect(page.locator("[data-amount]")).to_have_text(total)
    return page.url.rsplit("token=", 1)[1], total


def launch(playwright: Any, chromium: str, host: str, server: LiveServer) -> Any:
    browser = playwright.chromium.launch(
        executable_path=chromium, headless=True, args=CHROMIUM_ARGS
    )
    context = browser.new_context(viewport=PHONE)
    return browser, context, tls_front(context, host, server)


def test_a_buyer_pays_with_paypal_and_comes_back_to_a_paid_fulfilled_order(
    chromium_executable,
    committed_marketplace,
    paypal_shop,
    paypal_api,
    paypal_server_process,
    django_db_blocker,
):
    market, server = committed_marketplace, paypal_server_process
    url = lambda path: server.url(market.host, path)  # noqa: E731
    csp_violations: list[str] = []

    with sync_playwright() as playwright:
        browser, context, passed = launch(playwright, chromium_executable, market.host, server)
        page = context.new_page()
        page.set_default_timeout(15_000)

        def watch(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                csp_violations.append(message.text)

        page.on("console", watch)
        token, total = to_paypal(page, url, paypal_shop, paypal_api)
        page.get_by_role("button", name="Pay now").click()

        expect(page).to_have_url(re.compile(re.escape(url("/account/orders/")) + r"\d+/$"))
        order_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        expect(page.get_by_role("status")).to_contain_text(f"Thank you: order {order_id} is paid.")
        expect(page.locator(".order-status")).to_have_text("Completed")
        expect(page.locator("[data-total]")).to_have_text(total)
        expect(page.locator(".payment-status")).to_contain_text("Succeeded")
        assert page_width(page) <= PHONE["width"]
        browser.close()

    # The way back is the one Souk gave PayPal, with PayPal's query string on it.
    assert passed == [
        f"https://{market.host}/checkout/paypal/return/?token={token}&PayerID=BUYERPAYER1"
    ]
    assert csp_violations == []
    assert paypal_api.calls_to("/capture") == 1
    tenant = market.tenant
    with django_db_blocker.unblock():
        with schema_context(tenant.schema_name):
            order = Order.objects.get()
            payment = Payment.objects.get(order=order)
            assert order.pk == order_id and order.buyer.email == BUYER
            assert order.status == OrderStatus.COMPLETED and order.paid_at is not None
            assert (payment.provider, payment.reference, payment.status) == (
                "paypal",
                token,
                PaymentStatus.SUCCEEDED,
            )
            assert JournalEntry.objects.filter(kind=EntryKind.CAPTURE).count() == 1
            assert Inventory.objects.get(product=paypal_shop.product).available == STOCK - 1
            captured = paypal_api.capture_of(token)["amount"]
            assert f"{captured['value']} {captured['currency_code']}" == total
        assert account_balance(tenant, ledger.PROVIDER_CASH) == order.total
        assert ledger_totals(tenant) == {"USD": 0}
        use_public_schema()


def test_a_buyer_who_turns_back_at_paypal_finds_the_order_cancelled_and_the_cart_kept(
    chromium_executable,
    committed_marketplace,
    paypal_shop,
    paypal_api,
    paypal_server_process,
    django_db_blocker,
):
    market, server = committed_marketplace, paypal_server_process
    url = lambda path: server.url(market.host, path)  # noqa: E731

    with sync_playwright() as playwright:
        browser, context, passed = launch(playwright, chromium_executable, market.host, server)
        page = context.new_page()
        page.set_default_timeout(15_000)
        token, _ = to_paypal(page, url, paypal_shop, paypal_api)
        page.get_by_role("button", name="Cancel and return").click()

        expect(page).to_have_url(url("/checkout/"))
        expect(page.get_by_role("status")).to_have_text(
            "You cancelled at PayPal; your cart is as you left it."
        )
        expect(page.locator("#summary .summary-lines li")).to_contain_text("Swift Editor")
        expect(page.get_by_role("button", name="Place order and pay")).to_be_visible()
        assert page_width(page) <= PHONE["width"]
        browser.close()

    assert passed == [f"https://{market.host}/checkout/paypal/cancel/?token={token}"]
    assert paypal_api.calls_to("/capture") == 0
    tenant = market.tenant
    with django_db_blocker.unblock():
        with schema_context(tenant.schema_name):
            order = Order.objects.get()
            assert order.status == OrderStatus.CANCELLED and order.paid_at is None
            assert Payment.objects.get(order=order).status == PaymentStatus.FAILED
            assert Inventory.objects.get(product=paypal_shop.product).available == STOCK
            assert JournalEntry.objects.count() == 0
        assert ledger_totals(tenant) == {}
        use_public_schema()
