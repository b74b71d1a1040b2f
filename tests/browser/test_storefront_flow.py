"""The storefront in a real browser (Debian's Chromium, headless) against a real server process:
two marketplaces wear their own names, themes and brand colours; a buyer searches from the
header, narrows with facet links (filters in the URL), scrolls to load the next pages over htmx,
and opens a product page whose JSON-LD agrees with what the page shows."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import ConsoleMessage, Locator, Page, expect, sync_playwright

from core.storefront.views import PAGE_SIZE
from tests.browser.conftest import CHROMIUM_ARGS, ListedProduct, Storefront

BRAND_PRIMARY = "getComputedStyle(document.documentElement).getPropertyValue('--brand-primary')"


def card_names(page: Page) -> list[str]:
    return page.locator("#results .product-card .product-name").all_inner_texts()


def cards(page: Page) -> Locator:
    return page.locator("#results .product-card")


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def scroll_until_all_loaded(page: Page, expected: int) -> None:
    """The first page holds PAGE_SIZE cards and its "more" marker is below the fold; scrolling
    to the bottom reveals it and htmx swaps the next page in, until ``expected`` are shown."""
    expect(cards(page)).to_have_count(PAGE_SIZE)
    load_more = page.locator("#results .load-more")
    expect(load_more).to_have_count(1)
    expect(load_more).not_to_be_in_viewport()  # nothing loads before the buyer scrolls
    while page.locator("#results .load-more").count():
        before = cards(page).count()
        page.mouse.wheel(0, 20_000)
        expect(cards(page)).not_to_have_count(before)
    expect(cards(page)).to_have_count(expected)


def product_json_ld(page: Page) -> dict[str, Any]:
    scripts = page.locator('script[type="application/ld+json"]')
    expect(scripts).to_have_count(1)
    data: dict[str, Any] = json.loads(scripts.text_content() or "")
    return data


def names_of(products: list[ListedProduct]) -> list[str]:
    return sorted(p.name for p in products)


def test_two_storefronts_search_facets_scroll_and_product_json_ld(
    chromium_executable, committed_storefronts, storefront_server
):
    plaza, bazaar = committed_storefronts.plaza, committed_storefronts.bazaar
    server = storefront_server
    csp_violations: list[str] = []
    page_errors: list[str] = []
    timings: dict[str, float] = {}
    started = time.perf_counter()
    editors = [p for p in plaza.products if "Editor" in p.name]
    editor_tools = [p for p in editors if p.category_slug == "developer-tools"]
    cheap_editor_tools = [p for p in editor_tools if 1000 <= p.price < 5000]
    # The catalogue is built so each list needs the pages this test scrolls through.
    assert (len(editors), len(editor_tools), len(cheap_editor_tools)) == (30, 26, 10)
    assert len(editor_tools) > PAGE_SIZE > len(cheap_editor_tools)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        page.set_default_timeout(15_000)

        def watch(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                csp_violations.append(message.text)

        page.on("console", watch)
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        timings["browser launch"] = time.perf_counter() - started

        # Each marketplace wears its own name, theme and brand colour.
        mark = time.perf_counter()
        seen: dict[str, tuple[str, str, str]] = {}
        for market in (plaza, bazaar):
            page.goto(server.url(market.host, "/"))
            expect(page).to_have_title(market.name)
            expect(page.locator(".site-header .brand-name")).to_have_text(market.name)
            expect(page.locator("body")).to_have_class(market.body_class)
            colour = page.evaluate(BRAND_PRIMARY).strip().lower()
            assert colour == market.primary_colour
            seen[market.host] = (market.name, market.body_class, colour)
        assert seen == {
            plaza.host: ("Plaza Market", "theme-base", "#0b5cad"),
            bazaar.host: ("Lantern Bazaar", "theme-bazaar", "#b5361b"),
        }
        timings["two storefronts"] = time.perf_counter() - mark

        # Searching from the header box shows this marketplace's matches, a page at a time.
        mark = time.perf_counter()
        page.goto(server.url(plaza.host, "/"))
        page.get_by_role("combobox", name="Search products").fill("editor")
        page.get_by_role("combobox", name="Search products").press("Enter")
        expect(page).to_have_url(server.url(plaza.host, "/search/?q=editor"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Results for “editor”")
        scroll_until_all_loaded(page, len(editors))
        shown = card_names(page)
        assert len(shown) == len(set(shown))
        assert sorted(shown) == names_of(editors)  # not the bazaar's "Lantern Editor"
        expect(page.locator(".site-header")).to_have_count(1)  # pages came as fragments
        timings["search and scroll"] = time.perf_counter() - mark

        # A category facet narrows the results and puts the filter in the URL.
        mark = time.perf_counter()
        categories = page.locator('.facets [data-facet="category"]')
        tools_link = categories.get_by_role("link").filter(has_text="Developer Tools")
        expect(tools_link.locator(".count")).to_have_text(str(len(editor_tools)))
        tools_link.click()
        expect(page.locator('.active-filters [data-filter="category"]')).to_have_count(1)
        assert query_of(page) == {"q": ["editor"], "category": ["developer-tools"]}
        expect(categories.locator('a[aria-current="true"]')).to_contain_text("Developer Tools")
        scroll_until_all_loaded(page, len(editor_tools))
        shown = card_names(page)
        assert len(shown) == len(set(shown))
        assert sorted(shown) == names_of(editor_tools)

        # So does a price band, on top of the category; one page holds these.
        band_link = page.locator('.facets [data-facet="price"] a').filter(
            has_text=re.compile(r"^10-50\b")
        )
        expect(band_link.locator(".count")).to_have_text(str(len(cheap_editor_tools)))
        band_link.click()
        expect(page.locator('.active-filters [data-filter="price_min"]')).to_have_count(1)
        assert query_of(page) == {
            "q": ["editor"],
            "category": ["developer-tools"],
            "price_min": ["1000"],
            "price_max": ["4999"],
        }
        expect(cards(page)).to_have_count(len(cheap_editor_tools))
        expect(page.locator("#results .load-more")).to_have_count(0)
        assert sorted(card_names(page)) == names_of(cheap_editor_tools)
        amounts = page.locator("#results .product-price").evaluate_all(
            "prices => prices.map(p => Number(p.dataset.amount))"
        )
        assert sorted(amounts) == sorted(p.price for p in cheap_editor_tools)
        timings["facets"] = time.perf_counter() - mark

        # The product page's JSON-LD describes the product the page shows.
        mark = time.perf_counter()
        chosen = next(p for p in cheap_editor_tools if p.name == "Code Editor 05")
        cards(page).filter(has_text=chosen.name).click()
        expect(page).to_have_url(server.url(plaza.host, f"/p/{chosen.slug}/"))
        check_json_ld(page, plaza, chosen, expected_price="25.00")

        # The other marketplace finds only its own products, and describes them the same way.
        page.goto(server.url(bazaar.host, "/"))
        page.get_by_role("combobox", name="Search products").fill("editor")
        page.get_by_role("combobox", name="Search products").press("Enter")
        expect(cards(page)).to_have_count(1)
        assert card_names(page) == ["Lantern Editor"]
        expect(page.locator("#results .load-more")).to_have_count(0)
        lantern = next(p for p in bazaar.products if p.name == "Lantern Editor")
        cards(page).first.click()
        expect(page).to_have_url(server.url(bazaar.host, f"/p/{lantern.slug}/"))
        check_json_ld(page, bazaar, lantern, expected_price="12.00")
        timings["product pages"] = time.perf_counter() - mark
        browser.close()

    assert csp_violations == []
    assert page_errors == []
    timings["total"] = time.perf_counter() - started
    print("\n" + "\n".join(f"{phase:>20}: {seconds:6.2f} s" for phase, seconds in timings.items()))


def check_json_ld(
    page: Page, market: Storefront, product: ListedProduct, *, expected_price: str
) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(product.name)
    shown_price = page.locator(".buy-box .price").inner_text()
    data = product_json_ld(page)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "Product"
    assert data["name"] == product.name
    assert data["sku"] == product.slug
    assert data["url"] == page.url
    assert data["brand"] == {"@type": "Brand", "name": market.seller_name}
    offer = data["offers"]
    assert offer["@type"] == "Offer"
    assert (offer["price"], offer["priceCurrency"]) == (expected_price, "USD")
    assert f"{offer['price']} {offer['priceCurrency']}" == shown_price
    currency_meta = page.locator('meta[property="product:price:currency"]')
    expect(currency_meta).to_have_attribute("content", offer["priceCurrency"])
