"""Buying in a real browser (Debian's Chromium, headless) against a real server process: a
visitor fills a cart from two sellers' product pages (htmx add-to-cart), signs in at checkout,
pays with the sandbox's success card and sees the order with a sub-order per seller; then each
seller signs in and finds their part of it in the studio (/studio/orders/), and only their part."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

from core.catalog.models import Product
from core.commerce.models import Order, OrderStatus
from core.payments.providers.sandbox import SUCCESS_CARD
from core.sellers.models import Seller
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import CHROMIUM_ARGS, Marketplace
from tests.catalog_helpers import make_product, make_seller

BUYER = "shopper@browser.example"
BANNER = "TEST MODE — no real money moves"


@dataclass(frozen=True)
class TwoSellers:
    acme: Seller
    bolt: Seller
    editor: Product  # Acme's, 20.00 USD
    scanner: Product  # Bolt's, 15.00 USD


@pytest.fixture
def two_sellers(committed_marketplace: Marketplace, django_db_blocker: Any) -> Iterator[TwoSellers]:
    """Two verified sellers with a product each and a buyer, committed in the browser
    marketplace (removed with its schema by ``committed_marketplace``)."""
    tenant = committed_marketplace.tenant
    with django_db_blocker.unblock():
        acme = make_seller(tenant, "acme", "Acme Tools")
        bolt = make_seller(tenant, "bolt", "Bolt Software")
        editor = make_product(tenant, acme, "Swift Editor", price=2000)
        scanner = make_product(tenant, bolt, "Secure Scanner", price=1500)
        make_user(tenant, BUYER, full_name="Sam Shopper")
        use_public_schema()
    yield TwoSellers(acme=acme, bolt=bolt, editor=editor, scanner=scanner)


def sign_in(page: Page, email: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    header = page.locator(".site-header")
    header.locator("details.account-menu > summary").click()  # Sign out is in the account menu
    header.get_by_role("button", name="Sign out").click()
    expect(page.locator(".site-header")).to_contain_text("Sign in")


def test_buyer_pays_a_two_seller_cart_and_each_seller_sees_their_part(
    chromium_executable,
    committed_marketplace,
    two_sellers,
    live_server_process,
    django_db_blocker,
):
    market, server, shop = committed_marketplace, live_server_process, two_sellers
    url = lambda path: server.url(market.host, path)  # noqa: E731
    csp_violations: list[str] = []
    page_errors: list[str] = []
    timings: dict[str, float] = {}
    started = time.perf_counter()

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
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        timings["browser launch"] = time.perf_counter() - started

        # A visitor adds both sellers' products from their pages; htmx answers in place.
        mark = time.perf_counter()
        page.goto(url(f"/p/{shop.editor.slug}/"))
        expect(page.get_by_role("note")).to_have_text(BANNER)
        expect(page.locator("body")).to_have_class("theme-bazaar")
        page.get_by_label("Quantity").fill("2")
        page.get_by_role("button", name="Add to cart").click()
        expect(page.locator("#add-to-cart .added")).to_contain_text(
            "Added Swift Editor to your cart (1 item)"
        )
        expect(page).to_have_url(url(f"/p/{shop.editor.slug}/"))  # no page load
        page.goto(url(f"/p/{shop.scanner.slug}/"))
        page.get_by_role("button", name="Add to cart").click()
        expect(page.locator("#add-to-cart .added")).to_contain_text("(2 items)")
        page.locator("#add-to-cart").get_by_role("link", name="View cart").click()
        expect(page).to_have_url(url("/cart/"))
        rows = page.locator(".cart-lines tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.filter(has_text="Swift Editor")).to_contain_text("Acme Tools")
        expect(rows.filter(has_text="Secure Scanner")).to_contain_text("Bolt Software")
        expect(page.locator("[data-total]")).to_have_text("55.00 USD")
        timings["fill the cart"] = time.perf_counter() - mark

        # Checkout asks them to sign in; their cart comes along.
        mark = time.perf_counter()
        page.get_by_role("link", name="Checkout").click()
        expect(page).to_have_url(url("/accounts/login/?next=/checkout/"))
        sign_in(page, BUYER)
        expect(page).to_have_url(url("/checkout/"))
        expect(page.get_by_label("Name on the invoice")).to_have_value("Sam Shopper")
        expect(page.locator("#summary .summary-lines li")).to_have_count(2)
        expect(page.locator(".test-cards")).to_contain_text(SUCCESS_CARD)
        page.get_by_label("Billing country").fill("DE")
        page.get_by_label("Billing country").press("Tab")  # htmx prices the summary for DE
        expect(page.locator("#summary")).to_contain_text("Tax (DE)")
        page.get_by_label("Card number").fill(SUCCESS_CARD)
        page.get_by_role("button", name="Place order and pay").click()
        expect(page).to_have_url(re.compile(re.escape(url("/account/orders/")) + r"\d+/$"))
        order_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Order {order_id}")
        expect(page.get_by_role("status")).to_contain_text(f"Thank you: order {order_id} is paid.")
        parts = page.locator(".sub-order")
        expect(parts).to_have_count(2)
        expect(parts.filter(has_text="Acme Tools")).to_contain_text("Swift Editor")
        expect(parts.filter(has_text="Bolt Software")).to_contain_text("Secure Scanner")
        expect(page.locator("[data-total]")).to_have_text("55.00 USD")
        expect(page.get_by_role("link", name=re.compile(r"\(PDF\)$"))).to_have_count(1)
        sign_out(page)
        timings["checkout"] = time.perf_counter() - mark

        # Each seller signs in and finds their part of the order, not the other seller's.
        mark = time.perf_counter()
        for seller, mine, theirs in (
            (shop.acme, "Swift Editor", "Secure Scanner"),
            (shop.bolt, "Secure Scanner", "Swift Editor"),
        ):
            # A completed order needs nothing from them: it is under "All orders".
            page.goto(url("/accounts/login/?next=/studio/orders/%3Fview%3Dall"))
            sign_in(page, seller.owner.email)
            expect(page).to_have_url(url("/studio/orders/?view=all"))
            expect(page.get_by_role("heading", level=1)).to_have_text("Orders")
            row = page.locator("tr[data-sub-order]")
            expect(row).to_have_count(1)
            expect(row).to_contain_text("Sam Shopper")
            row.get_by_role("link", name=f"#{order_id}").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text(f"Order #{order_id}")
            expect(page.locator("main")).to_contain_text(mine)
            expect(page.locator("main")).not_to_contain_text(theirs)
            sign_out(page)
        timings["sellers"] = time.perf_counter() - mark
        browser.close()

    assert csp_violations == []
    assert page_errors == []
    with django_db_blocker.unblock(), schema_context(market.tenant.schema_name):
        order = Order.objects.get()
        assert order.pk == order_id and order.buyer.email == BUYER
        assert order.status != OrderStatus.PENDING_PAYMENT and order.paid_at is not None
        assert sorted(order.sub_orders.values_list("seller__slug", "total")) == [
            ("acme", 4000),
            ("bolt", 1500),
        ]
    use_public_schema()
    timings["total"] = time.perf_counter() - started
    print("\n" + "\n".join(f"{phase:>16}: {seconds:6.2f} s" for phase, seconds in timings.items()))
