"""The "Delivery time" facet on the storefront's search page (gigs' module facet): counted
like the other facets, each option a link that filters (``?delivery=3``)."""

from __future__ import annotations

import re

from modules.gigs.tests.helpers import GigShop
from tests.test_search_module_facets import gigs  # noqa: F401  (the fixture)


def _facet(html: str) -> list[tuple[str, str]]:
    section = re.search(
        r'<section class="facet" data-facet="delivery time">.*?</section>', html, re.S
    )
    assert section, "no delivery facet"
    return re.findall(r'>([^<>]+?) <span class="count">~?(\d+)</span>', section.group(0))


def test_the_search_page_counts_and_filters_delivery_time(gigs: GigShop, client_for) -> None:  # noqa: F811
    client = client_for(gigs.tenant)
    everything = client.get("/search/").content.decode()
    assert _facet(everything) == [
        ("Up to 24 hours", "1"),
        ("Up to 3 days", "3"),
        ("Up to 7 days", "4"),
    ]
    assert 'href="/search/?delivery=3"' in everything

    within_3 = client.get("/search/", {"delivery": "3", "sort": "price_asc"}).content.decode()
    names = re.findall(r'class="product-name">([^<]+)<', within_3)
    assert names == ["Rush fix", "Logo design", "Icon set"]
    assert "Big build" not in within_3
    assert ("Up to 7 days", "3") in _facet(within_3)
    assert 'data-filter="delivery"' in within_3  # the active filter's chip removes it
