"""Search on core PostgreSQL (no extensions, so the embedded database serves): one search entry
per product (``SearchEntry``: a weighted tsvector plus every filter, sort and facet column,
kept by triggers) with one GIN index over the text and the filter terms, websearch_to_tsquery,
keyset pagination, bounded facet counts, prefix suggestions on an index of lower(name).

A search with facets is one statement: the first ``_matches_read()`` matches are read once,
counted, and - when there are no more - the page is taken from the same rows. Only a broader
query estimates its counts from a sample (postgres_facets) and, unless it is ranked by
relevance, reads its page separately."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection, transaction
from django.db.models.functions import Lower

from core.catalog.models import Product
from core.catalog.search import module_facets, postgres_facets
from core.catalog.search.postgres_facets import FACET_EXACT_LIMIT, SAMPLE_PERCENT_SQL, SAMPLE_SEED
from core.catalog.search.postgres_match import PRICE_SQL, Match, Order, match, order
from core.catalog.search.query import Facets, SearchQuery, SearchResult, Suggestion
from core.catalog.search_index import refresh_search_vectors
from core.catalog.selectors import visible_products, with_card_data
from core.schema import current_schema_name

# The counting pass reads the exact limit and one more row (which tells a broad query). Relevance
# ranks as many matches, the most reviewed, which the counting pass reads in that order: every
# query counted exactly is ranked exactly, and a page's order never depends on whether facets
# were asked for.
CANDIDATES_ORDER = "entry.popularity DESC, entry.product_id DESC"

# Catalogues of more than BROAD_ESTIMATE entries (pg_class's estimate, as the previous search
# here read it: no query of its own) are searched with two more statements, which a smaller
# one never needs:
# - the planner's estimate of the matches (EXPLAIN: planning only, no rows read). A query
#   expected to match more than BROAD_ESTIMATE is broad from the start: no exact counting
#   pass (its counts would be estimated anyway, and at a million products reading 10,001
#   matches took 100-200 ms), its page off an index, and relevance ranks only its
#   BROAD_RANKED most reviewed matches (read in that order; when few of them pass the
#   filters, reading 10,001 took up to seconds). The margin over FACET_EXACT_LIMIT is there
#   as the estimate can be off; a sample that then finds no more than FACET_EXACT_LIMIT
#   matches falls back to counting them. With or without facets, a query is ranked the same.
# - planner settings for the search's statements (SET LOCAL: its transaction only). They are
#   LIMIT-ed, and two defaults cost more than the query there: a price-sorted page's plan
#   carries the cost of the branch that only runs when prices run out, which passes
#   jit_above_cost (compiling took ~150 ms of a 200 ms search), and parallel workers took
#   hundreds of ms to start on a busy machine and read ahead of the LIMIT.
BROAD_ESTIMATE = 15_000
BROAD_RANKED = 1_000
PLANNER_SETTINGS = "SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0"
# Every search statement returns the table's size too (a row of its own).
SIZE_ROW_SQL = """
    UNION ALL
    SELECT 'size', NULL, NULL, NULL, NULL, NULL, greatest(reltuples, 0)::bigint, NULL
    FROM pg_class WHERE oid = 'catalog_searchentry'::regclass"""
_entries_by_schema: dict[str, int] = {}


@dataclass(frozen=True)
class _Plan:
    """One search's SQL pieces: the match, its order, and the page wanted."""

    match: Match
    order: Order
    query: SearchQuery
    ranked: int  # how many matches relevance ranks, the most reviewed

    def params(self, **extra: Any) -> dict[str, Any]:
        return {
            **self.match.params,
            "page_size": self.query.limit + 1,
            "module_facet_keys": module_facets.declared_keys(),
            **extra,
        }

    def page_cte(
        self, source: str, *, where: str, key: str, product_id: str, name: str = "page"
    ) -> tuple[str, dict[str, Any]]:
        """CTE ``name`` (``page``): the page's rows and one more (is there a next page?)."""
        params: dict[str, Any] = {}
        if self.query.cursor:
            after, params = self.order.after(self.query.cursor, key_sql=key, id_sql=product_id)
            where = f"{where} AND {after}"
        direction = self.order.direction
        sql = f"""
            {name} AS (
                SELECT {product_id} AS product_id, {key} AS sort_key FROM {source}
                WHERE {where}
                ORDER BY {key} {direction}, {product_id} {direction} LIMIT %(page_size)s
            )"""
        return sql, params

    def full_page_cte(self) -> tuple[str, dict[str, Any]]:
        """CTE ``page`` read from the whole table, off an index where one serves the order.
        Relevance ranks only the ``ranked`` most reviewed matches: a broad query reads
        those off an index instead of ranking every match, and a query with fewer matches is
        ranked in full, as before."""
        if self.order.missing_price_key is not None:
            return self._price_page_cte(self.order.missing_price_key)
        source, where = "catalog_searchentry AS entry", self.match.where
        if self.order.is_ranked:
            source = f"""(
                SELECT entry.product_id, entry.search_vector FROM catalog_searchentry AS entry
                WHERE {where}
                ORDER BY {CANDIDATES_ORDER} LIMIT {self.ranked}
            ) AS entry"""
            where = "TRUE"
        return self.page_cte(source, where=where, key=self.order.key, product_id="entry.product_id")

    def _price_page_cte(self, missing_price_key: int) -> tuple[str, dict[str, Any]]:
        """CTE ``page`` by price: matches read in the order of the base-price index (a broad
        query stops after a page), then - only when those run out - the matches without a
        price in the query's currency, which sort last."""
        # The price filters on the index too (the same amounts: the entries' prices are the
        # base prices), so the scan starts at the lowest price wanted instead of reading past
        # every cheaper product.
        bounds = "".join(
            f" AND price.amount {operator} %({name})s"
            for name, operator, value in (
                ("price_min", ">=", self.query.price_min),
                ("price_max", "<=", self.query.price_max),
            )
            if value is not None
        )
        priced, params = self.page_cte(
            "catalog_productprice AS price"
            " JOIN catalog_searchentry AS entry ON entry.product_id = price.product_id",
            where=f"price.variant_id IS NULL AND price.currency = %(currency)s{bounds}"
            f" AND {self.match.where}",
            key="price.amount",
            product_id="price.product_id",
            name="priced",
        )
        unpriced, _ = self.page_cte(
            "catalog_searchentry AS entry",
            # A constant condition: the scan below does not run at all while prices last.
            where=f"(SELECT count(*) FROM priced) < %(page_size)s"
            f" AND NOT entry.prices ? %(currency)s AND {self.match.where}",
            key=f"({missing_price_key})::bigint",
            product_id="entry.product_id",
            name="unpriced",
        )
        page = "page AS (SELECT * FROM priced UNION ALL SELECT * FROM unpriced)"
        return f"{priced}, {unpriced}, {page}", params

    def counting_order(self) -> str:
        """The order in which the counting pass reads matches: the candidates' for relevance
        (a broad query's page is then among the rows read); none otherwise (an index serves a
        broad query's page separately)."""
        return f"ORDER BY {CANDIDATES_ORDER}" if self.order.is_ranked else ""

    def page_select(self) -> str:
        """The page's rows (product id, sort key, position) in the shape of the facet rows."""
        direction = self.order.direction
        return f"""
            SELECT 'page', product_id, sort_key, NULL, NULL, NULL,
                   row_number() OVER (ORDER BY sort_key {direction}, product_id {direction}),
                   NULL
            FROM page"""


class PostgresSearchBackend:
    def search(self, query: SearchQuery, *, with_facets: bool) -> SearchResult:
        found = match(query)
        if found is None:  # e.g. no module on this marketplace sells anything yet
            return SearchResult(
                items=[], next_cursor=None, facets=Facets() if with_facets else None
            )
        plan = _Plan(match=found, order=order(query), query=query, ranked=_matches_read())
        is_large = _entries_by_schema.get(current_schema_name(), 0) > BROAD_ESTIMATE
        with _planner_settings() if is_large else nullcontext():
            may_be_broad = is_large and (with_facets or plan.order.is_ranked)
            broad = may_be_broad and self._is_broad(plan)
            if broad:
                plan = replace(plan, ranked=BROAD_RANKED)
            if not with_facets:
                page_rows, _ = self._read(plan, counted=False)
                return self._result(plan, page_rows, None)
            broad_page: list[tuple[int, Any]] | None = None
            if broad:
                broad_page, estimated = self._read_broad(plan, lower_bounds={}, wants_page=True)
                if postgres_facets.total(estimated) > FACET_EXACT_LIMIT:
                    return self._result(plan, broad_page, _approximate(plan, estimated))
            page_rows, counts = self._read(plan, counted=True)
            if broad_page is not None and plan.order.is_ranked:
                page_rows = broad_page  # ranked as without facets
            if postgres_facets.total(counts) <= FACET_EXACT_LIMIT:
                exact = postgres_facets.to_facets(counts, query.currency, is_approximate=False)
                return self._result(plan, page_rows, exact)
            # A ranked page comes from the candidates the counting pass read; others need
            # every match, which an index serves.
            wants_page = not plan.order.is_ranked
            broad_page, estimated = self._read_broad(
                plan, lower_bounds=counts, wants_page=wants_page
            )
            facets = _approximate(plan, estimated)
            return self._result(plan, broad_page if wants_page else page_rows, facets)

    def suggest(self, prefix: str, *, limit: int = 8) -> list[Suggestion]:
        prefix = prefix.strip().lower()[:60]
        if len(prefix) < 2:
            return []
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = (
            visible_products()
            .annotate(lower_name=Lower("name"))
            .filter(lower_name__startswith=escaped)
            .order_by("lower_name", "id")
            .values_list("name", "slug")[:limit]
        )
        return [Suggestion(name=name, slug=slug) for name, slug in rows]

    def index_products(self, product_ids: Sequence[int]) -> None:
        refresh_search_vectors(product_ids)

    def remove_products(self, product_ids: Sequence[int]) -> None:
        """Nothing to do: unpublished rows are filtered out at query time."""

    # --- reading ------------------------------------------------------------------------------

    def _read(
        self, plan: _Plan, *, counted: bool
    ) -> tuple[list[tuple[int, Any]], postgres_facets.Counts]:
        """The page and, if ``counted``, the exact counts of the first matches (the page is only
        complete when they were all the matches, or the candidates of a ranking: see
        ``search``)."""
        if not counted:
            page, params = plan.full_page_cte()
            sql = f"WITH {page} {plan.page_select()} {SIZE_ROW_SQL}"
            return self._fetch(sql, plan.params(**params))
        page, params = plan.page_cte(
            "matched", where="TRUE", key="sort_key", product_id="product_id"
        )
        sql = f"""
            WITH matched AS MATERIALIZED (
                SELECT entry.product_id, {plan.order.key} AS sort_key, entry.category_id,
                       entry.product_type, entry.seller_id, entry.stars, {PRICE_SQL} AS price,
                       entry.module_keys
                FROM catalog_searchentry AS entry
                WHERE {plan.match.where}
                {plan.counting_order()}
                LIMIT {_matches_read()}
            ),
            {page},
            {postgres_facets.counts_sql("matched", plan.query.currency)}
            {plan.page_select()}
            UNION ALL
            SELECT 'facet', NULL, NULL, facet, value, label, n, NULL FROM facet_rows
            {SIZE_ROW_SQL}
        """
        return self._fetch(sql, plan.params(**params))

    @staticmethod
    def _is_broad(plan: _Plan) -> bool:
        """Whether the planner expects more than BROAD_ESTIMATE matches (planning only)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM catalog_searchentry AS entry"
                f" WHERE {plan.match.where}",
                plan.params(),
            )
            (document,) = cursor.fetchone()
        if isinstance(document, str):
            document = json.loads(document)
        return int(document[0]["Plan"]["Plan Rows"]) > BROAD_ESTIMATE

    def _read_broad(
        self, plan: _Plan, *, lower_bounds: postgres_facets.Counts, wants_page: bool
    ) -> tuple[list[tuple[int, Any]], postgres_facets.Counts]:
        """Facet counts estimated from a sample of the table's pages and, if ``wants_page``,
        the page over every match."""
        page, params = plan.full_page_cte() if wants_page else ("", {})
        page_select = f"{plan.page_select()} UNION ALL" if wants_page else ""
        sql = f"""
            WITH {page}{"," if wants_page else ""}
            sampled AS (
                SELECT entry.category_id, entry.product_type, entry.seller_id, entry.stars,
                       {PRICE_SQL} AS price, entry.module_keys
                FROM catalog_searchentry AS entry
                TABLESAMPLE SYSTEM ({SAMPLE_PERCENT_SQL}) REPEATABLE ({SAMPLE_SEED})
                WHERE {plan.match.where}
            ),
            {postgres_facets.counts_sql("sampled", plan.query.currency)}
            {page_select}
            SELECT 'facet', NULL, NULL, facet, value, label, n, {SAMPLE_PERCENT_SQL}
            FROM facet_rows
            {SIZE_ROW_SQL}
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, plan.params(**params))
            rows = cursor.fetchall()
        _remember_size(rows)
        page_rows = _page_rows(rows)
        sample_rows = [row for row in rows if row[0] == "facet"]
        percent = float(sample_rows[0][7]) if sample_rows else 100.0
        sample = postgres_facets.collect(row[3:7] for row in sample_rows)
        return page_rows, postgres_facets.estimate(lower_bounds, sample, percent=percent)

    @staticmethod
    def _fetch(
        sql: str, params: dict[str, Any]
    ) -> tuple[list[tuple[int, Any]], postgres_facets.Counts]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        _remember_size(rows)
        page_rows = _page_rows(rows)
        counts = postgres_facets.collect(row[3:7] for row in rows if row[0] == "facet")
        return page_rows, counts

    @staticmethod
    def _result(
        plan: _Plan, page_rows: list[tuple[int, Any]], facets: Facets | None
    ) -> SearchResult:
        """The page's products with everything a card shows, in the page's order."""
        limit = plan.query.limit
        next_cursor = None
        if len(page_rows) > limit:
            page_rows = page_rows[:limit]
            last_id, last_key = page_rows[-1]
            next_cursor = plan.order.cursor(last_key, last_id)
        ids = [product_id for product_id, _ in page_rows]
        products = with_card_data(Product.objects.filter(pk__in=ids)) if ids else []
        by_id = {product.pk: product for product in products}
        items = [by_id[product_id] for product_id in ids if product_id in by_id]
        return SearchResult(items=items, next_cursor=next_cursor, facets=facets)


def _approximate(plan: _Plan, counts: postgres_facets.Counts) -> Facets:
    return postgres_facets.to_facets(counts, plan.query.currency, is_approximate=True)


@contextmanager
def _planner_settings() -> Iterator[None]:
    """A transaction (a savepoint inside one) with ``PLANNER_SETTINGS``; inside a caller's
    transaction the settings last until it ends."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(PLANNER_SETTINGS)
        yield


def _remember_size(rows: list[tuple[Any, ...]]) -> None:
    for row in rows:
        if row[0] == "size":
            _entries_by_schema[current_schema_name()] = int(row[6])


def _page_rows(rows: list[tuple[Any, ...]]) -> list[tuple[int, Any]]:
    """(product id, sort key) of the page, in its order."""
    page = sorted((row for row in rows if row[0] == "page"), key=lambda row: row[6])
    return [(row[1], row[2]) for row in page]


def _matches_read() -> int:
    """How many matches the counting pass reads (and relevance ranks)."""
    return FACET_EXACT_LIMIT + 1
