"""Search on OpenSearch: one index per tenant behind the alias ``<prefix>-<schema>-products``,
fed by the outbox, with the query semantics of the Postgres backend. OpenSearch finds and
orders ids; the rows a caller gets are loaded from PostgreSQL, so both backends return the
same objects (and nothing that stopped being visible since it was indexed)."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from ninja.errors import HttpError
from opensearchpy import NotFoundError, OpenSearch, RequestError, helpers

from core.catalog.models import Category, Product, ProductPrice
from core.catalog.search import module_facets
from core.catalog.search.query import (
    PRICE_BAND_EDGES,
    FacetCount,
    Facets,
    SearchQuery,
    SearchResult,
    SortOrder,
    Suggestion,
)
from core.catalog.search_index import search_config
from core.catalog.selectors import visible_products, with_card_data
from core.money import CURRENCY_EXPONENTS
from core.pagination import decode_cursor, encode_cursor
from core.registry import get_registry
from core.registry.enablement import sellable_product_types
from core.schema import current_schema_name

NO_PRICE = 10**15  # as in the Postgres backend: no price in the currency sorts last
TEXT_FIELDS = ["name^3", "tags^2", "seller_name^2", "category_name^2", "summary", "description"]
FACET_TERMS_SIZE = 1000  # one shard keeps these counts exact (Postgres: exact to 10,000 matches)
BATCH = 500
# Products changed this close to the start of a reindex are indexed again after the swap, so
# an outbox delivery that wrote to the old index while the new one filled is not lost.
CATCH_UP_MARGIN = timedelta(minutes=1)
INVALID_CURSOR = "The cursor is not valid; start again without it."


@functools.cache
def _client(url: str) -> OpenSearch:
    return OpenSearch(hosts=[url], timeout=10, max_retries=2, retry_on_timeout=True)


def client() -> OpenSearch:
    return _client(str(getattr(settings, "OPENSEARCH_URL", "http://127.0.0.1:9200")))


def alias_name() -> str:
    prefix = str(getattr(settings, "OPENSEARCH_INDEX_PREFIX", "souk"))
    return f"{prefix}-{current_schema_name()}-products".lower()


def index_definition() -> dict[str, Any]:
    # The Postgres text-search config name doubles as the OpenSearch language analyzer
    # (english, german, simple, ...), so both backends stem and drop stop words alike.
    text = {"type": "text", "analyzer": search_config()}
    labelled = {**text, "fields": {"keyword": {"type": "keyword"}}}
    return {
        # Per-tenant indexes are small: one shard keeps scores and facet counts exact.
        "settings": {"index": {"number_of_shards": 1}},
        "mappings": {
            "dynamic_templates": [
                {"prices": {"match": "price_*", "mapping": {"type": "long"}}},
            ],
            "properties": {
                "id": {"type": "long"},
                "slug": {"type": "keyword"},
                "name": text,
                "name_lower": {"type": "keyword"},
                "summary": text,
                "description": text,
                "tags": text,
                "seller_slug": {"type": "keyword"},
                "seller_name": labelled,
                "category_slug": {"type": "keyword"},
                "category_name": labelled,
                "category_path": {"type": "keyword"},
                "product_type": {"type": "keyword"},
                "rating_count": {"type": "integer"},
                "rating_total": {"type": "integer"},
                "stars": {"type": "integer"},
                "rating_average_e3": {"type": "integer"},
                "published_at": {"type": "date"},
                "location": {"type": "geo_point"},
                "module_keys": {"type": "keyword"},  # modules' facet terms ("d:3")
            },
        },
    }


class OpenSearchBackend:
    def search(self, query: SearchQuery, *, with_facets: bool) -> SearchResult:
        body = search_body(query, with_facets=with_facets)
        response = client().search(index=alias_name(), body=body)
        hits = response["hits"]["hits"]
        page = hits[: query.limit]
        next_cursor = None
        if len(hits) > query.limit and page:
            next_cursor = encode_cursor(page[-1]["sort"])
        ids = [int(hit["_id"]) for hit in page]
        items: list[Product] = []
        if ids:
            rows = with_card_data(visible_products().filter(pk__in=ids))
            by_id = {row.pk: row for row in rows}
            items = [by_id[pk] for pk in ids if pk in by_id]
        facets = facets_from(response["aggregations"], query) if with_facets else None
        return SearchResult(items=items, next_cursor=next_cursor, facets=facets)

    def suggest(self, prefix: str, *, limit: int = 8) -> list[Suggestion]:
        prefix = prefix.strip().lower()[:60]
        if len(prefix) < 2:
            return []
        body = {
            "size": limit,
            "_source": ["name", "slug"],
            "query": {
                "bool": {
                    "filter": [
                        {"prefix": {"name_lower": prefix}},
                        {"terms": {"product_type": sorted(sellable_product_types())}},
                    ]
                }
            },
            "sort": [{"name_lower": "asc"}, {"id": "asc"}],
        }
        response = client().search(index=alias_name(), body=body)
        return [
            Suggestion(name=hit["_source"]["name"], slug=hit["_source"]["slug"])
            for hit in response["hits"]["hits"]
        ]

    def index_products(self, product_ids: Sequence[int]) -> None:
        """Visible products are (re)indexed, every other id is deleted: one ``_bulk``."""
        if not product_ids:
            return
        alias = ensure_alias()
        wanted = {int(pk) for pk in product_ids}
        visible = _documents(visible_products().filter(pk__in=wanted))
        actions: list[dict[str, Any]] = [
            {"_op_type": "index", "_index": alias, "_id": str(doc["id"]), "_source": doc}
            for doc in visible
        ]
        indexed = {doc["id"] for doc in visible}
        actions += [_delete(alias, pk) for pk in sorted(wanted - indexed)]
        _bulk(actions)

    def remove_products(self, product_ids: Sequence[int]) -> None:
        if product_ids:
            alias = ensure_alias()
            _bulk([_delete(alias, int(pk)) for pk in product_ids])

    def drop_tenant_index(self) -> list[str]:
        """Delete every index behind the current tenant's alias (hard deletion of a tenant);
        returns their names. Nothing to do when the tenant never had one."""
        opensearch = client()
        try:
            indexes = sorted(opensearch.indices.get_alias(name=alias_name()))
        except NotFoundError:
            return []
        for index in indexes:
            opensearch.indices.delete(index=index)
        return indexes

    def rebuild_index(self) -> RebuiltIndex:
        """Zero-downtime reindex of the current tenant: fill a new index, swap the alias to it
        in one atomic ``_aliases`` request, then drop the old index."""
        opensearch = client()
        alias = alias_name()
        started = timezone.now()
        new_index = f"{alias}-{started.strftime('%Y%m%d%H%M%S%f')}"
        opensearch.indices.create(index=new_index, body=index_definition())
        try:
            count = _bulk(
                {"_op_type": "index", "_index": new_index, "_id": str(doc["id"]), "_source": doc}
                for doc in _all_visible_documents()
            )
            opensearch.indices.refresh(index=new_index)
            old_indexes = _indexes_behind(alias)
            removals = [{"remove": {"index": old, "alias": alias}} for old in old_indexes]
            opensearch.indices.update_aliases(
                body={"actions": [*removals, {"add": {"index": new_index, "alias": alias}}]}
            )
        except Exception:
            opensearch.indices.delete(index=new_index)
            raise
        changed = Product.objects.filter(updated_at__gte=started - CATCH_UP_MARGIN)
        self.index_products(list(changed.values_list("pk", flat=True)))
        if old_indexes:
            opensearch.indices.delete(index=",".join(old_indexes))
        return RebuiltIndex(alias=alias, index=new_index, count=count, replaced=old_indexes)


@dataclass(frozen=True)
class RebuiltIndex:
    alias: str
    index: str
    count: int
    replaced: list[str]


# --- the index ---------------------------------------------------------------------------------


def ensure_alias() -> str:
    """The tenant's alias, created with a first index if the tenant has none yet. The first
    index has a fixed name, so two workers racing to create it make one index, not two."""
    opensearch = client()
    alias = alias_name()
    if not opensearch.indices.exists_alias(name=alias):
        try:
            opensearch.indices.create(
                index=f"{alias}-initial", body={**index_definition(), "aliases": {alias: {}}}
            )
        except RequestError as error:
            if error.error != "resource_already_exists_exception":
                raise
    return alias


def _indexes_behind(alias: str) -> list[str]:
    try:
        return sorted(client().indices.get_alias(name=alias))
    except NotFoundError:
        return []


def _delete(index: str, product_id: int) -> dict[str, Any]:
    return {"_op_type": "delete", "_index": index, "_id": str(product_id)}


def _bulk(actions: Iterable[dict[str, Any]]) -> int:
    # Deleting a document that is not there answers 404 "not_found": that is the goal reached.
    succeeded, _ = helpers.bulk(client(), actions, chunk_size=BATCH, ignore_status=(404,))
    return int(succeeded)


def _all_visible_documents() -> Iterator[dict[str, Any]]:
    ids = list(visible_products().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        yield from _documents(visible_products().filter(pk__in=ids[start : start + BATCH]))


def _documents(products: QuerySet[Product]) -> list[dict[str, Any]]:
    rows = list(
        products.select_related("seller", "category", "search_entry")
        .prefetch_related(
            Prefetch("prices", queryset=ProductPrice.objects.filter(variant__isnull=True))
        )
        .order_by("pk")
    )
    paths = {row.category.path for row in rows if row.category is not None}
    ancestor_ids = {int(part) for path in paths for part in path.strip("/").split("/") if part}
    slugs = dict(Category.objects.filter(pk__in=ancestor_ids).values_list("pk", "slug"))
    return [_document(row, slugs) for row in rows]


def _document(product: Product, category_slugs: dict[int, str]) -> dict[str, Any]:
    category = product.category
    stars = product.rating_total // product.rating_count if product.rating_count else 0
    document: dict[str, Any] = {
        "id": product.pk,
        "slug": product.slug,
        "name": product.name,
        "name_lower": product.name.lower(),
        "summary": product.summary,
        "description": product.description,
        "tags": list(product.tags),
        "seller_slug": product.seller.slug,
        "seller_name": product.seller.business_name,
        "product_type": product.product_type,
        "rating_count": product.rating_count,
        "rating_total": product.rating_total,
        "stars": stars,
        # The Postgres rating sort key: integer average x 1000.
        "rating_average_e3": product.rating_total * 1000 // max(product.rating_count, 1),
        "published_at": product.published_at.isoformat() if product.published_at else None,
    }
    if category is not None:
        ids = [int(part) for part in category.path.strip("/").split("/") if part]
        document["category_slug"] = category.slug
        document["category_name"] = category.name
        document["category_path"] = [category_slugs[pk] for pk in ids if pk in category_slugs]
    if (
        product.latitude_e6 is not None
        and product.product_type in get_registry().located_product_types()
    ):
        assert product.longitude_e6 is not None  # a check constraint sets both or neither
        document["location"] = {
            "lat": product.latitude_e6 / 1e6,
            "lon": product.longitude_e6 / 1e6,
        }
    for price in product.prices.all():
        document[f"price_{price.currency}"] = price.amount
    entry = getattr(product, "search_entry", None)
    if entry is not None and entry.module_keys:  # modules' facet terms (module_facets)
        document["module_keys"] = list(entry.module_keys)
    return document


# --- the query ---------------------------------------------------------------------------------


def search_body(query: SearchQuery, *, with_facets: bool) -> dict[str, Any]:
    sort = _sort(query)
    must, must_not = text_clauses(query.text[:200]) if query.text else ([], [])
    boolean: dict[str, Any] = {"filter": _filters(query)}
    if must:
        boolean["must"] = must
    if must_not:
        boolean["must_not"] = must_not
    body: dict[str, Any] = {
        "size": query.limit + 1,  # one more tells whether there is a next page
        "_source": False,
        "track_total_hits": False,
        "query": {"bool": boolean},
        "sort": sort,
    }
    if query.cursor:
        body["search_after"] = _search_after(query.cursor, width=len(sort))
    if with_facets:
        body["aggs"] = _aggregations(query)
    return body


def _search_after(cursor: str, *, width: int) -> list[int | float]:
    values = decode_cursor(cursor, width)
    # Every sort key here is a number; anything else would be a 400 from OpenSearch instead.
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise HttpError(400, INVALID_CURSOR)
    return values


def _filters(query: SearchQuery) -> list[dict[str, Any]]:
    # Visibility is decided at indexing time, but a module switched off on the marketplace
    # sends no event: its product types are left out here, as visible_products() does.
    filters: list[dict[str, Any]] = [{"terms": {"product_type": sorted(sellable_product_types())}}]
    if query.category:
        filters.append({"term": {"category_path": query.category}})
    if query.product_types:
        filters.append({"terms": {"product_type": list(query.product_types)}})
    if query.seller:
        filters.append({"term": {"seller_slug": query.seller}})
    price: dict[str, int] = {}
    if query.price_min is not None:
        price["gte"] = query.price_min
    if query.price_max is not None:
        price["lte"] = query.price_max
    if price:
        filters.append({"range": {f"price_{query.currency}": price}})
    for key in query.module_keys:  # a module's facet (module_facets)
        filters.append({"term": {"module_keys": key}})
    if query.min_rating:
        filters.append({"range": {"rating_count": {"gt": 0}}})
        filters.append({"range": {"stars": {"gte": query.min_rating}}})
    if query.near:
        near = query.near
        filters.append({"terms": {"product_type": sorted(get_registry().located_product_types())}})
        filters.append(
            {
                "geo_distance": {
                    "distance": f"{near.radius_km}km",
                    "location": {"lat": near.latitude_e6 / 1e6, "lon": near.longitude_e6 / 1e6},
                }
            }
        )
    return filters


def _sort(query: SearchQuery) -> list[dict[str, Any]]:
    order = query.sort
    if order == SortOrder.RELEVANCE and not query.text:
        order = SortOrder.NEWEST
    price = f"price_{query.currency}"
    if order == SortOrder.RELEVANCE:
        return [{"_score": "desc"}, {"id": "desc"}]
    if order == SortOrder.NEWEST:
        # Postgres puts NULLs first in a descending order.
        return [{"published_at": {"order": "desc", "missing": "_first"}}, {"id": "desc"}]
    if order == SortOrder.PRICE_ASC:
        missing = {"missing": NO_PRICE, "unmapped_type": "long"}
        return [{price: {"order": "asc", **missing}}, {"id": "asc"}]
    if order == SortOrder.PRICE_DESC:
        return [{price: {"order": "desc", "missing": -1, "unmapped_type": "long"}}, {"id": "desc"}]
    return [{"rating_average_e3": "desc"}, {"id": "desc"}]


@dataclass(frozen=True)
class _Term:
    text: str
    is_phrase: bool
    is_negated: bool


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def text_clauses(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """websearch_to_tsquery in query DSL: words must all match (in any of the fields, as in
    the one tsvector), "quoted phrases" match in order, -word excludes, ``or`` joins its two
    neighbours (binding tighter than the implicit AND). Returns (must, must_not)."""
    groups: list[list[_Term]] = []
    joins_previous = False
    for match in _TOKEN.finditer(text):
        dash, phrase, word = match.groups()
        if word is not None and word.lower() == "or":
            joins_previous = bool(groups)
            continue
        if phrase is not None:
            term = _Term(phrase.strip(), is_phrase=True, is_negated=bool(dash))
        else:
            negated = word.startswith("-")
            term = _Term(word.lstrip("-").replace('"', ""), is_phrase=False, is_negated=negated)
        if not term.text:
            continue
        if joins_previous:
            groups[-1].append(term)
        else:
            groups.append([term])
        joins_previous = False
    words = [g[0].text for g in groups if len(g) == 1 and _is_plain_word(g[0])]
    must: list[dict[str, Any]] = []
    if words:
        must.append(_match(" ".join(words), is_phrase=False))
        if len(words) < len(groups):
            # Postgres drops stop words and keeps the rest of the query ("in" of
            # '"code review" in -munich'); alone, stop words match nothing in both.
            must[0]["multi_match"]["zero_terms_query"] = "all"
    must_not = []
    for group in groups:
        if len(group) > 1:
            must.append(
                {"bool": {"should": [_either(t) for t in group], "minimum_should_match": 1}}
            )
        elif group[0].is_negated:
            must_not.append(_match(group[0].text, is_phrase=group[0].is_phrase))
        elif group[0].is_phrase:
            must.append(_match(group[0].text, is_phrase=True))
    return must, must_not


def _is_plain_word(term: _Term) -> bool:
    return not term.is_phrase and not term.is_negated


def _match(text: str, *, is_phrase: bool) -> dict[str, Any]:
    if is_phrase:
        return {"multi_match": {"query": text, "type": "phrase", "fields": TEXT_FIELDS}}
    return {
        "multi_match": {
            "query": text,
            "type": "cross_fields",
            "operator": "and",
            "fields": TEXT_FIELDS,
        }
    }


def _either(term: _Term) -> dict[str, Any]:
    clause = _match(term.text, is_phrase=term.is_phrase)
    return {"bool": {"must_not": [clause]}} if term.is_negated else clause


# --- facets --------------------------------------------------------------------------------------


def _price_bands(currency: str) -> tuple[int, list[dict[str, Any]]]:
    unit = 10 ** CURRENCY_EXPONENTS[currency]
    edges = [edge * unit for edge in PRICE_BAND_EDGES]
    ranges: list[dict[str, Any]] = [{"key": f"0-{edges[0]}", "to": edges[0]}]
    ranges += [
        {"key": f"{low}-{high}", "from": low, "to": high} for low, high in itertools.pairwise(edges)
    ]
    ranges.append({"key": f"{edges[-1]}-", "from": edges[-1]})
    return unit, ranges


def _aggregations(query: SearchQuery) -> dict[str, Any]:
    def labelled_terms(field: str, label: str) -> dict[str, Any]:
        return {
            "terms": {"field": field, "size": FACET_TERMS_SIZE},
            "aggs": {"label": {"terms": {"field": label, "size": 1}}},
        }

    _, bands = _price_bands(query.currency)
    module_keys = module_facets.declared_keys()
    modules = {
        "module_keys": {
            "terms": {
                "field": "module_keys",
                "include": module_keys,
                "size": max(len(module_keys), 1),
            }
        }
    }
    return {
        **(modules if module_keys else {}),
        "categories": labelled_terms("category_slug", "category_name.keyword"),
        # One bucket per type the installed modules declare (only those can be sellable).
        "product_types": {
            "terms": {"field": "product_type", "size": max(len(get_registry().product_types()), 1)}
        },
        "sellers": labelled_terms("seller_slug", "seller_name.keyword"),
        "price_bands": {"range": {"field": f"price_{query.currency}", "ranges": bands}},
        "ratings": {
            "range": {
                "field": "stars",
                "ranges": [{"key": str(stars), "from": stars} for stars in (4, 3, 2, 1)],
            }
        },
    }


def facets_from(aggregations: dict[str, Any], query: SearchQuery) -> Facets:
    """The aggregations as the Postgres backend reports its facets: labels, order, and no
    empty buckets."""

    def labelled(name: str) -> list[FacetCount]:
        facet = []
        for bucket in aggregations[name]["buckets"]:
            labels = bucket["label"]["buckets"]
            label = labels[0]["key"] if labels else bucket["key"]
            facet.append(FacetCount(bucket["key"], label, bucket["doc_count"]))
        return facet

    facets = Facets(
        categories=labelled("categories"),
        sellers=labelled("sellers"),
        product_types=[
            FacetCount(b["key"], get_registry().product_type_label(b["key"]), b["doc_count"])
            for b in aggregations["product_types"]["buckets"]
        ],
    )
    for facet in (facets.categories, facets.sellers, facets.product_types):
        facet.sort(key=lambda f: (-f.count, f.label))
    unit, _ = _price_bands(query.currency)
    for bucket in aggregations["price_bands"]["buckets"]:
        if bucket["doc_count"]:
            low, _, high = bucket["key"].partition("-")
            label = f"{int(low) // unit}-{int(high) // unit}" if high else f"{int(low) // unit}+"
            facets.price_bands.append(FacetCount(bucket["key"], label, bucket["doc_count"]))
    facets.price_bands.sort(key=lambda f: int(f.value.split("-")[0]))
    at_least = {b["key"]: b["doc_count"] for b in aggregations["ratings"]["buckets"]}
    facets.ratings = [
        FacetCount(str(stars), f"{stars} star{'s' if stars > 1 else ''} & up", at_least[str(stars)])
        for stars in (4, 3, 2, 1)
        if at_least.get(str(stars))
    ]
    module_buckets = aggregations.get("module_keys", {}).get("buckets", [])
    facets.module_facets = module_facets.to_module_facets(
        {bucket["key"]: bucket["doc_count"] for bucket in module_buckets}
    )
    return facets
