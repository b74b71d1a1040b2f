"""The OpenSearch backend against its wire contract: no OpenSearch can run here, so a local HTTP
server (tests/opensearch_stub.py) records what opensearch-py sends and answers in OpenSearch's
documented shapes. Pinned: the per-tenant alias and index names, the _bulk lines, the query DSL,
the mapping of responses (hit order, facets equal to the Postgres backend's for the same data),
the zero-downtime reindex, and the outbox path. Text relevance itself cannot be checked here:
the stub does not analyse text, so which documents match is taken from the Postgres backend."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from ninja.errors import HttpError

from core.catalog import presenters
from core.catalog.consumers import PRODUCTS_CHANGED
from core.catalog.models import Product
from core.catalog.search import SearchQuery, get_search_backend
from core.catalog.search.opensearch import (
    CATCH_UP_MARGIN,
    TEXT_FIELDS,
    OpenSearchBackend,
    index_definition,
)
from core.catalog.search.postgres import PostgresSearchBackend
from core.catalog.search.query import GeoFilter, SortOrder
from core.events import dispatch_pending, emit
from core.outbox.models import OutboxEvent
from core.pagination import encode_cursor
from tenants.services import set_module_enabled
from tests import opensearch_stub
from tests.catalog_helpers import make_product, make_seller
from tests.test_search_semantics import catalogue as semantics_catalogue

# The semantics suite's data, so both backends are compared on the same catalogue.
catalogue = semantics_catalogue


@pytest.fixture
def opensearch(settings):
    """A fresh OpenSearch stub per test, and the search backend set to OpenSearch on it."""
    stub = opensearch_stub.start()
    settings.OPENSEARCH_URL = stub.url
    settings.SOUK_SEARCH_BACKEND = "opensearch"
    yield stub
    stub.stop()


def alias_of(tenant) -> str:
    return f"souk-{tenant.schema_name}-products"


def with_live_index(stub, tenant, index_suffix="20250101000000000000") -> str:
    """Given: the tenant's alias already points at an index."""
    alias = alias_of(tenant)
    stub.indexes.add(f"{alias}-{index_suffix}")
    stub.aliases[alias] = {f"{alias}-{index_suffix}"}
    return f"{alias}-{index_suffix}"


def index_everything(stub, tenant) -> list[dict]:
    """Index every product of the tenant through the backend; returns the indexed documents."""
    with schema_context(tenant.schema_name):
        OpenSearchBackend().index_products(list(Product.objects.values_list("pk", flat=True)))
    return [doc for docs in stub.documents.values() for doc in docs.values()]


def matching(stub, documents, ids, *, index):
    """Script _search: exactly these ids match; OpenSearch's sort and aggregations apply."""
    chosen = [doc for doc in documents if doc["id"] in set(ids)]
    stub.respond_to_search(
        lambda request: (200, opensearch_stub.search_response(request.body, chosen, index=index))
    )


# --- indexing -----------------------------------------------------------------------------------


def test_index_products_sends_one_bulk_indexing_visible_and_deleting_the_rest(
    tenant_a, catalogue, opensearch
):
    alias = alias_of(tenant_a)
    with_live_index(opensearch, tenant_a)
    editor, berlin, icons, draft = (catalogue[k] for k in ("editor", "berlin", "icons", "draft"))
    missing_id = 10**9

    with schema_context(tenant_a.schema_name):
        OpenSearchBackend().index_products([draft.pk, berlin.pk, missing_id, editor.pk, icons.pk])

    assert opensearch.summary() == [f"HEAD /_alias/{alias}", "POST /_bulk"]
    lines = opensearch.requests[1].lines
    assert lines[0::2][:3] == [
        {"index": {"_index": alias, "_id": str(pk)}}
        for pk in sorted([editor.pk, icons.pk, berlin.pk])
    ]
    assert lines[6:] == [
        {"delete": {"_index": alias, "_id": str(draft.pk)}},
        {"delete": {"_index": alias, "_id": str(missing_id)}},
    ]
    documents = {line["id"]: line for line in lines[1:6:2]}
    assert documents[editor.pk] == {
        "id": editor.pk,
        "slug": "swift-code-editor",
        "name": "Swift Code Editor",
        "name_lower": "swift code editor",
        "summary": "A fast editor for code",
        "description": "",
        "tags": ["editor", "ide"],
        "seller_slug": "acme",
        "seller_name": "Acme Tools",
        "product_type": "software",
        "rating_count": 0,
        "rating_total": 0,
        "stars": 0,
        "rating_average_e3": 0,
        "published_at": editor.published_at.isoformat(),
        "category_slug": "editors",
        "category_name": "Editors",
        "category_path": ["developer-tools", "editors"],  # a parent's filter finds it
        "price_USD": 4900,
    }
    assert documents[berlin.pk]["location"] == {"lat": 52.52, "lon": 13.405}
    assert "category_slug" not in documents[berlin.pk]
    rated = documents[icons.pk]  # 2 ratings, 9 stars in total
    assert (rated["stars"], rated["rating_average_e3"], rated["price_USD"]) == (4, 4500, 1900)


def test_first_indexing_creates_the_index_and_its_alias_in_one_request(tenant_a, opensearch):
    alias = alias_of(tenant_a)
    seller = make_seller(tenant_a, "acme")
    product = make_product(tenant_a, seller, "Lint Master")

    with schema_context(tenant_a.schema_name):
        OpenSearchBackend().index_products([product.pk])

    assert opensearch.summary() == [
        f"HEAD /_alias/{alias}",
        f"PUT /{alias}-initial",
        "POST /_bulk",
    ]
    created = opensearch.requests[1].body
    assert created["aliases"] == {alias: {}}
    assert created["settings"] == {"index": {"number_of_shards": 1}}
    assert created["mappings"]["dynamic_templates"] == [
        {"prices": {"match": "price_*", "mapping": {"type": "long"}}}
    ]
    properties = created["mappings"]["properties"]
    assert properties["name"] == {"type": "text", "analyzer": "english"}
    assert properties["seller_name"]["fields"] == {"keyword": {"type": "keyword"}}
    assert {name: properties[name]["type"] for name in ("name_lower", "category_path")} == {
        "name_lower": "keyword",
        "category_path": "keyword",
    }
    assert properties["location"] == {"type": "geo_point"}
    assert properties["published_at"] == {"type": "date"}
    assert opensearch.documents[f"{alias}-initial"].keys() == {str(product.pk)}


def test_a_worker_that_loses_the_race_to_create_the_index_still_indexes(tenant_a, opensearch):
    alias = alias_of(tenant_a)
    opensearch.indexes.add(f"{alias}-initial")  # made by another worker after our HEAD
    seller = make_seller(tenant_a, "acme")
    product = make_product(tenant_a, seller, "Lint Master")

    with schema_context(tenant_a.schema_name):
        OpenSearchBackend().index_products([product.pk])

    assert opensearch.summary() == [
        f"HEAD /_alias/{alias}",
        f"PUT /{alias}-initial",  # answered 400 resource_already_exists_exception
        "POST /_bulk",
    ]


def test_remove_products_sends_delete_lines_only(tenant_a, opensearch):
    alias = alias_of(tenant_a)
    with_live_index(opensearch, tenant_a)

    with schema_context(tenant_a.schema_name):
        OpenSearchBackend().remove_products([7, 8])
        OpenSearchBackend().remove_products([])

    assert opensearch.summary() == [f"HEAD /_alias/{alias}", "POST /_bulk"]
    assert opensearch.requests[1].lines == [
        {"delete": {"_index": alias, "_id": "7"}},
        {"delete": {"_index": alias, "_id": "8"}},
    ]


def test_tenants_never_share_an_index(tenant_a, tenant_b, opensearch):
    product_ids = []
    for tenant in (tenant_a, tenant_b):
        seller = make_seller(tenant, "same-slug")
        product = make_product(tenant, seller, "Same Name")
        product_ids.append(str(product.pk))
        with schema_context(tenant.schema_name):
            OpenSearchBackend().index_products([product.pk])
            opensearch.respond_to_search({"hits": {"hits": []}})
            OpenSearchBackend().search(SearchQuery(currency="USD", text="same"), with_facets=False)

    alias_a, alias_b = alias_of(tenant_a), alias_of(tenant_b)
    assert tenant_a.schema_name in alias_a and tenant_b.schema_name in alias_b
    assert alias_a != alias_b
    bulk_a, bulk_b = opensearch.sent("POST", "/_bulk")
    assert {line["index"]["_index"] for line in bulk_a.lines[::2]} == {alias_a}
    assert {line["index"]["_index"] for line in bulk_b.lines[::2]} == {alias_b}
    assert [r.path for r in opensearch.sent("POST", r".*/_search")] == [
        f"/{alias_a}/_search",
        f"/{alias_b}/_search",
    ]
    assert opensearch.aliases == {
        alias_a: {f"{alias_a}-initial"},
        alias_b: {f"{alias_b}-initial"},
    }
    assert {index: list(docs) for index, docs in opensearch.documents.items()} == {
        f"{alias_a}-initial": [product_ids[0]],
        f"{alias_b}-initial": [product_ids[1]],
    }


# --- searching ----------------------------------------------------------------------------------


def test_search_sends_text_filters_sort_cursor_and_aggregations(tenant_a, catalogue, opensearch):
    alias = alias_of(tenant_a)
    opensearch.respond_to_search({"hits": {"hits": []}, "aggregations": empty_aggregations()})
    query = SearchQuery(
        currency="USD",
        text='"code review" -munich berlin',
        category="developer-tools",
        product_types=("service",),
        seller="acme",
        price_min=1000,
        price_max=60_000,
        min_rating=3,
        near=GeoFilter(latitude_e6=52_390_000, longitude_e6=13_065_000, radius_km=50),
        sort=SortOrder.PRICE_ASC,
        limit=2,
        cursor=encode_cursor([4900, 12]),
    )

    with schema_context(tenant_a.schema_name):
        OpenSearchBackend().search(query, with_facets=True)

    (request,) = opensearch.requests
    assert (request.method, request.path) == ("POST", f"/{alias}/_search")
    body = request.body
    assert body["size"] == 3 and body["_source"] is False
    assert body["query"] == {
        "bool": {
            "filter": [
                # The types of the modules switched on (beta sells services and widgets).
                {"terms": {"product_type": ["service", "software", "widget"]}},
                {"term": {"category_path": "developer-tools"}},
                {"terms": {"product_type": ["service"]}},
                {"term": {"seller_slug": "acme"}},
                {"range": {"price_USD": {"gte": 1000, "lte": 60_000}}},
                {"range": {"rating_count": {"gt": 0}}},
                {"range": {"stars": {"gte": 3}}},
                {"terms": {"product_type": ["service"]}},  # the types that have a place
                {"geo_distance": {"distance": "50km", "location": {"lat": 52.39, "lon": 13.065}}},
            ],
            "must": [
                {
                    "multi_match": {
                        "query": "berlin",
                        "type": "cross_fields",
                        "operator": "and",
                        "fields": TEXT_FIELDS,
                        "zero_terms_query": "all",
                    }
                },
                {"multi_match": {"query": "code review", "type": "phrase", "fields": TEXT_FIELDS}},
            ],
            "must_not": [
                {
                    "multi_match": {
                        "query": "munich",
                        "type": "cross_fields",
                        "operator": "and",
                        "fields": TEXT_FIELDS,
                    }
                }
            ],
        }
    }
    assert TEXT_FIELDS == [
        "name^3",
        "tags^2",
        "seller_name^2",
        "category_name^2",
        "summary",
        "description",
    ]
    assert body["sort"] == [
        {"price_USD": {"order": "asc", "missing": 10**15, "unmapped_type": "long"}},
        {"id": "asc"},
    ]
    assert body["search_after"] == [4900, 12]
    assert body["aggs"] == {
        "categories": {
            "terms": {"field": "category_slug", "size": 1000},
            "aggs": {"label": {"terms": {"field": "category_name.keyword", "size": 1}}},
        },
        # One bucket per type the installed modules declare: software, service, widget, gig,
        # consult, digital, course, coursepass.
        "product_types": {"terms": {"field": "product_type", "size": 8}},
        "sellers": {
            "terms": {"field": "seller_slug", "size": 1000},
            "aggs": {"label": {"terms": {"field": "seller_name.keyword", "size": 1}}},
        },
        "price_bands": {
            "range": {
                "field": "price_USD",
                "ranges": [
                    {"key": "0-1000", "to": 1000},
                    {"key": "1000-5000", "from": 1000, "to": 5000},
                    {"key": "5000-10000", "from": 5000, "to": 10000},
                    {"key": "10000-50000", "from": 10000, "to": 50000},
                    {"key": "50000-", "from": 50000},
                ],
            }
        },
        "ratings": {
            "range": {
                "field": "stars",
                "ranges": [
                    {"key": "4", "from": 4},
                    {"key": "3", "from": 3},
                    {"key": "2", "from": 2},
                    {"key": "1", "from": 1},
                ],
            }
        },
    }


@pytest.mark.parametrize(
    ("sort", "text", "expected"),
    [
        (SortOrder.RELEVANCE, "code", [{"_score": "desc"}, {"id": "desc"}]),
        (
            SortOrder.RELEVANCE,  # no text: newest first, NULLs first as in Postgres
            "",
            [{"published_at": {"order": "desc", "missing": "_first"}}, {"id": "desc"}],
        ),
        (
            SortOrder.PRICE_DESC,
            "",
            [
                {"price_EUR": {"order": "desc", "missing": -1, "unmapped_type": "long"}},
                {"id": "desc"},
            ],
        ),
        (SortOrder.RATING, "", [{"rating_average_e3": "desc"}, {"id": "desc"}]),
    ],
)
def test_each_sort_order_is_a_sort_with_the_id_as_tie_breaker(
    tenant_a, opensearch, sort, text, expected
):
    opensearch.respond_to_search({"hits": {"hits": []}})
    with schema_context(tenant_a.schema_name):
        query = SearchQuery(currency="EUR", text=text, sort=sort)
        OpenSearchBackend().search(query, with_facets=False)

    (request,) = opensearch.requests
    assert request.body["sort"] == expected
    assert "search_after" not in request.body and "aggs" not in request.body


def test_websearch_or_binds_its_neighbours_and_quotes_make_phrases(tenant_a, opensearch):
    opensearch.respond_to_search({"hits": {"hits": []}})
    with schema_context(tenant_a.schema_name):
        query = SearchQuery(currency="USD", text='icons or "mockup studio" -draft')
        OpenSearchBackend().search(query, with_facets=False)

    must_not_draft = {
        "multi_match": {
            "query": "draft",
            "type": "cross_fields",
            "operator": "and",
            "fields": TEXT_FIELDS,
        }
    }
    assert opensearch.requests[0].body["query"]["bool"] == {
        "filter": [{"terms": {"product_type": ["software"]}}],
        "must": [
            {
                "bool": {
                    "should": [
                        {
                            "multi_match": {
                                "query": "icons",
                                "type": "cross_fields",
                                "operator": "and",
                                "fields": TEXT_FIELDS,
                            }
                        },
                        {
                            "multi_match": {
                                "query": "mockup studio",
                                "type": "phrase",
                                "fields": TEXT_FIELDS,
                            }
                        },
                    ],
                    "minimum_should_match": 1,
                }
            }
        ],
        "must_not": [must_not_draft],
    }


def test_products_of_a_module_switched_off_are_filtered_at_query_time(
    tenant_a, catalogue, opensearch
):
    set_module_enabled(tenant=tenant_a, key="beta", is_enabled=False)
    opensearch.respond_to_search({"hits": {"hits": []}})

    with schema_context(tenant_a.schema_name):
        OpenSearchBackend().search(SearchQuery(currency="USD"), with_facets=False)

    filters = opensearch.requests[0].body["query"]["bool"]["filter"]
    assert filters == [{"terms": {"product_type": ["software"]}}]  # no "service" any more


def test_hits_become_product_rows_in_hit_order_with_card_data(tenant_a, catalogue, opensearch):
    alias = alias_of(tenant_a)
    order = [catalogue[k] for k in ("mockups", "editor", "linter", "icons")]
    hits = [
        {"_index": f"{alias}-initial", "_id": str(p.pk), "_score": 9.5 - i, "sort": [9.5 - i, p.pk]}
        for i, p in enumerate(order)
    ]
    opensearch.respond_to_search({"hits": {"max_score": 9.5, "hits": hits}})

    with schema_context(tenant_a.schema_name):
        queries_per_page = {}
        for limit in (1, 3):
            with CaptureQueriesContext(connection) as captured:
                result = OpenSearchBackend().search(
                    SearchQuery(currency="USD", text="code", limit=limit), with_facets=False
                )
            queries_per_page[limit] = sum(q["sql"].startswith("SELECT") for q in captured)
        with CaptureQueriesContext(connection) as captured:
            cards = [presenters.card(p, "USD") for p in result.items]

    assert [p.pk for p in result.items] == [p.pk for p in order[:3]]
    assert all(type(p) is Product for p in result.items)
    assert [card["price"]["amount"] for card in cards] == [25_000, 4900, 900]
    assert len(captured) == 0  # seller, category, prices and images came with the page
    # Rows, prices, images (and the tenant row and search_path; the enabled modules come from
    # the cache): the same whatever the page size.
    assert queries_per_page == {1: 5, 3: 5}
    assert result.next_cursor == encode_cursor([7.5, order[2].pk])  # the last row's sort values
    assert result.facets is None


def test_a_hit_that_is_no_longer_visible_is_left_out(tenant_a, catalogue, opensearch):
    hits = [
        {"_id": str(catalogue[k].pk), "sort": [1.0, catalogue[k].pk]} for k in ("draft", "icons")
    ]
    opensearch.respond_to_search({"hits": {"hits": hits}})

    with schema_context(tenant_a.schema_name):
        query = SearchQuery(currency="USD", text="pro")
        result = OpenSearchBackend().search(query, with_facets=False)

    assert [p.name for p in result.items] == ["Icon Pack Pro"]


@pytest.mark.parametrize(
    "filters",
    [
        {"text": "code"},
        {},
        {"category": "developer-tools"},
        {"min_rating": 1},
        {"text": "design", "seller": "zen"},
    ],
)
def test_facets_equal_the_postgres_backend_for_the_same_data(
    tenant_a, catalogue, opensearch, filters
):
    with_live_index(opensearch, tenant_a)
    documents = index_everything(opensearch, tenant_a)
    query = SearchQuery(currency="USD", limit=50, **filters)
    with schema_context(tenant_a.schema_name):
        expected = PostgresSearchBackend().search(query, with_facets=True)
        matching(opensearch, documents, [p.pk for p in expected.items], index=alias_of(tenant_a))

        result = OpenSearchBackend().search(query, with_facets=True)

    assert result.facets == expected.facets
    assert {p.pk for p in result.items} == {p.pk for p in expected.items}


@pytest.mark.parametrize(
    "sort", [SortOrder.NEWEST, SortOrder.PRICE_ASC, SortOrder.PRICE_DESC, SortOrder.RATING]
)
def test_pages_walk_in_the_postgres_order_via_search_after(tenant_a, catalogue, opensearch, sort):
    with_live_index(opensearch, tenant_a)
    documents = index_everything(opensearch, tenant_a)
    with schema_context(tenant_a.schema_name):
        expected = PostgresSearchBackend().search(
            SearchQuery(currency="USD", sort=sort, limit=50), with_facets=False
        )
        matching(opensearch, documents, [p.pk for p in expected.items], index=alias_of(tenant_a))
        seen, cursor = [], None
        for _ in range(5):
            query = SearchQuery(currency="USD", sort=sort, limit=4, cursor=cursor)
            page = OpenSearchBackend().search(query, with_facets=False)
            seen += [p.name for p in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break

    assert seen == [p.name for p in expected.items]
    searches = opensearch.sent("POST", r".*/_search")
    assert len(searches) == 2 and "search_after" in searches[1].body


@pytest.mark.parametrize(
    "cursor",
    ["not a cursor", encode_cursor([1, 2, 3]), encode_cursor(["x", 4]), encode_cursor([True, 1])],
)
def test_a_cursor_that_does_not_decode_is_a_400_and_nothing_is_sent(tenant_a, opensearch, cursor):
    with schema_context(tenant_a.schema_name), pytest.raises(HttpError) as error:
        query = SearchQuery(currency="USD", sort=SortOrder.PRICE_ASC, cursor=cursor)
        OpenSearchBackend().search(query, with_facets=False)

    assert error.value.status_code == 400
    assert opensearch.requests == []


# --- suggestions --------------------------------------------------------------------------------


def test_suggest_sends_a_prefix_query_on_the_lowercase_name(tenant_a, opensearch):
    alias = alias_of(tenant_a)
    hits = [
        {"_id": "4", "_source": {"name": "Code review in Berlin", "slug": "code-review-in-berlin"}},
        {"_id": "5", "_source": {"name": "Code review in Munich", "slug": "code-review-in-munich"}},
    ]
    opensearch.respond_to_search({"hits": {"hits": hits}})

    with schema_context(tenant_a.schema_name):
        backend = OpenSearchBackend()
        suggestions = backend.suggest("  CO ", limit=5)
        assert backend.suggest("c") == []

    assert [(s.name, s.slug) for s in suggestions] == [
        ("Code review in Berlin", "code-review-in-berlin"),
        ("Code review in Munich", "code-review-in-munich"),
    ]
    (request,) = opensearch.requests  # the one-letter prefix sent nothing
    assert (request.method, request.path) == ("POST", f"/{alias}/_search")
    assert request.body == {
        "size": 5,
        "_source": ["name", "slug"],
        "query": {
            "bool": {
                "filter": [
                    {"prefix": {"name_lower": "co"}},
                    {"terms": {"product_type": ["software"]}},
                ]
            }
        },
        "sort": [{"name_lower": "asc"}, {"id": "asc"}],
    }


# --- reindex ------------------------------------------------------------------------------------


def test_reindex_fills_a_new_index_swaps_the_alias_in_one_request_and_drops_the_old(
    tenant_a, catalogue, opensearch
):
    alias = alias_of(tenant_a)
    old = with_live_index(opensearch, tenant_a)
    opensearch.documents[old] = {"999": {"id": 999, "name": "Stale"}}
    recent = catalogue["linter"]
    with schema_context(tenant_a.schema_name):
        long_ago = timezone.now() - 2 * CATCH_UP_MARGIN
        Product.objects.exclude(pk=recent.pk).update(updated_at=long_ago)
        visible = sorted(p.pk for k, p in catalogue.items() if k != "draft")
    out = io.StringIO()

    call_command("reindex", schema=[tenant_a.schema_name], stdout=out)

    new = opensearch.requests[0].path.lstrip("/")
    assert re.fullmatch(rf"{re.escape(alias)}-\d{{20}}", new)
    assert opensearch.summary() == [
        f"PUT /{new}",
        "POST /_bulk",
        f"POST /{new}/_refresh",
        f"GET /_alias/{alias}",
        "POST /_aliases",
        f"HEAD /_alias/{alias}",  # catch-up: changed while the new index filled
        "POST /_bulk",
        f"DELETE /{old}",
    ]
    create, fill, _, _, swap, _, catch_up, _ = opensearch.requests
    with schema_context(tenant_a.schema_name):
        assert create.body == index_definition()  # no alias yet: the old index still serves
    assert fill.lines[::2] == [{"index": {"_index": new, "_id": str(pk)}} for pk in visible]
    assert swap.body == {
        "actions": [
            {"remove": {"index": old, "alias": alias}},
            {"add": {"index": new, "alias": alias}},
        ]
    }
    assert catch_up.lines[::2] == [{"index": {"_index": alias, "_id": str(recent.pk)}}]
    assert opensearch.aliases == {alias: {new}}
    assert opensearch.indexes == {new}
    assert sorted(int(pk) for pk in opensearch.documents[new]) == visible
    assert out.getvalue() == (
        f"{tenant_a.schema_name}: 6 product(s) into {new} (alias {alias}; replaced {old})\n"
    )


def test_reindex_without_schema_rebuilds_every_tenant(tenant_a, tenant_b, opensearch):
    for tenant in (tenant_a, tenant_b):
        make_product(tenant, make_seller(tenant, "acme"), "Lint Master")
    out = io.StringIO()

    call_command("reindex", stdout=out)

    created = {r.path.lstrip("/").rsplit("-", 1)[0] for r in opensearch.sent("PUT")}
    assert {alias_of(tenant_a), alias_of(tenant_b)} <= created
    assert "public" not in " ".join(created)
    for tenant in (tenant_a, tenant_b):
        assert alias_of(tenant) in opensearch.aliases
        assert f"{tenant.schema_name}: 1 product(s) into " in out.getvalue()


def test_a_failed_reindex_drops_the_new_index_and_leaves_the_alias_alone(
    tenant_a, catalogue, opensearch
):
    alias = alias_of(tenant_a)
    old = with_live_index(opensearch, tenant_a)
    opensearch.fail_bulk_with = "mapper_parsing_exception"
    err = io.StringIO()

    with pytest.raises(CommandError, match="1 tenant"):
        call_command("reindex", schema=[tenant_a.schema_name], stdout=io.StringIO(), stderr=err)

    new = opensearch.requests[0].path.lstrip("/")
    assert opensearch.summary() == [f"PUT /{new}", "POST /_bulk", f"DELETE /{new}"]
    assert opensearch.sent("POST", "/_aliases") == []
    assert opensearch.aliases == {alias: {old}}
    assert opensearch.indexes == {old}
    assert f"FAILED {tenant_a.schema_name}: BulkIndexError" in err.getvalue()


def test_reindex_of_an_unknown_schema_is_refused(db, opensearch):
    with pytest.raises(CommandError, match="no tenant with schema nope"):
        call_command("reindex", schema=["nope"])
    assert opensearch.requests == []


# --- the outbox ---------------------------------------------------------------------------------


def test_products_changed_reaches_opensearch_through_the_outbox(tenant_a, opensearch):
    alias = alias_of(tenant_a)
    with_live_index(opensearch, tenant_a)
    product = make_product(tenant_a, make_seller(tenant_a, "acme"), "Lint Master")
    with schema_context(tenant_a.schema_name):
        OutboxEvent.objects.update(dispatched_at=timezone.now())  # given: nothing pending
        assert isinstance(get_search_backend(), OpenSearchBackend)

        emit(PRODUCTS_CHANGED, {"product_ids": [product.pk]})
        assert dispatch_pending() == 1

    assert opensearch.summary() == [f"HEAD /_alias/{alias}", "POST /_bulk"]
    assert opensearch.requests[1].lines[0] == {"index": {"_index": alias, "_id": str(product.pk)}}
    assert opensearch.requests[1].lines[1]["name"] == "Lint Master"


def test_an_unreachable_cluster_leaves_the_event_pending(tenant_a, opensearch, settings):
    product = make_product(tenant_a, make_seller(tenant_a, "acme"), "Lint Master")
    opensearch.stop()  # nothing listens on its port any more
    with schema_context(tenant_a.schema_name):
        OutboxEvent.objects.update(dispatched_at=timezone.now())
        emit(PRODUCTS_CHANGED, {"product_ids": [product.pk]})

        assert dispatch_pending() == 0
        event = OutboxEvent.objects.get(dispatched_at__isnull=True)
    assert (event.attempts, event.last_error.split(":")[0]) == (1, "ConnectionError")


def empty_aggregations() -> dict:
    no_terms = {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": []}
    return {
        "categories": no_terms,
        "product_types": no_terms,
        "sellers": no_terms,
        "price_bands": {"buckets": []},
        "ratings": {"buckets": []},
    }
