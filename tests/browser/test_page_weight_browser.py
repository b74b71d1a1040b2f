"""A Lighthouse-style check of the home and product pages in Debian's Chromium against a real
server, at phone and desktop widths, with uploaded product pictures: nothing moves while the
page loads and scrolls (cumulative layout shift < 0.1, from the browser's own layout-shift
entries), every <img> has width and height, pictures below the fold are lazy and the product's
first picture is not, the browser picks the AVIF size, and the bytes the page costs on a first
visit (navigation + every resource's transferSize) stay within a budget. The figures are
printed with the test's output."""

from __future__ import annotations

import io
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import Browser, Page, sync_playwright

from core.catalog.models import Product
from core.catalog.services.images import add_product_image
from core.catalog.services.moderation import set_featured
from tenants.schemas_sql import use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    LiveServer,
    _delete_marketplace,
    _running_server,
    wait_until,
)
from tests.catalog_helpers import make_product as make_catalogue_product
from tests.catalog_helpers import make_seller
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG = "sf-weight"
# Featured, so the home page shows each twice: its "Featured" and "New" shelves (8 each).
PRODUCTS = 8
GALLERY_PICTURES = 3
# A phone as Lighthouse's mobile run sees it (a 2x screen), and a desktop monitor.
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1},
}
MAX_LAYOUT_SHIFT = 0.1  # Lighthouse's "good" cumulative layout shift
# First visit (empty cache) before any scrolling, in bytes; see the README's "Page weight".
BUDGET = {"home": 500 * 1024, "product": 500 * 1024}

# Registered before the page's own scripts (a DevTools script, so the pages' CSP allows it):
# every layout shift not caused by input is added up from navigation on.
RECORD_LAYOUT_SHIFTS = """
window.__layoutShift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__layoutShift += entry.value;
  }
}).observe({type: "layout-shift", buffered: true});
"""
TRANSFERRED = """
(() => {
  const navigation = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  return {
    total: navigation.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0),
    document: navigation.transferSize,
    requests: 1 + resources.length,
    images: resources.filter((r) => r.initiatorType === "img")
      .reduce((sum, r) => sum + r.transferSize, 0),
  };
})()
"""
IMAGES = """
[...document.images].map((img) => {
  const box = img.getBoundingClientRect();
  return {
    src: img.currentSrc, width: img.getAttribute("width"), height: img.getAttribute("height"),
    loading: img.getAttribute("loading"), top: box.top + window.scrollY,
    inPicture: img.parentElement.tagName === "PICTURE",
    inGallery: img.closest(".gallery") !== null,
  };
})
"""
ALL_IMAGES_LOADED = "[...document.images].every((img) => img.complete && img.naturalWidth > 0)"


def photo(seed: int, size: tuple[int, int] = (1600, 1200)) -> io.BytesIO:
    """A picture that compresses like a product photo (shapes over a gradient, some grain:
    about 80 KB as AVIF at 1280 px, 20 KB at 640), different for every product."""
    width, height = size
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    tint = tuple(rng.randrange(30, 230) for _ in range(3))
    image = Image.blend(image, Image.new("RGB", size, tint), 0.6)
    draw = ImageDraw.Draw(image)
    for _ in range(150):
        left, top = rng.randrange(width), rng.randrange(height)
        right, bottom = left + rng.randrange(20, 300), top + rng.randrange(20, 300)
        draw.ellipse((left, top, right, bottom), fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(0.6))
    image = Image.blend(image, Image.effect_noise(size, 64).convert("RGB"), 0.08)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    out.seek(0)
    return out


@dataclass(frozen=True)
class PictureShop:
    host: str
    product_slug: str
    media_root: Path


@pytest.fixture
def picture_shop(django_db_setup: None, django_db_blocker: Any) -> Iterator[PictureShop]:
    """A committed marketplace whose products each have an uploaded picture (the first one
    three), stored under this test's MEDIA_ROOT."""
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        try:
            tenant = provision_tenant(
                slug=SLUG,
                name="Weighed Goods",
                owner_email=f"owner@{SLUG}.example",
                owner_password=None,
            ).tenant
            use_public_schema()
            seller = make_seller(tenant, "weigh-works", "Weigh Works")
            products = [
                make_catalogue_product(
                    tenant, seller, f"Measured Tool {index}", summary="A tool, measured."
                )
                for index in range(PRODUCTS)
            ]
            with schema_context(tenant.schema_name):
                for index, product in enumerate(products):
                    set_featured(product=Product.objects.get(pk=product.pk), is_featured=True)
                    pictures = GALLERY_PICTURES if index == PRODUCTS - 1 else 1
                    for picture in range(pictures):
                        add_product_image(
                            product=Product.objects.get(pk=product.pk),
                            upload=photo(index * 10 + picture),
                            alt=f"{product.name}, view {picture + 1}",
                        )
            use_public_schema()
            yield PictureShop(
                host=f"{SLUG}.{settings.PLATFORM_DOMAIN}",
                product_slug=products[-1].slug,  # the newest: the first card on the home page
                media_root=Path(settings.MEDIA_ROOT),
            )
        finally:
            _delete_marketplace(SLUG)
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


@pytest.fixture
def picture_server(
    picture_shop: PictureShop, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """The server, given the uploaded files: the test settings put its MEDIA_ROOT in a fresh
    directory under TMPDIR, into which the pictures are copied once it runs."""
    server_tmp = tmp_path / "server-tmp"
    server_tmp.mkdir()
    with _running_server(
        picture_shop.host, tmp_path, request, extra_env={"TMPDIR": str(server_tmp)}
    ) as server:
        (server_media,) = server_tmp.glob("souk-test-media-*")
        shutil.copytree(picture_shop.media_root, server_media, dirs_exist_ok=True)
        yield server


@dataclass(frozen=True)
class Measured:
    layout_shift: float
    transferred: dict[str, int]  # first visit, before scrolling
    transferred_after_scroll: int
    images: list[dict[str, Any]]


def measure(browser: Browser, url: str, viewport: dict[str, Any]) -> Measured:
    """Load ``url`` in a fresh context (empty cache), note what the first view cost, then
    scroll to the bottom in screenfuls until every picture has loaded."""
    context = browser.new_context(**viewport)
    try:
        context.add_init_script(RECORD_LAYOUT_SHIFTS)
        page = context.new_page()
        page.set_default_timeout(15_000)
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url
        settle(page)
        images = page.evaluate(IMAGES)
        transferred = page.evaluate(TRANSFERRED)
        height = viewport["viewport"]["height"]
        while page.evaluate("window.scrollY + window.innerHeight < document.body.scrollHeight"):
            before = page.evaluate("window.scrollY")
            page.mouse.wheel(0, height * 0.8)
            wait_until(page, f"window.scrollY > {before}", what="the page to scroll")
            settle(page)
        wait_until(page, ALL_IMAGES_LOADED, what="every picture to load")
        settle(page)
        return Measured(
            layout_shift=page.evaluate("window.__layoutShift"),
            transferred=transferred,
            transferred_after_scroll=page.evaluate(TRANSFERRED)["total"],
            images=images,
        )
    finally:
        context.close()


def settle(page: Page) -> None:
    """Until the pictures in view have loaded and two frames have been laid out after them
    (layout-shift entries are reported with the frame that shifted)."""
    wait_until(
        page,
        "[...document.images].filter((img) => img.getBoundingClientRect().top < innerHeight)"
        ".every((img) => img.complete)",
        what="the pictures in view to load",
    )
    page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def test_home_and_product_pages_do_not_shift_size_their_pictures_and_stay_light(
    chromium_executable: str,
    picture_shop: PictureShop,
    picture_server: LiveServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pages = {
        "home": picture_server.url(picture_shop.host, "/"),
        "product": picture_server.url(picture_shop.host, f"/p/{picture_shop.product_slug}/"),
    }
    figures: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for width_name, viewport in VIEWPORTS.items():
                fold = viewport["viewport"]["height"]
                for page_name, url in pages.items():
                    where = f"{page_name} at {width_name} width"
                    seen = measure(browser, url, viewport)
                    pictures = [image for image in seen.images if image["inPicture"]]
                    gallery = [image for image in pictures if image["inGallery"]]
                    # Home: a card for each product; product: its gallery (and other cards).
                    assert len(pictures) >= PRODUCTS, (where, seen.images)
                    if page_name == "product":
                        assert len(gallery) == GALLERY_PICTURES, (where, seen.images)

                    assert seen.layout_shift < MAX_LAYOUT_SHIFT, (where, seen.layout_shift)
                    unsized = [i["src"] for i in seen.images if not (i["width"] and i["height"])]
                    assert unsized == [], (where, unsized)
                    below = [i for i in seen.images if i["top"] >= fold]
                    assert below, f"{where}: nothing below the fold to check"
                    assert all(i["loading"] == "lazy" for i in below), (where, below)
                    # Chromium shows AVIF: the <picture>'s first source wins.
                    assert all(".avif" in i["src"] for i in pictures if i["src"]), where
                    if page_name == "product":
                        first = gallery[0]
                        assert first["top"] < fold and first["loading"] is None, (where, first)
                    assert seen.transferred["total"] < BUDGET[page_name], (where, seen)
                    figures.append(
                        f"{where}: CLS {seen.layout_shift:.4f}, first view "
                        f"{seen.transferred['total'] / 1024:.1f} KB in "
                        f"{seen.transferred['requests']} requests (document "
                        f"{seen.transferred['document'] / 1024:.1f} KB, pictures "
                        f"{seen.transferred['images'] / 1024:.1f} KB), after scrolling "
                        f"{seen.transferred_after_scroll / 1024:.1f} KB"
                    )
        finally:
            browser.close()
    with capsys.disabled():  # shown in every run's output, not only when it fails
        print("\nPage weight (first visit, empty cache):\n" + "\n".join(figures))
