"""A new operator works through the getting-started checklist in Debian's Chromium: uploads a
logo, changes the colours (seen first in the live preview, then in the storefront header's
computed style), turns a module off (its page and nav entry go), and builds categories, by
form and by dragging; the checklist ticks those steps itself. With ``SOUK_SCREENSHOTS=1`` the
screenshots are saved as ``docs/screenshots/operator-getting-started-{desktop,mobile}.png``
and ``operator-branding-desktop.png``."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

from core.catalog.models import Category
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    Marketplace,
    _running_server,
    marketplace_with_operator,
    operator_code,
    page_width,
)

SLUG = "first-light"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
NEW_PRIMARY = "#7a1fa2"
# The screenshots docs/screenshots keeps; the others stay in the test's tmp_path.
PUBLISHED = {
    "operator-getting-started-desktop",
    "operator-getting-started-mobile",
    "operator-branding-desktop",
}
HEADER_BACKGROUND = "getComputedStyle(document.querySelector('.site-header')).backgroundColor"


@pytest.fixture
def new_marketplace(django_db_setup: None, django_db_blocker: Any) -> Iterator[Marketplace]:
    """A fresh base-themed marketplace selling with alpha and beta, and its operator (two
    factors), committed for the server process; removed afterwards."""
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug=SLUG,
            name="First Light",
            operator_email="noor@first-light.example",
            theme="base",
            primary_colour="#2f6fde",
            modules=["alpha", "beta"],
        ) as market,
    ):
        yield market


def logo_png() -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGBA", (160, 48), (0, 0, 0, 0))
    for x in range(160):
        for y in range(12, 36):
            image.putpixel((x, y), (255, 200, 80, 255) if (x // 16) % 2 else (255, 255, 255, 255))
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def rgb(hex_colour: str) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def item(page: Page, key: str) -> Any:
    return page.locator(f'.checklist li[data-item="{key}"]')


def keep(page: Page, tmp_path: Path, name: str) -> None:
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("SOUK_SCREENSHOTS") and name in PUBLISHED:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SCREENSHOTS / shot.name)


def test_a_new_operator_finishes_the_getting_started_checklist(
    chromium_executable, new_marketplace, tmp_path, request, django_db_blocker
):
    market = new_marketplace
    errors: list[str] = []
    with (
        _running_server(market.host, tmp_path, request) as server,
        sync_playwright() as playwright,
    ):

        def url(path: str) -> str:
            return server.url(market.host, path)

        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )

        # Sign in with the second factor, straight to the checklist.
        page.goto(url("/accounts/login/?next=/operator/start/"))
        page.get_by_label("E-mail address").fill(market.operator.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_label("Code from your authenticator app").fill(
            operator_code(market, django_db_blocker)
        )
        page.get_by_role("button", name="Verify and sign in").click()
        expect(page.get_by_role("heading", level=1, name="Getting started")).to_be_visible()
        expect(page.locator(".page-head")).to_contain_text("1 of 7 done")
        expect(item(page, "modules")).to_have_class("done")
        for key in ("branding", "categories"):
            expect(item(page, key)).to_have_class("todo")

        # Branding: the preview follows the unsaved colour, then the colours are saved.
        item(page, "branding").get_by_role("link").click()
        expect(page.get_by_role("heading", level=1, name="Branding and theme")).to_be_visible()
        page.get_by_label("Tagline").fill("Lamps, lanterns and light")
        page.get_by_label("Primary colour").fill(NEW_PRIMARY)
        expect(page.locator("#brand-preview .brand-preview")).to_have_attribute(
            "data-primary", NEW_PRIMARY
        )
        expect(page.locator("#brand-preview .pv-header")).to_have_css(
            "background-color", rgb(NEW_PRIMARY)
        )
        page.get_by_role("button", name="Save branding").click()
        expect(page.get_by_role("status").first).to_contain_text("Branding saved")

        # The logo: a file that is not an image is refused, a PNG is taken.
        page.get_by_label("Upload a logo").set_input_files(
            files=[{"name": "logo.png", "mimeType": "image/png", "buffer": b"<svg></svg>"}]
        )
        page.get_by_role("button", name="Upload logo").click()
        expect(page.locator("#logo .errorlist")).to_contain_text("not an image we can read")
        page.get_by_label("Upload a logo").set_input_files(
            files=[{"name": "logo.png", "mimeType": "image/png", "buffer": logo_png()}]
        )
        page.get_by_role("button", name="Upload logo").click()
        expect(page.get_by_role("status").first).to_contain_text("Logo uploaded")
        expect(page.get_by_alt_text("Current logo")).to_be_visible()
        keep(page, tmp_path, "operator-branding-desktop")

        # Terms of service, written in the rich-text editor, linked in the footer.
        page.get_by_role("link", name="Terms of service").click()
        editor = page.locator(".rich-text-area")  # the script replaces the textarea
        editor.click()
        page.keyboard.type("Sellers answer within two days.")
        page.keyboard.press("Control+A")
        page.get_by_role("button", name="Bold").click()
        page.get_by_role("button", name="Save terms of service").click()
        expect(page.get_by_role("status").first).to_contain_text("Terms of service saved.")

        # The storefront wears it: header colour (computed) and the logo, loaded.
        page.goto(url("/"))
        page.locator(".site-footer").get_by_role("link", name="Terms of service").click()
        expect(page.locator(".legal-page p b, .legal-page p strong")).to_have_text(
            "Sellers answer within two days."
        )
        page.goto(url("/"))
        assert page.evaluate(HEADER_BACKGROUND) == rgb(NEW_PRIMARY)
        logo = page.locator(".site-header img.brand-logo")
        expect(logo).to_be_visible()
        assert (
            page.evaluate("document.querySelector('.site-header img.brand-logo').naturalWidth")
            == 160
        )
        expect(page.locator(".site-header")).to_contain_text("Widgets")

        # Modules: beta off; its storefront page and nav entry are gone.
        page.goto(url("/operator/modules/"))
        page.get_by_role("button", name="Turn Beta services off").click()
        expect(page.get_by_role("status").first).to_contain_text("Beta services is off")
        expect(page.locator("#module-beta .module-state")).to_have_text("Off")
        keep(page, tmp_path, "operator-modules-desktop")
        page.goto(url("/"))
        expect(page.locator(".site-header")).not_to_contain_text("Widgets")
        gone = page.goto(url("/beta/"))
        assert gone is not None and gone.status == 404

        # Categories: two by the form, one nested, then dragged into a new order.
        page.goto(url("/operator/categories/"))
        for name in ("Lamps", "Rugs"):
            page.get_by_label("Category name", exact=True).fill(name)
            page.get_by_role("button", name="Add category").click()
            expect(page.get_by_role("status").first).to_contain_text(f"Category “{name}” added.")
        page.get_by_label("Category name", exact=True).fill("Brass lamps")
        page.get_by_label("Under", exact=True).select_option(label="Lamps")
        page.get_by_role("button", name="Add category").click()
        expect(page.locator("#category-tree")).to_contain_text("Brass lamps")
        top = page.locator("#category-tree > ul > li > .category-row .cat-name")
        expect(top).to_have_text(["Lamps", "Rugs"])
        # Unscrolled (the last add left the page at its anchor): rows near the viewport's
        # edge would make Sortable scroll the page under the pointer.
        page.goto(url("/operator/categories/"))
        rugs_handle = page.locator("#category-tree > ul > li").nth(1).locator(".handle").first
        lamps_row = page.locator("#category-tree > ul > li").nth(0).locator(".category-row").first
        start, target = rugs_handle.bounding_box(), lamps_row.bounding_box()
        assert start is not None and target is not None
        x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x, y - 6, steps=3)  # past the drag threshold: Sortable takes over
        expect(page.locator(".sortable-fallback")).to_have_count(1)
        page.mouse.move(target["x"] + 30, target["y"] + 3, steps=20)
        # Sortable ignores moves over a row that is still animating: hover until the dragged
        # row has taken its new place, then drop.
        for wiggle in range(20):
            if top.all_inner_texts() == ["Rugs", "Lamps"]:
                break
            page.wait_for_timeout(100)
            page.mouse.move(target["x"] + 30 + wiggle % 2, target["y"] + 3 + wiggle % 3)
        # The drop posts the new order; reloading before its answer would cancel it.
        with page.expect_response(
            lambda r: "/operator/categories/reorder/" in r.url and r.request.method == "POST"
        ) as saved:
            page.mouse.up()
        assert saved.value.ok, saved.value.status
        expect(top).to_have_text(["Rugs", "Lamps"])
        page.reload()  # the tree as stored
        expect(top).to_have_text(["Rugs", "Lamps"])
        keep(page, tmp_path, "operator-categories-desktop")

        # The checklist ticked what was done.
        page.goto(url("/operator/start/"))
        for key in ("branding", "modules", "categories"):
            expect(item(page, key)).to_have_class("done")
        expect(page.locator(".page-head")).to_contain_text("3 of 7 done")
        keep(page, tmp_path, "operator-getting-started-desktop")
        context.close()

        # The same checklist on a phone: nothing wider than the screen.
        phone = browser.new_context(viewport={"width": 390, "height": 844})
        mobile = phone.new_page()
        mobile.set_default_timeout(15_000)
        mobile.goto(url("/accounts/login/?next=/operator/start/"))
        mobile.get_by_label("E-mail address").fill(market.operator.email)
        mobile.get_by_label("Password").fill(PASSWORD)
        mobile.get_by_role("button", name="Sign in").click()
        mobile.get_by_label("Code from your authenticator app").fill(
            operator_code(market, django_db_blocker)
        )
        mobile.get_by_role("button", name="Verify and sign in").click()
        expect(mobile.locator(".page-head")).to_contain_text("3 of 7 done")
        width = page_width(mobile)
        assert width <= 390, f"the checklist is {width}px wide on a phone"
        keep(mobile, tmp_path, "operator-getting-started-mobile")
        for path in ("/operator/branding/", "/operator/modules/", "/operator/categories/"):
            mobile.goto(url(path))
            width = page_width(mobile)
            assert width <= 390, f"{path} is {width}px wide on a phone"
            keep(mobile, tmp_path, "operator-" + path.strip("/").split("/")[-1] + "-mobile")
        phone.close()
        browser.close()
    # Chromium reports the COOP header as ignored on a plain-HTTP test origin, and logs the
    # refused upload (400) and the switched-off module's page (404) this test asked for.
    expected = ("Cross-Origin-Opener-Policy", "status of 400", "status of 404")
    assert [error for error in errors if not any(e in error for e in expected)] == []
    with schema_context(market.tenant.schema_name):
        tops = Category.objects.filter(parent=None).order_by("position")
        assert [c.name for c in tops] == ["Rugs", "Lamps"]
        assert Category.objects.get(name="Brass lamps").parent.name == "Lamps"
    use_public_schema()
