"""A seller's first product, end to end in Debian's Chromium against a real server process:
the seller creates a software product through the studio's wizard (details, a picture
uploaded with htmx, the licensing module's licence policy), previews and publishes it; the
operator approves it on the back-office moderation page; a buyer buys it with the sandbox's
card; the seller's dashboard shows the sale in the gross-sales figure and the revenue chart.

With ``SOUK_SCREENSHOTS=1`` the wizard's pictures step is saved as
``docs/screenshots/studio-product-wizard-{desktop,mobile}.png``."""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.models import F
from django_tenants.utils import schema_context
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect, sync_playwright

from core.catalog.models import Product, ProductStatus
from core.commerce.models import Order
from core.payments.providers.sandbox import SUCCESS_CARD
from core.sellers.models import Seller
from modules.licensing.models import Policy
from tenants.models import Tenant, TenantModule
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD, current_code, make_user
from tests.browser.conftest import CHROMIUM_ARGS, LiveServer, Marketplace, page_width, wait_until
from tests.catalog_helpers import make_seller

SELLER = "acme@example.com"
BUYER = "buyer@browser.example"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


@pytest.fixture
def first_seller(committed_marketplace: Marketplace, django_db_blocker: Any) -> Iterator[Seller]:
    """A verified seller granted software, licensing on, and a buyer (committed)."""
    tenant = committed_marketplace.tenant
    with django_db_blocker.unblock():
        TenantModule.objects.update_or_create(
            tenant=tenant, key="licensing", defaults={"is_enabled": True}
        )
        # A new revision of the tenant's modules, as the service makes: servers read it anew.
        Tenant.objects.filter(pk=tenant.pk).update(modules_revision=F("modules_revision") + 1)
        seller = make_seller(tenant, "acme", "Acme Tools", product_types=("software",))
        make_user(tenant, BUYER, full_name="Bea Buyer")
        use_public_schema()
    yield seller


def screenshot_png(tmp_path: Path) -> Path:
    """A product shot: a window with a title bar and some lines, 1600x1000."""
    image = Image.new("RGB", (1600, 1000), (236, 242, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 100, 1480, 900), fill=(255, 255, 255), outline=(27, 111, 92), width=6)
    draw.rectangle((120, 100, 1480, 180), fill=(27, 111, 92))
    for row in range(8):
        draw.rectangle(
            (200, 240 + row * 75, 200 + 900 - row * 70, 270 + row * 75), fill=(190, 205, 220)
        )
    draw.ellipse((1180, 300, 1400, 520), fill=(240, 160, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    path = tmp_path / "invoice-robot.png"
    path.write_bytes(out.getvalue())
    return path


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def new_page(browser: Browser, errors: list[str], **options: Any) -> Page:
    page = browser.new_context(**options).new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Script errors and CSP refusals (plain http makes Chromium warn about COOP; no favicon).
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return page


def keep(page: Page, tmp_path: Path, name: str, *, is_published: bool = True) -> None:
    target = tmp_path / name
    page.screenshot(path=str(target), full_page=True)
    if os.environ.get("SOUK_SCREENSHOTS_DEBUG"):
        shutil.copy(target, Path(os.environ["SOUK_SCREENSHOTS_DEBUG"]) / name)
    if is_published and os.environ.get("SOUK_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(target, SCREENSHOTS / name)


def test_a_seller_lists_a_licensed_product_the_operator_approves_it_and_a_buyer_buys_it(
    chromium_executable,
    committed_marketplace,
    first_seller,
    live_server_process,
    django_db_blocker,
    tmp_path,
):
    market: Marketplace = committed_marketplace
    server: LiveServer = live_server_process
    errors: list[str] = []

    def url(path: str) -> str:
        return server.url(market.host, path)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )

        # --- The seller: details, a picture, the licence policy, preview, publish.
        seller = new_page(browser, errors, viewport=DESKTOP)
        sign_in(seller, url("/accounts/login/?next=/studio/products/"), SELLER)
        expect(seller.get_by_role("heading", level=1, name="Products")).to_be_visible()
        expect(seller.locator(".empty-state")).to_contain_text("Create your first product")
        seller.locator(".empty-state").get_by_role("link", name="New product").click()
        expect(seller.get_by_role("heading", level=1, name="New product")).to_be_visible()
        seller.get_by_label("Name").fill("Invoice Robot")
        seller.get_by_label("Summary").fill("Turns the invoices in your inbox into bookkeeping.")
        seller.get_by_label("Description").fill("Reads your inbox.\nFiles every invoice.")
        seller.get_by_label("Price (USD)").fill("49.00")
        seller.get_by_label("Tags").fill("invoices, automation")
        seller.get_by_role("button", name="Save draft and add pictures").click()

        expect(seller.locator(".steps [aria-current=step]")).to_contain_text("Pictures")
        seller.get_by_label("Picture file").set_input_files(str(screenshot_png(tmp_path)))
        seller.get_by_label("Describe it (alt text)").fill("Invoice Robot's inbox view")
        seller.get_by_role("button", name="Upload").click()  # htmx swaps the panel
        item = seller.locator(".image-item")
        expect(item).to_have_count(1)
        expect(item.locator("img")).to_have_attribute("alt", "Invoice Robot's inbox view")
        expect(item.locator("img")).to_have_attribute("srcset", re.compile(r"w640 640w"))
        wait_until(
            seller,
            "document.querySelector('.image-item img').naturalWidth > 0",
            what="the picture to load",
        )
        keep(seller, tmp_path, "studio-product-wizard-desktop.png")
        seller.set_viewport_size(MOBILE)
        seller.reload()
        expect(seller.locator(".image-item")).to_have_count(1)
        wait_until(
            seller,
            "document.querySelector('.image-item img').naturalWidth > 0",
            what="the picture to load",
        )
        assert page_width(seller) <= MOBILE["width"]
        keep(seller, tmp_path, "studio-product-wizard-mobile.png")
        seller.set_viewport_size(DESKTOP)

        seller.get_by_role("link", name="Continue").click()
        expect(seller.locator(".steps [aria-current=step]")).to_contain_text("Licences")
        seller.get_by_label("Machines per licence").fill("3")
        seller.get_by_role("checkbox", name=re.compile("^Floating")).check()
        seller.get_by_label("Licence expires after (days)").fill("365")
        seller.get_by_label("Entitlements").fill("pro, export:pdf")
        keep(seller, tmp_path, "studio-product-wizard-licences.png", is_published=False)
        seller.get_by_role("button", name="Save and preview").click()

        expect(seller.get_by_role("heading", level=1, name="Preview")).to_be_visible()
        expect(seller.locator(".product-page h1")).to_have_text("Invoice Robot")
        expect(seller.locator(".gallery img")).to_have_attribute(
            "alt", "Invoice Robot's inbox view"
        )
        keep(seller, tmp_path, "studio-product-preview.png", is_published=False)
        seller.get_by_role("button", name="Publish").click()
        expect(seller.get_by_role("heading", level=1, name="Products")).to_be_visible()
        row = seller.locator(".products-list tbody tr", has_text="Invoice Robot")
        expect(row.locator(".product-status")).to_have_text("In review")
        keep(seller, tmp_path, "studio-products-list.png", is_published=False)
        seller.set_viewport_size(MOBILE)
        assert page_width(seller) <= MOBILE["width"]
        keep(seller, tmp_path, "studio-products-list-mobile.png", is_published=False)
        seller.set_viewport_size(DESKTOP)

        # --- The operator approves it on the moderation page.
        operator = new_page(browser, errors, viewport=DESKTOP)
        sign_in(operator, url("/accounts/login/?next=/operator/moderation/"), market.operator.email)
        operator.get_by_label("Code from your authenticator app").fill(
            current_code(market.operator_device)
        )
        operator.get_by_role("button", name="Verify and sign in").click()
        expect(operator.get_by_role("heading", level=1, name="Moderation")).to_be_visible()
        queued = operator.locator("tr", has_text="Invoice Robot")
        expect(queued).to_contain_text("Acme Tools")
        queued.get_by_role("button", name="Approve").click()
        expect(operator.locator("tr", has_text="Invoice Robot")).to_have_count(0)

        seller.reload()
        expect(row.locator(".product-status")).to_have_text("Published")

        # --- A buyer finds it, sees the picture, and buys it with the sandbox card.
        # (The database is read after the browser closes: Playwright's loop is running.)
        buyer = new_page(browser, errors, viewport=DESKTOP)
        buyer.goto(url("/p/invoice-robot/"))
        picture = buyer.locator(".gallery img").first
        expect(picture).to_have_attribute("alt", "Invoice Robot's inbox view")
        wait_until(
            buyer,
            "document.querySelector('.gallery img').naturalWidth > 0",
            what="the picture to load",
        )
        buyer.get_by_role("button", name="Add to cart").click()
        expect(buyer.locator("#add-to-cart .added")).to_contain_text("Added Invoice Robot")
        buyer.goto(url("/checkout/"))
        buyer.get_by_label("E-mail address").fill(BUYER)
        buyer.get_by_label("Password").fill(PASSWORD)
        buyer.get_by_role("button", name="Sign in").click()
        expect(buyer).to_have_url(url("/checkout/"))
        buyer.get_by_label("Billing country").fill("US")
        buyer.get_by_label("Card number").fill(SUCCESS_CARD)
        buyer.get_by_role("button", name="Place order and pay").click()
        expect(buyer).to_have_url(re.compile(re.escape(url("/account/orders/")) + r"\d+/$"))
        expect(buyer.get_by_role("status")).to_contain_text("is paid")

        # --- The seller's dashboard shows the sale: the figure and the revenue chart.
        seller.goto(url("/studio/"))
        expect(seller.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
        expect(seller.locator('[data-kpi="gross-sales"] .kpi-value')).to_have_text("49.00 USD")
        revenue = seller.locator("#chart-revenue")
        expect(revenue.locator("canvas")).to_be_visible()
        expect(revenue.locator(".chart-data")).to_contain_text("49.00")
        browser.close()

    assert errors == []
    with django_db_blocker.unblock(), schema_context(market.tenant.schema_name):
        product = Product.objects.get(slug="invoice-robot")
        assert product.status == ProductStatus.PUBLISHED
        assert product.images.get().alt == "Invoice Robot's inbox view"
        policy = Policy.objects.get(product=product)
        assert (policy.max_activations, policy.is_floating, policy.duration_days) == (3, True, 365)
        assert policy.entitlements == ["pro", "export:pdf"]
        order = Order.objects.get()
        assert order.buyer.email == BUYER and order.paid_at is not None
        assert list(order.lines.values_list("product_id", flat=True)) == [product.pk]
    use_public_schema()
