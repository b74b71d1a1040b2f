"""Facets a module adds to catalogue search (``ModuleManifest.search_facets``), held to the
gigs module's "Delivery time": a gig carries ``d:1``/``d:3``/``d:7`` by its fastest package,
kept by the listing service and by the entry's trigger; both backends filter (``?delivery=3``)
and count them like core's facets, only where the module is on; a gig lists in the catalogue
at its cheapest package."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.catalog.models import Product, SearchEntry
from core.catalog.search.opensearch import OpenSearchBackend, index_definition
from core.catalog.search.postgres import PostgresSearchBackend
from core.catalog.search.query import FacetCount, ModuleFacet, SearchQuery, SortOrder
from core.catalog.services.products import transition
from modules.gigs.services import listing
from modules.gigs.tests.helpers import GigShop, make_gig_shop, make_gigs_tenant
from tests import opensearch_stub
from tests.catalog_helpers import make_product, make_seller
from tests.test_opensearch_contract import alias_of, index_everything, matching, with_live_index


def _package(tier: str, price: int, days: int) -> listing.PackageData:
    return listing.PackageData(tier=tier, title=tier.title(), price=price, delivery_days=days)


@pytest.fixture
def gigs(make_tenant) -> GigShop:
    """Logo design (fastest 3 days, from 50.00), Icon set (3 days, 50.00), Rush fix (1 day,
    from 20.00), Big build (5 days, from 900.00)."""
    shop = make_gig_shop(make_gigs_tenant(make_tenant))
    for name, packages in (
        ("Rush fix", [_package("basic", 2000, 1), _package("premium", 9000, 2)]),
        ("Big build", [_package("standard", 90_000, 5), _package("premium", 120_000, 10)]),
    ):
        gig = make_product(shop.tenant, shop.other_seller, name, price=1, product_type="gig")
        with schema_context(shop.tenant.schema_name):
            listing.set_packages(product=gig, packages=packages)
    return shop


def _names(result) -> list[str]:
    return [product.name for product in result.items]


DELIVERY_ALL = ModuleFacet(
    param="delivery",
    label="Delivery time",
    options=[
        FacetCount("1", "Up to 24 hours", 1),
        FacetCount("3", "Up to 3 days", 3),
        FacetCount("7", "Up to 7 days", 4),
    ],
)


def test_delivery_time_is_counted_and_filtered_on_postgres(gigs):
    backend = PostgresSearchBackend()
    with schema_context(gigs.tenant.schema_name):
        everything = backend.search(SearchQuery(currency="USD", limit=50), with_facets=True)
        within_3 = backend.search(
            SearchQuery(currency="USD", module_keys=("d:3",), sort=SortOrder.PRICE_ASC),
            with_facets=True,
        )
    assert everything.facets is not None and everything.facets.module_facets == [DELIVERY_ALL]
    assert _names(within_3) == ["Rush fix", "Logo design", "Icon set"]
    assert within_3.facets is not None
    assert [(o.value, o.count) for o in within_3.facets.module_facets[0].options] == [
        ("1", 1),
        ("3", 3),
        ("7", 3),
    ]
    assert within_3.facets.categories == everything.facets.categories == []
    assert sum(f.count for f in within_3.facets.sellers) == 3  # the other facets agree


def test_a_gig_lists_at_its_cheapest_package_and_follows_its_packages(gigs):
    backend = PostgresSearchBackend()
    with schema_context(gigs.tenant.schema_name):
        by_price = backend.search(
            SearchQuery(currency="USD", sort=SortOrder.PRICE_ASC), with_facets=False
        )
        assert _names(by_price) == ["Rush fix", "Logo design", "Icon set", "Big build"]
        rush = Product.objects.get(name="Rush fix")
        assert rush.prices.get(variant=None).amount == 2000
        cheap = backend.search(SearchQuery(currency="USD", price_max=4000), with_facets=False)
        assert _names(cheap) == ["Rush fix"]

        # Slower and dearer packages: the price and the delivery terms follow.
        listing.set_packages(product=rush, packages=[_package("basic", 7000, 4)])
        assert rush.prices.get(variant=None).amount == 7000
        entry = SearchEntry.objects.get(product=rush)
        assert entry.prices == {"USD": 7000}
        assert sorted(entry.module_keys) == ["d:7"]
        assert "d:1" not in entry.facet_keys and "d:7" in entry.facet_keys

        # Core's trigger rewrites its own terms on every product change: the gig's stay.
        transition(product=rush, action="unpublish")
        Product.objects.filter(pk=rush.pk).update(name="Rush fix 2", status="published")
        entry = SearchEntry.objects.get(product=rush)
        assert "d:7" in entry.facet_keys and "t:gig" in entry.facet_keys
        within_1 = backend.search(
            SearchQuery(currency="USD", module_keys=("d:1",)), with_facets=False
        )
    assert _names(within_1) == []


def test_the_catalogue_api_filters_and_counts_delivery_time(gigs, client_for):
    client = client_for(gigs.tenant)
    answered = client.get("/api/v1/catalog/facets", {"delivery": "3", "sort": "price_asc"})
    assert answered.status_code == 200, answered.content
    body = answered.json()
    assert [item["name"] for item in body["items"]] == ["Rush fix", "Logo design", "Icon set"]
    assert body["facets"]["module_facets"] == [
        {
            "param": "delivery",
            "label": "Delivery time",
            "options": [
                {"value": "1", "label": "Up to 24 hours", "count": 1},
                {"value": "3", "label": "Up to 3 days", "count": 3},
                {"value": "7", "label": "Up to 7 days", "count": 3},
            ],
        }
    ]
    refused = client.get("/api/v1/catalog", {"delivery": "2"})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "delivery"


def test_the_facet_is_only_where_the_module_is_on(tenant_a, client_for):
    make_product(tenant_a, make_seller(tenant_a, "plain", "Plain Goods"), "Plain tool", price=900)
    with schema_context(tenant_a.schema_name):
        result = PostgresSearchBackend().search(SearchQuery(currency="USD"), with_facets=True)
    assert result.facets is not None and result.facets.module_facets == []
    # The gigs module is off here: its parameter filters nothing and is not refused.
    answered = client_for(tenant_a).get("/api/v1/catalog", {"delivery": "2"})
    assert answered.status_code == 200
    assert [item["name"] for item in answered.json()["items"]] == ["Plain tool"]


def test_the_delivery_filter_and_facet_add_no_query(gigs):
    backend = PostgresSearchBackend()
    with schema_context(gigs.tenant.schema_name):
        backend.search(SearchQuery(currency="USD"), with_facets=True)  # warm caches
        with CaptureQueriesContext(connection) as plain:
            backend.search(SearchQuery(currency="USD"), with_facets=True)
        with CaptureQueriesContext(connection) as filtered:
            backend.search(SearchQuery(currency="USD", module_keys=("d:3",)), with_facets=True)
    assert len(filtered.captured_queries) == len(plain.captured_queries) <= 7


# --- OpenSearch (wire contract, see tests/test_opensearch_contract.py) ---------------------------


@pytest.fixture
def opensearch(settings):
    stub = opensearch_stub.start()
    settings.OPENSEARCH_URL = stub.url
    settings.SOUK_SEARCH_BACKEND = "opensearch"
    yield stub
    stub.stop()


def test_opensearch_indexes_filters_and_aggregates_the_delivery_terms(gigs, opensearch):
    tenant = gigs.tenant
    with_live_index(opensearch, tenant)
    documents = index_everything(opensearch, tenant)
    by_name = {document["name"]: document for document in documents}
    assert by_name["Rush fix"]["module_keys"] == ["d:1", "d:3", "d:7"]
    assert by_name["Big build"]["module_keys"] == ["d:7"]
    opensearch.requests.clear()

    query = SearchQuery(currency="USD", module_keys=("d:3",))
    with schema_context(tenant.schema_name):
        expected = PostgresSearchBackend().search(query, with_facets=True)
        matching(opensearch, documents, [p.pk for p in expected.items], index=alias_of(tenant))
        result = OpenSearchBackend().search(query, with_facets=True)

    (request,) = opensearch.requests
    assert {"term": {"module_keys": "d:3"}} in request.body["query"]["bool"]["filter"]
    assert request.body["aggs"]["module_keys"] == {
        "terms": {"field": "module_keys", "include": ["d:1", "d:3", "d:7"], "size": 3}
    }
    assert result.facets == expected.facets
    assert {p.pk for p in result.items} == {p.pk for p in expected.items}


def test_opensearch_maps_module_keys_as_keywords():
    assert index_definition()["mappings"]["properties"]["module_keys"] == {"type": "keyword"}
