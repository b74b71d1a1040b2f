"""Every storefront and buyer page fits a 390 px wide phone (Debian's Chromium, headless,
against a real server): nothing pushes the page sideways (document scrollWidth <= 390), and
the header keeps Cart and Sign in (or the account menu) on screen. A buyer with a paid
software order walks home, search, product, cart, orders, order and licences pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect, sync_playwright

from core.catalog.models import Product
from modules.licensing.models import License
from modules.licensing.tests.helpers import make_software
from tenants.schemas_sql import use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import PASSWORD, make_user, sign_in
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    LiveServer,
    _delete_marketplace,
    _running_server,
    page_width,
)
from tests.catalog_helpers import make_seller
from tests.commerce_helpers import add, checkout
from tests.fleet_helpers import TEST_POOL_SIZE

PHONE = {"width": 390, "height": 844}
SLUG = "sf-mobile"
BUYER = "buyer@sf-mobile.example"


@dataclass(frozen=True)
class MobileShop:
    host: str
    product: Product
    order_id: int
    license_id: int


@pytest.fixture
def mobile_shop(django_db_setup: None, django_db_blocker: Any) -> Iterator[MobileShop]:
    """A committed marketplace running licensing, whose buyer has bought a licence with a
    long name (the kind that pushes a table wide)."""
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        try:
            tenant = provision_tenant(
                slug=SLUG,
                name="Pocket Software Emporium",
                owner_email=f"owner@{SLUG}.example",
                owner_password=None,
                modules=["licensing"],
            ).tenant
            use_public_schema()
            seller = make_seller(tenant, "pocket-works", "Pocket Works International Ltd")
            product, _ = make_software(
                tenant,
                seller,
                "Extraordinarily Comprehensive Developer Productivity Suite",
                price=4900,
                max_activations=3,
            )
            make_user(tenant, BUYER, full_name="Bea Buyer")
            client = Client(HTTP_HOST=f"{SLUG}.{settings.PLATFORM_DOMAIN}")
            assert sign_in(client, BUYER).status_code == 200
            assert add(client, product).status_code == 200
            placed = checkout(client)
            assert placed.status_code == 201, placed.content
            order_id = placed.json()["id"]
            with schema_context(tenant.schema_name):
                license_id = License.objects.get(order_line__order_id=order_id).pk
            use_public_schema()
            yield MobileShop(
                host=f"{SLUG}.{settings.PLATFORM_DOMAIN}",
                product=product,
                order_id=order_id,
                license_id=license_id,
            )
        finally:
            _delete_marketplace(SLUG)
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


@pytest.fixture
def mobile_server(
    mobile_shop: MobileShop, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    with _running_server(mobile_shop.host, tmp_path, request) as server:
        yield server


def overflow_of(page: Page) -> int:
    return page_width(page)


def assert_fits(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert overflow_of(page) <= PHONE["width"], f"{url} is {overflow_of(page)} px wide"


def assert_on_screen(page: Page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (selector, box)


def test_storefront_and_buyer_pages_fit_a_phone(chromium_executable, mobile_shop, mobile_server):
    url = lambda path: mobile_server.url(mobile_shop.host, path)  # noqa: E731
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport=PHONE)
            # A guest: Cart, Sign in and Sign up are all on screen.
            for path in ("/", "/search/?q=suite", f"/p/{mobile_shop.product.slug}/", "/cart/"):
                assert_fits(page, url(path))
            for selector in (".cart-link", ".sign-in", ".sign-up"):
                assert_on_screen(page, selector)

            page.goto(url("/accounts/login/?next=/cart/"))
            page.locator("#id_username").fill(BUYER)
            page.locator("#id_password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(url("/cart/"))

            for path in (
                "/",
                "/search/?q=suite",
                f"/p/{mobile_shop.product.slug}/",
                "/cart/",
                "/account/orders/",
                f"/account/orders/{mobile_shop.order_id}/",
                "/licenses/",
                f"/licenses/{mobile_shop.license_id}/",
                "/s/pocket-works/",
                "/accounts/profile/",
            ):
                assert_fits(page, url(path))
                assert_on_screen(page, ".cart-link")
                assert_on_screen(page, ".account-menu > summary")

            # The account menu opens on screen and leads to the licences.
            page.goto(url(f"/account/orders/{mobile_shop.order_id}/"))
            page.locator(".account-menu > summary").click()
            assert_on_screen(page, ".account-panel")
            assert overflow_of(page) <= PHONE["width"]
            page.get_by_role("link", name="Licences").click()
            expect(page).to_have_url(url("/licenses/"))

            # A cart with a line (its table scrolls on its own), checkout and the review form.
            page.goto(url(f"/p/{mobile_shop.product.slug}/"))
            page.get_by_role("button", name="Add to cart").click()
            page.wait_for_load_state()
            for path in ("/cart/", "/checkout/"):
                assert_fits(page, url(path))
            page.goto(url(f"/account/orders/{mobile_shop.order_id}/"))
            page.locator("a.review-this").first.click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("Review")
            assert overflow_of(page) <= PHONE["width"]

            # The order's licence key is hidden until asked for, and fits once shown.
            page.goto(url(f"/account/orders/{mobile_shop.order_id}/"))
            key = page.locator("[data-secret]").first
            expect(key).not_to_be_visible()
            page.locator(".secret-reveal summary").first.click()
            expect(key).to_be_visible()
            assert overflow_of(page) <= PHONE["width"]
        finally:
            browser.close()
