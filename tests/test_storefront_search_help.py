"""Search helps a first-time buyer: names are suggested while they type (a server-rendered
listbox for htmx), a misspelt search offers "Did you mean ...?" from the marketplace's own
product names, and an empty result says what was searched instead of blaming filters nobody
set. Suggestions and corrections come from this marketplace's catalogue only."""

from __future__ import annotations

import re

import pytest

from core.catalog.search.spelling import closest_word, edit_distance
from tests.catalog_helpers import make_product, make_seller


@pytest.fixture
def catalogue(tenant_a):
    seller = make_seller(tenant_a, "acme", "Acme Tools")
    for name in ("Swift Editor", "Swift Editor Pro", "Secure Scanner", "Photo Resizer"):
        make_product(tenant_a, seller, name)
    return tenant_a


def html(response) -> str:
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_suggestions_partial_is_a_listbox_of_product_links(client_for, catalogue):
    partial = html(client_for(catalogue).get("/search/suggest/?q=swi", HTTP_HX_REQUEST="true"))

    assert '<ul class="suggestion-list" role="listbox" id="site-search-listbox"' in partial
    options = re.findall(r'<li role="option"[^>]*><a href="([^"]+)"[^>]*>([^<]+)</a>', partial)
    assert options == [
        ("/p/swift-editor/", "Swift Editor"),
        ("/p/swift-editor-pro/", "Swift Editor Pro"),
    ]
    assert "<html" not in partial


def test_suggestions_for_nothing_or_one_letter_are_empty(client_for, catalogue):
    client = client_for(catalogue)
    assert html(client.get("/search/suggest/?q=")).strip() == ""
    assert 'role="option"' not in html(client.get("/search/suggest/?q=s"))


def test_suggestions_never_come_from_another_marketplace(client_for, catalogue, tenant_b):
    seller = make_seller(tenant_b, "zed", "Zed Labs")
    make_product(tenant_b, seller, "Swirl Widget")

    mine = html(client_for(catalogue).get("/search/suggest/?q=swi"))
    theirs = html(client_for(tenant_b).get("/search/suggest/?q=swi"))

    assert "Swirl Widget" not in mine and "Swift Editor" in mine
    assert "Swift Editor" not in theirs


def test_the_header_search_box_asks_for_suggestions(client_for, catalogue):
    page = html(client_for(catalogue).get("/"))

    assert 'hx-get="/search/suggest/"' in page
    assert 'role="combobox"' in page and 'aria-controls="site-search-suggestions"' in page
    assert '<label for="site-search-q" class="visually-hidden">Search products</label>' in page


def test_a_misspelt_search_offers_did_you_mean(client_for, catalogue):
    page = html(client_for(catalogue).get("/search/?q=swfit+edtor"))

    assert "No products match “swfit edtor”." in page
    assert 'Did you mean <a href="/search/?q=swift+editor" rel="nofollow">swift editor</a>?' in page


def test_a_search_that_finds_something_offers_no_correction(client_for, catalogue):
    page = html(client_for(catalogue).get("/search/?q=scanner"))

    assert "Did you mean" not in page
    assert "Secure Scanner" in page


def test_corrections_come_from_this_marketplace_only(client_for, catalogue, tenant_b):
    page = html(client_for(tenant_b).get("/search/?q=swfit"))

    assert "Did you mean" not in page
    assert "No products match “swfit”." in page


def test_an_empty_text_search_does_not_blame_filters(client_for, tenant_a):
    page = html(client_for(tenant_a).get("/search/?q="))

    assert "Nothing matches these filters" not in page
    assert "Nothing is for sale here yet." in page


def test_filters_that_match_nothing_are_named_as_filters(client_for, catalogue):
    page = html(client_for(catalogue).get("/search/?price_min=999999"))

    assert "Nothing matches these filters yet." in page


def test_edit_distance_counts_a_swap_as_one_and_stops_early():
    assert edit_distance("swfit", "swift", limit=2) == 1
    assert edit_distance("editor", "edtor", limit=2) == 1
    assert edit_distance("scanner", "resizer", limit=2) == 3  # over the limit: limit + 1


def test_closest_word_prefers_the_nearer_then_the_more_used_word():
    words = {"editor": 5, "edits": 1, "swift": 2}
    assert closest_word("edtor", words) == "editor"
    assert closest_word("editor", words) is None  # known
    assert closest_word("zz", words) is None  # too short to guess
    assert closest_word("qwertyuiop", words) is None  # nothing near
