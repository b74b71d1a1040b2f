"""Query semantics of the catalogue search, run against the Postgres backend: text relevance,
filters, facets, sorting, geo radius, suggestions, pagination. (The OpenSearch backend is held
to the same semantics through its wire contract.)"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.catalog.models import Product, SearchEntry
from core.catalog.search import SearchQuery, get_search_backend
from core.catalog.search.query import GeoFilter, SortOrder
from core.catalog.services.categories import move_category
from core.catalog.services.products import reprice, transition
from tenants.services import set_module_enabled
from tests.catalog_helpers import make_category, make_product, make_seller


@pytest.fixture
def catalogue(tenant_a):
    set_module_enabled(tenant=tenant_a, key="beta", is_enabled=True)  # services are sold too
    acme = make_seller(tenant_a, "acme", "Acme Tools", product_types=("software", "service"))
    zen = make_seller(tenant_a, "zen", "Zen Labs")
    tools = make_category(tenant_a, "Developer tools")
    editors = make_category(tenant_a, "Editors", parent=tools)
    design = make_category(tenant_a, "Design")
    products = {
        "editor": make_product(
            tenant_a,
            acme,
            "Swift Code Editor",
            price=4900,
            category_slug=editors.slug,
            tags=["editor", "ide"],
            summary="A fast editor for code",
        ),
        "linter": make_product(
            tenant_a,
            acme,
            "Lint Master",
            price=900,
            category_slug=tools.slug,
            summary="Finds bugs in your code",
        ),
        "icons": make_product(
            tenant_a, zen, "Icon Pack Pro", price=1900, category_slug=design.slug, tags=["icons"]
        ),
        "mockups": make_product(
            tenant_a,
            zen,
            "Mockup Studio",
            price=25_000,
            category_slug=design.slug,
            summary="Design mockups, fast",
        ),
        "berlin": make_product(
            tenant_a,
            acme,
            "Code review in Berlin",
            price=50_000,
            product_type="service",
            latitude_e6=52_520_000,
            longitude_e6=13_405_000,
        ),
        "munich": make_product(
            tenant_a,
            acme,
            "Code review in Munich",
            price=45_000,
            product_type="service",
            latitude_e6=48_137_000,
            longitude_e6=11_575_000,
        ),
        "draft": make_product(tenant_a, zen, "Secret Editor Draft", publish=False),
    }
    with schema_context(tenant_a.schema_name):
        Product.objects.filter(pk=products["icons"].pk).update(rating_count=2, rating_total=9)
        Product.objects.filter(pk=products["linter"].pk).update(rating_count=1, rating_total=3)
    return products


def search(tenant, **kwargs):
    with schema_context(tenant.schema_name):
        facets = kwargs.pop("with_facets", False)
        result = get_search_backend().search(
            SearchQuery(currency="USD", **kwargs), with_facets=facets
        )
        return [p.name for p in result.items], result


def test_text_search_ranks_name_matches_first_and_hides_drafts(tenant_a, catalogue):
    names, _ = search(tenant_a, text="editor")
    assert names[0] == "Swift Code Editor"
    assert "Secret Editor Draft" not in names


def test_websearch_syntax_quotes_and_negation(tenant_a, catalogue):
    assert search(tenant_a, text='"code review" -munich')[0] == ["Code review in Berlin"]
    assert set(search(tenant_a, text="code -review")[0]) == {"Lint Master", "Swift Code Editor"}


def test_seller_and_category_names_are_searchable(tenant_a, catalogue):
    assert set(search(tenant_a, text="zen labs")[0]) == {"Icon Pack Pro", "Mockup Studio"}
    assert set(search(tenant_a, text="design")[0]) == {"Icon Pack Pro", "Mockup Studio"}


def test_category_filter_includes_subcategories(tenant_a, catalogue):
    assert set(search(tenant_a, category="developer-tools")[0]) == {
        "Swift Code Editor",
        "Lint Master",
    }
    assert search(tenant_a, category="editors")[0] == ["Swift Code Editor"]


def test_type_seller_price_and_rating_filters(tenant_a, catalogue):
    assert set(search(tenant_a, product_types=("service",))[0]) == {
        "Code review in Berlin",
        "Code review in Munich",
    }
    assert set(search(tenant_a, seller="zen")[0]) == {"Icon Pack Pro", "Mockup Studio"}
    assert set(search(tenant_a, price_min=1000, price_max=5000)[0]) == {
        "Swift Code Editor",
        "Icon Pack Pro",
    }
    assert search(tenant_a, min_rating=4)[0] == ["Icon Pack Pro"]
    # Sorted by price, the bounds also narrow the price index the page is read from.
    for sort in (SortOrder.PRICE_ASC, SortOrder.PRICE_DESC):
        names = search(tenant_a, price_min=1000, price_max=5000, sort=sort)[0]
        assert set(names) == {"Swift Code Editor", "Icon Pack Pro"}


def test_sorting(tenant_a, catalogue):
    assert search(tenant_a, sort=SortOrder.PRICE_ASC)[0][:3] == [
        "Lint Master",
        "Icon Pack Pro",
        "Swift Code Editor",
    ]
    assert search(tenant_a, sort=SortOrder.PRICE_DESC)[0][0] == "Code review in Berlin"
    assert search(tenant_a, sort=SortOrder.RATING)[0][:2] == ["Icon Pack Pro", "Lint Master"]
    newest = search(tenant_a, sort=SortOrder.NEWEST)[0]
    assert newest[0] == "Code review in Munich" and len(newest) == 6


def test_geo_radius_finds_services_near_a_point(tenant_a, catalogue):
    potsdam = GeoFilter(latitude_e6=52_390_000, longitude_e6=13_065_000, radius_km=50)
    assert search(tenant_a, near=potsdam)[0] == ["Code review in Berlin"]
    wide = GeoFilter(latitude_e6=52_390_000, longitude_e6=13_065_000, radius_km=600)
    assert set(search(tenant_a, near=wide)[0]) == {"Code review in Berlin", "Code review in Munich"}


def test_facets_count_the_filtered_results(tenant_a, catalogue):
    _, result = search(tenant_a, text="code", with_facets=True)
    facets = result.facets
    assert {(f.value, f.count) for f in facets.product_types} == {("software", 2), ("service", 2)}
    assert {(f.value, f.count) for f in facets.sellers} == {("acme", 4)}
    assert {(f.value, f.count) for f in facets.categories} == {
        ("editors", 1),
        ("developer-tools", 1),
    }
    assert [(f.label, f.count) for f in facets.price_bands] == [
        ("0-10", 1),
        ("10-50", 1),
        ("100-500", 1),
        ("500+", 1),
    ]
    assert [(f.value, f.count) for f in facets.ratings] == [("3", 1), ("2", 1), ("1", 1)]
    assert facets.is_approximate is False


def facet_counts(facets):
    return [
        [(f.value, f.count) for f in group]
        for group in (
            facets.categories,
            facets.product_types,
            facets.sellers,
            facets.price_bands,
            facets.ratings,
        )
    ]


def test_broad_queries_estimate_their_facet_counts_and_say_so(tenant_a, catalogue, monkeypatch):
    names, exact = search(tenant_a, text="code", with_facets=True, sort=SortOrder.PRICE_ASC)
    # Past the exact limit, counts come from a sample of the table's pages: all of them here
    # (a small table), so the estimates equal the exact counts; the page is never estimated.
    monkeypatch.setattr("core.catalog.search.postgres.FACET_EXACT_LIMIT", 2)
    broad_names, broad = search(tenant_a, text="code", with_facets=True, sort=SortOrder.PRICE_ASC)

    assert broad.facets.is_approximate is True
    assert facet_counts(broad.facets) == facet_counts(exact.facets)
    assert broad_names == names and len(names) == 4
    narrow_names, narrow = search(tenant_a, text="icons", with_facets=True)
    assert narrow_names == ["Icon Pack Pro"] and narrow.facets.is_approximate is False


def test_broad_queries_rank_their_most_reviewed_matches(tenant_a, catalogue, monkeypatch):
    """Relevance ranks the matches the counting pass reads (the exact limit and one more), the
    most reviewed first, with or without facets; the other orders still see every match."""
    monkeypatch.setattr("core.catalog.search.postgres.FACET_EXACT_LIMIT", 2)
    ranked, result = search(tenant_a, text="code", with_facets=True)
    without_facets, _ = search(tenant_a, text="code")

    # Lint Master has the only rating; the ties go to the newest products.
    assert set(ranked) == {"Lint Master", "Code review in Munich", "Code review in Berlin"}
    assert without_facets == ranked and result.facets.is_approximate is True
    assert len(search(tenant_a, text="code", sort=SortOrder.NEWEST)[0]) == 4


def test_large_catalogues_tell_broad_queries_from_the_planners_estimate(
    tenant_a, catalogue, monkeypatch
):
    """Above BROAD_ESTIMATE entries, a query the planner expects to match more than that skips
    the exact count (estimated facets, the same page) and relevance ranks its BROAD_RANKED most
    reviewed matches, with or without facets; a query the sample then finds narrow is counted
    exactly after all."""
    names, exact = search(tenant_a, text="code", with_facets=True, sort=SortOrder.PRICE_ASC)
    with schema_context(tenant_a.schema_name), connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_searchentry")  # the size the next search reads
    search(tenant_a, text="code")
    monkeypatch.setattr("core.catalog.search.postgres.BROAD_ESTIMATE", 0)
    monkeypatch.setattr("core.catalog.search.postgres.FACET_EXACT_LIMIT", 2)
    monkeypatch.setattr("core.catalog.search.postgres.BROAD_RANKED", 2)

    with CaptureQueriesContext(connection) as queries:
        broad_names, broad = search(
            tenant_a, text="code", with_facets=True, sort=SortOrder.PRICE_ASC
        )
    assert any(query["sql"].startswith("EXPLAIN") for query in queries)
    assert not any("MATERIALIZED" in query["sql"] for query in queries)  # no counting pass
    assert broad_names == names and broad.facets.is_approximate is True
    assert facet_counts(broad.facets) == facet_counts(exact.facets)  # the sample is all here
    ranked, result = search(tenant_a, text="code", with_facets=True)
    without_facets, _ = search(tenant_a, text="code")
    assert len(ranked) == 2 and "Lint Master" in ranked  # the only one with a rating
    assert without_facets == ranked and result.facets.is_approximate is True
    narrow_names, narrow = search(tenant_a, text="icons", with_facets=True)
    assert narrow_names == ["Icon Pack Pro"] and narrow.facets.is_approximate is False


@pytest.mark.parametrize(
    ("sort", "with_facets"),
    [
        (SortOrder.PRICE_ASC, False),
        (SortOrder.PRICE_DESC, True),
        (SortOrder.NEWEST, False),
        (SortOrder.RATING, True),
    ],
)
def test_keyset_pagination_walks_every_result_once(tenant_a, catalogue, sort, with_facets):
    seen, cursor = [], None
    for _ in range(10):
        with schema_context(tenant_a.schema_name):
            result = get_search_backend().search(
                SearchQuery(currency="USD", sort=sort, limit=4, cursor=cursor),
                with_facets=with_facets,
            )
        seen += [p.name for p in result.items]
        cursor = result.next_cursor
        if cursor is None:
            break
    assert len(seen) == 6 == len(set(seen))


def test_prefix_suggestions(tenant_a, catalogue):
    with schema_context(tenant_a.schema_name):
        backend = get_search_backend()
        assert [s.name for s in backend.suggest("co")] == [
            "Code review in Berlin",
            "Code review in Munich",
        ]
        assert [s.name for s in backend.suggest("SWI")] == ["Swift Code Editor"]
        assert backend.suggest("s") == []
        assert backend.suggest("secret") == []  # drafts never leak
        assert backend.suggest("%") == []


def test_products_of_modules_turned_off_disappear(tenant_a, catalogue):
    set_module_enabled(tenant=tenant_a, key="beta", is_enabled=False)
    names, _ = search(tenant_a, text="code")
    assert "Code review in Berlin" not in names


def test_search_is_per_tenant(tenant_a, tenant_b, catalogue):
    other = make_seller(tenant_b, "other")
    make_product(tenant_b, other, "Swift Code Editor Clone")
    assert "Swift Code Editor Clone" not in search(tenant_a, text="swift")[0]
    assert search(tenant_b, text="swift")[0] == ["Swift Code Editor Clone"]


def test_relevance_pages_follow_the_ranking(tenant_a, catalogue):
    _, everything = search(tenant_a, text="code", limit=10)
    first, page = search(tenant_a, text="code", limit=2)
    second, _ = search(tenant_a, text="code", limit=2, cursor=page.next_cursor)
    assert first + second == [p.name for p in everything.items]


def test_search_entries_follow_every_writer(tenant_a, catalogue):
    """Triggers keep the entries in step, whoever writes: services, bulk and queryset updates."""
    linter = catalogue["linter"]
    with schema_context(tenant_a.schema_name):
        reprice(product=linter, prices={"USD": 99_000})
        Product.objects.filter(pk=catalogue["icons"].pk).update(rating_count=1, rating_total=1)
    assert search(tenant_a, price_min=90_000)[0] == ["Lint Master"]
    assert search(tenant_a, min_rating=4)[0] == []

    with schema_context(tenant_a.schema_name):
        transition(product=Product.objects.get(pk=linter.pk), action="unpublish")
    assert "Lint Master" not in search(tenant_a, text="code")[0]

    editor = catalogue["editor"]
    with schema_context(tenant_a.schema_name):
        editors = editor.category
        move_category(category=editors, parent_id=None)  # out of "Developer tools"
        entry = SearchEntry.objects.get(product=editor)
    assert entry.facet_keys == ["t:software", f"s:{editor.seller_id}", "c:editors"]
    assert search(tenant_a, category="developer-tools")[0] == []


@pytest.mark.parametrize("with_facets", [False, True])
def test_products_without_a_price_in_the_currency_sort_last(tenant_a, catalogue, with_facets):
    tenant_a.extra_currencies = ["EUR"]
    tenant_a.save(update_fields=["extra_currencies"])
    with schema_context(tenant_a.schema_name):
        reprice(product=catalogue["icons"], prices={"USD": 1900, "EUR": 1700})
        reprice(product=catalogue["mockups"], prices={"USD": 25_000, "EUR": 23_000})

    def walk(sort):
        names, cursor = [], None
        for _ in range(10):
            with schema_context(tenant_a.schema_name):
                result = get_search_backend().search(
                    SearchQuery(currency="EUR", sort=sort, limit=3, cursor=cursor),
                    with_facets=with_facets,
                )
            names += [p.name for p in result.items]
            if not (cursor := result.next_cursor):
                return names
        raise AssertionError("pagination did not end")

    cheapest = walk(SortOrder.PRICE_ASC)
    dearest = walk(SortOrder.PRICE_DESC)
    assert cheapest[:2] == ["Icon Pack Pro", "Mockup Studio"] and len(set(cheapest)) == 6
    assert dearest[:2] == ["Mockup Studio", "Icon Pack Pro"] and len(set(dearest)) == 6
