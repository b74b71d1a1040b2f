"""A buyer buys an e-book in Chromium against a real server process and downloads their own
stamped copy: the seller publishes the PDF in the studio (the server makes its previews), the
buyer sees the pages on the product page, pays by card at checkout, finds the purchase in
their library (/digital/library/) and downloads it; the file read back with pypdf says
"Licensed to <name> <e-mail> order <n>" on every page, keeps its bookmarks, and is not the
seller's original. The product page and the library fit 1280 and 390 px; screenshots go to
``$SOUK_SHOTS`` (default: the test's tmp_path).

The server runs the test settings, where Celery is eager: the preview job runs when the
version's upload commits and the stamping job when the payment's fulfilment commits, both in
the server process, as a worker would run them."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from pypdf import PdfReader

from core.catalog.models import Product
from core.payments.providers.sandbox import SUCCESS_CARD
from modules.digital import demo
from modules.digital.models import DigitalFile, Download, Entitlement, StampedCopy, StampStatus
from modules.digital.services import products
from tenants.models import Tenant
from tenants.schemas_sql import use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    LiveServer,
    _delete_marketplace,
    _running_server,
    chromium_executable,
    page_width,
    wait_until,
)
from tests.catalog_helpers import make_product, make_seller
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG = "digital-buy-browser-market"
HOST = f"{SLUG}.{settings.PLATFORM_DOMAIN}"
SELLER_EMAIL = "quill@example.com"
BUYER_EMAIL = "amara@digital-buy.example"
BUYER_NAME = "Amara Okafor"


@pytest.fixture
def bookshop(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[Tenant, Product]]:
    """A committed bazaar-themed marketplace selling digital goods: a seller's e-book with
    its terms and an (empty) file, and a buyer; removed afterwards."""
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        tenant = provision_tenant(
            slug=SLUG,
            name="Byte Bazaar",
            owner_email=f"owner@{SLUG}.example",
            owner_password=None,
            modules=["digital"],
            branding={"theme": "bazaar", "primary_colour": "#7a1f5c"},
        ).tenant
        use_public_schema()
        try:
            seller = make_seller(tenant, "quill", "Quill Works", product_types=["digital"])
            product = make_product(
                tenant, seller, demo.PRICING.title, price=1900, product_type="digital"
            )
            make_user(tenant, BUYER_EMAIL, full_name=BUYER_NAME)
            with schema_context(tenant.schema_name):
                products.set_terms(
                    seller_id=seller.pk,
                    product_id=product.pk,
                    data=products.TermsData(
                        licence_text=demo.PERSONAL, download_limit=5, update_months=12
                    ),
                )
                products.add_file(
                    seller_id=seller.pk, product_id=product.pk, title="The e-book (PDF)"
                )
            use_public_schema()
            yield tenant, product
        finally:
            _delete_marketplace(SLUG)
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


class Watch:
    """Page errors and CSP violations of every page opened."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def page(self, browser: Browser, width: int, height: int) -> Page:
        page = browser.new_context(viewport={"width": width, "height": height}).new_page()
        page.set_default_timeout(15_000)

        def console(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                self.problems.append(message.text)

        page.on("console", console)
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        return page


def _sign_in(page: Page, email: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _shot(page: Page, width: int, path: Path) -> None:
    assert page_width(page) <= width, (page.url, width)
    page.screenshot(path=str(path), full_page=True)


def test_a_buyer_buys_an_e_book_and_downloads_their_stamped_copy(
    bookshop: tuple[Tenant, Product],
    chromium_executable: str,  # noqa: F811
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
) -> None:
    tenant, product = bookshop
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    original = demo.ebook_pdf(demo.PRICING)
    upload = tmp_path / "pricing-playbook.pdf"
    upload.write_bytes(original)
    with django_db_blocker.unblock(), schema_context(tenant.schema_name):
        book = DigitalFile.objects.get(product__product=product)
    use_public_schema()
    watch = Watch()

    with _running_server(HOST, tmp_path, request) as server, sync_playwright() as playwright:

        def url(path: str) -> str:
            return server.url(HOST, path)

        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )

        # The seller publishes the e-book in the studio; the server makes its previews.
        studio = watch.page(browser, 1280, 900)
        studio.goto(url(f"/accounts/login/?next=/studio/digital/products/{product.pk}/"))
        _sign_in(studio, SELLER_EMAIL)
        card = studio.locator(f"#dg-file-{book.pk}")
        card.get_by_label("New version").set_input_files(str(upload))
        card.get_by_label("What changed").fill("First edition")
        card.get_by_role("button", name="Publish version").click()
        expect(studio.locator(f"#dg-file-{book.pk} tr[data-version]")).to_have_count(1)
        studio.context.close()

        # The buyer sees the first pages on the product page and buys the e-book.
        page = watch.page(browser, 1280, 900)
        page.goto(url(f"/p/{product.slug}/"))
        gallery = page.locator(".dg-gallery img")
        expect(gallery).to_have_count(3)
        expect(page.locator(".dg-contents")).to_contain_text("The e-book (PDF)")
        expect(page.locator(".dg-licence")).to_contain_text("Licence: Personal use")
        page.wait_for_load_state("networkidle")
        for index in range(3):
            assert gallery.nth(index).evaluate("image => image.naturalWidth") == 900
        _shot(page, 1280, shots / "digital-product-1280.png")
        page.get_by_role("button", name="Add to cart").click()
        page.locator("#add-to-cart").get_by_role("link", name="View cart").click()
        page.get_by_role("link", name="Checkout").click()
        _sign_in(page, BUYER_EMAIL)
        expect(page).to_have_url(url("/checkout/"))
        page.get_by_label("Billing country").fill("DE")
        page.get_by_label("Billing country").press("Tab")
        expect(page.locator("#summary")).to_contain_text("Tax (DE)")
        page.get_by_label("Card number").fill(SUCCESS_CARD)
        page.get_by_role("button", name="Place order and pay").click()
        expect(page).to_have_url(re.compile(re.escape(url("/account/orders/")) + r"\d+/$"))
        order_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

        # The library lists the purchase; its page offers the stamped copy.
        page.goto(url("/digital/library/"))
        purchase = page.locator("li.dl-card")
        expect(purchase).to_have_count(1)
        expect(purchase).to_contain_text(demo.PRICING.title)
        expect(purchase).to_contain_text("by Quill Works")
        _shot(page, 1280, shots / "digital-library-1280.png")
        purchase.get_by_role("link", name="Open").click()
        version = page.locator(".dl-version").first
        expect(version).to_contain_text("Stamped with your name")  # the job ran
        expect(version.locator("[data-left]")).to_have_text("5 of 5 downloads left")
        _shot(page, 1280, shots / "digital-purchase-1280.png")
        with page.expect_download() as waiting:
            version.get_by_role("button", name="Download").click()
        download = waiting.value
        assert download.suggested_filename == "pricing-playbook.pdf"
        received = Path(download.path()).read_bytes()
        page.reload()
        expect(page.locator(".dl-version [data-left]").first).to_have_text("4 of 5 downloads left")

        # At 390 px: the product page, the library and the purchase fit the phone.
        phone = watch.page(browser, 390, 844)
        phone.goto(url("/accounts/login/?next=/digital/library/"))
        _sign_in(phone, BUYER_EMAIL)
        expect(phone.locator("li.dl-card")).to_have_count(1)
        _shot(phone, 390, shots / "digital-library-390.png")
        phone.locator("li.dl-card").get_by_role("link", name="Open").click()
        expect(phone.locator(".dl-version").first).to_contain_text("Stamped with your name")
        _shot(phone, 390, shots / "digital-purchase-390.png")
        phone.goto(url(f"/p/{product.slug}/"))
        expect(phone.locator(".dg-gallery img")).to_have_count(3)
        wait_until(  # the first page is loaded eagerly, the next as the strip nears them
            phone,
            "document.querySelector('.dg-gallery img').complete && "
            "document.querySelector('.dg-gallery img').naturalWidth === 900",
            what="the first preview page",
        )
        # Painted, not only fetched: the pages are decoded asynchronously (decoding="async").
        phone.evaluate(
            "Promise.all([...document.querySelectorAll('.dg-gallery img')]"
            ".filter(image => image.complete).map(image => image.decode()))"
        )
        _shot(phone, 390, shots / "digital-product-390.png")
        browser.close()

    assert watch.problems == []
    # The file is the buyer's own copy: their name, e-mail and order on every page, the
    # bookmarks kept, and not the seller's upload.
    assert received != original and received.startswith(b"%PDF")
    stamped = PdfReader(io.BytesIO(received))
    line = f"Licensed to {BUYER_NAME} <{BUYER_EMAIL}> order {order_id}"
    assert len(stamped.pages) == len(PdfReader(upload).pages) == 8
    for number, sheet in enumerate(stamped.pages, start=1):
        assert line in sheet.extract_text(), number
    titles = [item.title for item in stamped.outline if not isinstance(item, list)]
    assert titles[:2] == ["1. Know your floor", "2. Price the outcome, not the hour"]
    with django_db_blocker.unblock(), schema_context(tenant.schema_name):
        entitlement = Entitlement.objects.get(buyer__email=BUYER_EMAIL)
        assert entitlement.order_line.order_id == order_id
        copy = StampedCopy.objects.get(entitlement=entitlement)
        assert copy.status == StampStatus.READY
        logged = Download.objects.get(entitlement=entitlement)
        assert logged.user_agent.startswith("Mozilla/5.0") and logged.ip == "127.0.0.1"
    use_public_schema()
