"""Storefront pages: home shelves, search and category pages with facets and URL filters,
htmx pages for infinite scroll, product pages with JSON-LD and OpenGraph, seller pages,
sitemap and robots; only visible products, only this marketplace's."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.catalog.models import Product
from core.catalog.services.moderation import set_featured
from tests.catalog_helpers import make_category, make_product, make_seller


@pytest.fixture
def shop(tenant_a):
    acme = make_seller(tenant_a, "acme", "Acme Tools")
    tools = make_category(tenant_a, "Tools")
    editor = make_product(
        tenant_a,
        acme,
        "Swift Code Editor",
        price=4900,
        category_slug=tools.slug,
        summary="A fast editor",
        image_urls=["https://cdn.example.com/e.png"],
        features=["Git"],
        description="Line one.\n\nLine <two>.",
    )
    linter = make_product(tenant_a, acme, "Lint Master", price=900, category_slug=tools.slug)
    draft = make_product(tenant_a, acme, "Hidden Draft", publish=False)
    with schema_context(tenant_a.schema_name):
        set_featured(product=Product.objects.get(pk=editor.pk), is_featured=True)
    return {"editor": editor, "linter": linter, "draft": draft, "tools": tools}


def names(html: str) -> list[str]:
    return re.findall(r'<strong class="product-name">([^<]+)</strong>', html)


def test_home_shows_featured_and_new_products_and_categories(client_for, tenant_a, shop):
    html = client_for(tenant_a).get("/").content.decode()
    featured = html.split('data-shelf="featured"')[1].split("</section>")[0]
    assert names(featured) == ["Swift Code Editor"]
    newest = html.split('data-shelf="new"')[1].split("</section>")[0]
    assert names(newest) == ["Lint Master", "Swift Code Editor"]
    assert 'href="/c/tools/"' in html
    assert "Hidden Draft" not in html


def test_search_page_with_facets_and_filters_in_the_url(client_for, tenant_a, shop):
    client = client_for(tenant_a)
    html = client.get("/search/?q=editor").content.decode()
    assert names(html) == ["Swift Code Editor"]
    assert 'data-facet="category"' in html and "Tools" in html
    # Facet links keep the query and add the filter.
    link = re.search(r'href="([^"]*price_min=1000[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "q=editor" in link
    cheap = client.get("/search/?price_max=999").content.decode()
    assert names(cheap) == ["Lint Master"]
    assert 'data-filter="price_max"' in cheap  # a removable chip


def test_category_page_and_canonical_url(client_for, tenant_a, shop):
    response = client_for(tenant_a).get("/c/tools/?sort=price_asc")
    html = response.content.decode()
    assert names(html) == ["Lint Master", "Swift Code Editor"]
    assert (
        '<link rel="canonical" href="http://alpha-market.souk.test/c/tools/?sort=price_asc">'
        in html
    )
    assert client_for(tenant_a).get("/c/nope/").status_code == 404


def test_infinite_scroll_pages_come_as_htmx_fragments(client_for, tenant_a, shop, monkeypatch):
    monkeypatch.setattr("core.storefront.views.PAGE_SIZE", 1)
    client = client_for(tenant_a)
    first = client.get("/c/tools/?sort=price_asc").content.decode()
    assert names(first) == ["Lint Master"]
    next_url = (
        re.search(r'class="load-more" hx-get="([^"]+)"', first).group(1).replace("&amp;", "&")
    )
    fragment = client.get(next_url, HTTP_HX_REQUEST="true").content.decode()
    assert names(fragment) == ["Swift Code Editor"]
    assert "<html" not in fragment and "hx-get" not in fragment  # the last page


def test_product_page_has_json_ld_and_open_graph(client_for, tenant_a, shop):
    html = client_for(tenant_a).get("/p/swift-code-editor/").content.decode()
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    )
    assert data["@context"] == "https://schema.org" and data["@type"] == "Product"
    assert data["name"] == "Swift Code Editor"
    assert data["offers"] == {
        "@type": "Offer",
        "price": "49.00",
        "priceCurrency": "USD",
        "availability": "https://schema.org/InStock",
        "url": "http://alpha-market.souk.test/p/swift-code-editor/",
    }
    assert data["brand"]["name"] == "Acme Tools" and data["image"] == [
        "https://cdn.example.com/e.png"
    ]
    assert '<meta property="og:type" content="product">' in html
    assert '<meta property="og:title" content="Swift Code Editor">' in html
    assert "Line &lt;two&gt;." in html  # description is escaped
    assert 'href="/s/acme/"' in html


def test_json_ld_cannot_break_out_of_its_script(client_for, tenant_a):
    acme = make_seller(tenant_a, "acme")
    make_product(tenant_a, acme, "Evil Tool", summary="</script><script>alert(1)</script>")
    html = client_for(tenant_a).get("/p/evil-tool/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block
    assert json.loads(block)["description"] == "</script><script>alert(1)</script>"


def test_hidden_and_foreign_products_are_404(client_for, tenant_a, tenant_b, shop):
    other = make_seller(tenant_b, "other")
    make_product(tenant_b, other, "Their Tool")
    client = client_for(tenant_a)
    assert client.get("/p/hidden-draft/").status_code == 404
    assert client.get("/p/their-tool/").status_code == 404
    assert "Their Tool" not in client.get("/search/?q=tool").content.decode()


def test_seller_page(client_for, tenant_a, shop):
    html = client_for(tenant_a).get("/s/acme/").content.decode()
    assert "Acme Tools" in html and set(names(html)) == {"Swift Code Editor", "Lint Master"}
    assert client_for(tenant_a).get("/s/nobody/").status_code == 404


def test_sitemap_and_robots(client_for, tenant_a, shop):
    client = client_for(tenant_a)
    root = ElementTree.fromstring(client.get("/sitemap.xml").content)
    locations = [el.text for el in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "http://alpha-market.souk.test/p/swift-code-editor/" in locations
    assert "http://alpha-market.souk.test/c/tools/" in locations
    assert not any("hidden-draft" in loc for loc in locations)
    robots = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://alpha-market.souk.test/sitemap.xml" in robots
    assert "Disallow: /operator/" in robots


def test_bad_filters_answer_400_not_500(client_for, tenant_a, shop):
    client = client_for(tenant_a)
    assert client.get("/search/?sort=weird").status_code == 400
    assert client.get("/search/?min_rating=9").status_code == 400
    assert client.get("/search/?cursor=nonsense").status_code == 400


def test_category_page_query_count_does_not_grow(client_for, tenant_a, monkeypatch):
    acme = make_seller(tenant_a, "acme")
    tools = make_category(tenant_a, "Tools")
    for index in range(10):
        make_product(tenant_a, acme, f"Tool {index}", category_slug=tools.slug)
    client = client_for(tenant_a)
    counts = []
    for size in (2, 10):
        monkeypatch.setattr("core.storefront.views.PAGE_SIZE", size)
        client.get("/c/tools/")
        with CaptureQueriesContext(connection) as queries:
            assert len(names(client.get("/c/tools/").content.decode())) == size
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 9, counts


def test_a_marketplace_that_sells_nothing_yet_answers_empty_pages(client_for, tenant_a):
    from tenants.services import set_module_enabled

    set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=False)
    client = client_for(tenant_a)
    for path in ("/search/?q=anything", "/search/", "/"):
        assert client.get(path).status_code == 200, path
    response = client.get("/api/v1/catalog?facets=true")
    assert response.status_code == 200
    assert response.json()["items"] == []
