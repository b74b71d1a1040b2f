"""The digital studio in Chromium against a real server process, signed in as the seller: a
product's page with its terms, files and stats; a new version published over htmx (no page
load) with its changelog; a refused upload shown beside the field; the product list, the
product page and "Who leaked this?" fit a 390 px phone; the Previews section managed over
htmx at 1280 and 390 px. Screenshots go to ``$SOUK_SHOTS``
(default: the test's tmp_path)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from modules.digital.models import DigitalProduct
from modules.digital.services import versions
from modules.digital.tests.helpers import handbook_pdf
from tenants.models import Tenant
from tenants.schemas_sql import use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import PASSWORD
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

SLUG = "digital-studio-browser-market"
HOST = f"{SLUG}.{settings.PLATFORM_DOMAIN}"


@pytest.fixture
def studio_marketplace(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        tenant = provision_tenant(
            slug=SLUG,
            name="Byte Bazaar",
            owner_email=f"owner@{SLUG}.example",
            owner_password=None,
            modules=["digital"],
            branding={"theme": "bazaar", "primary_colour": "#4b2a8c"},
        ).tenant
        use_public_schema()
        try:
            yield tenant
        finally:
            _delete_marketplace(SLUG)
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


def _sign_in(context: BrowserContext, server: LiveServer, email: str, path: str) -> Page:
    page = context.new_page()
    page.goto(server.url(HOST, f"/accounts/login/?next={path}"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def _fits(page: Page, width: int, shot: Path) -> None:
    assert page_width(page) <= width, (page.url, width)
    page.screenshot(path=str(shot), full_page=True)


def test_a_seller_publishes_a_version_in_chromium(
    studio_marketplace: Tenant,
    chromium_executable: str,  # noqa: F811
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    tenant = studio_marketplace
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    first = handbook_pdf(2)
    with django_db_blocker.unblock():
        seller = make_seller(tenant, "inkwell", "Inkwell Press", product_types=["digital"])
        product = make_product(
            tenant, seller, "The Freelancer's Handbook", price=1900, product_type="digital"
        )
        with schema_context(tenant.schema_name):
            terms = DigitalProduct.objects.create(product=product, download_limit=5)
            handbook = versions.add_file(product=terms, title="The handbook (PDF)")
            versions.upload_version(
                file_id=handbook.pk,
                seller_id=seller.pk,
                name="handbook.pdf",
                stream=io.BytesIO(first),
                size=len(first),
                changelog="First edition",
            )
        use_public_schema()
    page_path = f"/studio/digital/products/{product.pk}/"
    upload = tmp_path / "handbook-2.pdf"
    upload.write_bytes(handbook_pdf(3))
    lying = tmp_path / "handbook-3.pdf"
    lying.write_bytes(b"MZ\x90\x00 not a pdf at all")

    with _running_server(HOST, tmp_path, request) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = _sign_in(context, server, "inkwell@example.com", page_path)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Freelancer")
        _fits(page, 1280, shots / "digital-product-1280.png")

        card = page.locator(f"#dg-file-{handbook.pk}")
        card.get_by_label("New version").set_input_files(str(lying))
        card.get_by_role("button", name="Publish version").click()
        expect(page.locator(f"#dg-upload-{handbook.pk}-error")).to_be_visible()
        card = page.locator(f"#dg-file-{handbook.pk}")
        card.get_by_label("New version").set_input_files(str(upload))
        card.get_by_label("What changed").fill("Chapter 3 added")
        card.get_by_role("button", name="Publish version").click()
        expect(page.locator(f"#dg-file-{handbook.pk} tr[data-version]")).to_have_count(2)
        expect(page.locator(f"#dg-file-{handbook.pk}")).to_contain_text("Chapter 3 added")
        _fits(page, 1280, shots / "digital-product-published-1280.png")
        assert errors == []

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        small = _sign_in(phone, server, "inkwell@example.com", page_path)
        expect(small.get_by_role("heading", level=1)).to_contain_text("Freelancer")
        _fits(small, 390, shots / "digital-product-390.png")
        small.goto(server.url(HOST, "/studio/digital/"))
        _fits(small, 390, shots / "digital-home-390.png")
        small.goto(server.url(HOST, "/studio/digital/leaks/"))
        _fits(small, 390, shots / "digital-leaks-390.png")
        browser.close()


def _photo(path: Path, width: int, height: int, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (width, height), colour).save(path, format="PNG")
    return path


def test_a_seller_manages_previews_in_chromium(
    studio_marketplace: Tenant,
    chromium_executable: str,  # noqa: F811
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    """The Previews section: a PDF's pages made on upload, a corrupt PDF's failure with its
    reason, the seller's own cover added (a lying file refused beside the field while the
    terms being typed stay), moved first and a page removed, all without a page load; the
    section fits 1280 px and a 390 px phone."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    tenant = studio_marketplace
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        seller = make_seller(tenant, "inkwell", "Inkwell Press", product_types=["digital"])
        product = make_product(
            tenant, seller, "The Freelancer's Handbook", price=1900, product_type="digital"
        )
        with schema_context(tenant.schema_name):
            terms = DigitalProduct.objects.create(product=product, download_limit=5)
            handbook = versions.add_file(product=terms, title="The handbook (PDF)")
            workbook = versions.add_file(product=terms, title="Workbook (PDF)")
        use_public_schema()
    page_path = f"/studio/digital/products/{product.pk}/"
    book = tmp_path / "handbook.pdf"
    book.write_bytes(handbook_pdf(3))
    corrupt = tmp_path / "workbook.pdf"
    corrupt.write_bytes(b"%PDF-1.7\n" + b"\x00 not really a pdf " * 50)
    lying = tmp_path / "cover.png"
    lying.write_bytes(b"MZ\x90\x00 a program, not a picture")
    cover = _photo(tmp_path / "real-cover.png", 600, 800, (75, 42, 140))

    with _running_server(HOST, tmp_path, request) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = _sign_in(context, server, "inkwell@example.com", page_path)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())
        section = page.locator("#dg-previews")
        expect(section).to_contain_text("No previews yet")
        page.wait_for_load_state("load")
        page.evaluate("window.dgSamePage = true")  # gone if anything reloads the page

        # Versions published over htmx: the section reloads itself with their previews.
        for file_id, upload in ((handbook.pk, book), (workbook.pk, corrupt)):
            card = page.locator(f"#dg-file-{file_id}")
            card.get_by_label("New version").set_input_files(str(upload))
            card.get_by_role("button", name="Publish version").click()
            expect(page.locator(f"#dg-file-{file_id} tr[data-version]")).to_have_count(1)
        expect(section.locator("[data-preview]")).to_have_count(3)
        expect(section.locator(f'[data-preview-status="{handbook.pk}"]')).to_have_attribute(
            "data-status", "ready"
        )
        failed = section.locator(f'[data-preview-status="{workbook.pk}"]')
        expect(failed).to_have_attribute("data-status", "failed")
        expect(failed).to_contain_text("The PDF could not be read")
        expect(failed).to_contain_text("upload it again as a new version")

        # A lying file is refused beside the field; the terms being typed stay.
        page.get_by_label("Licence text (shown at checkout)").fill("Client work allowed")
        section.get_by_label("A picture, an audio or a video clip").set_input_files(str(lying))
        section.get_by_role("button", name="Add preview").click()
        expect(page.locator("#dg-add-preview-error")).to_contain_text("cover.png")
        expect(page.get_by_label("Licence text (shown at checkout)")).to_have_value(
            "Client work allowed"
        )
        section.get_by_label("A picture, an audio or a video clip").set_input_files(str(cover))
        section.get_by_role("button", name="Add preview").click()
        expect(section.locator("[data-preview]")).to_have_count(4)
        expect(section.locator("[data-preview]").last).to_contain_text("Your own")

        # The cover moved first, in three clicks; the third page removed.
        for place in (4, 3, 2):
            section.get_by_role("button", name=f"Move preview {place} earlier").click()
            expect(section.locator("[data-preview]").nth(place - 2)).to_contain_text("Your own")
        expect(section.get_by_role("button", name="Move preview 1 earlier")).to_be_disabled()
        section.get_by_role("button", name="Remove preview 4").click()
        expect(section.locator("[data-preview]")).to_have_count(3)
        images = section.locator("[data-preview] img")
        wait_until(
            page,
            "[...document.querySelectorAll('#dg-previews img')].every(i => i.complete "
            "&& i.naturalWidth > 0)",
            what="the previews' pictures",
        )
        assert images.count() == 3
        assert page.evaluate("window.dgSamePage === true")  # every change over htmx
        assert page_width(page) <= 1280
        section.screenshot(path=str(shots / "digital-previews-1280.png"))
        assert errors == []

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        small = _sign_in(phone, server, "inkwell@example.com", page_path)
        small_section = small.locator("#dg-previews")
        expect(small_section.locator("[data-preview]")).to_have_count(3)
        small_section.scroll_into_view_if_needed()
        wait_until(
            small,
            "[...document.querySelectorAll('#dg-previews img')].every(i => i.complete "
            "&& i.naturalWidth > 0)",
            what="the previews' pictures on the phone",
        )
        assert page_width(small) <= 390
        small_section.screenshot(path=str(shots / "digital-previews-390.png"))
        small.goto(server.url(HOST, "/studio/digital/"))
        expect(small.locator("[data-failed-previews]")).to_contain_text("could not be made")
        _fits(small, 390, shots / "digital-home-failed-390.png")
        browser.close()
