"""Search on core PostgreSQL (no extensions, so the embedded database serves): one search entry
per product (``SearchEntry``: a weighted tsvector plus every filter, sort and facet column,
kept by triggers) with one GIN index over the text and the filter terms, websearch_to_tsquery,
keyset pagination, bounded facet counts, prefix suggestions on an index of lower(name).

A search with facets is one statement: the first ``_matches_read()`` matches are read once,
counted, and - when there are no more - the page is taken from the same rows. Only a broader
query estimates its counts from a sample (postgres_facets) and, unless it is ranked by
relevance, reads its page separately."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models.functions import Lower

from core.catalog.models import Product
from core.catalog.search import module_facets, postgres_facets
from core.catalog.search.postgres_facets import FACET_EXACT_LIMIT, SAMPLE_PERCENT_SQL, SAMPLE_SEED
from core.catalog.search.postgres_match import PRICE_SQL, Match, Order, match, order
from core.catalog.search.query import Facets, SearchQuery, SearchResult, Suggestion
from core.catalog.search_index import refresh_search_vectors
from core.catalog.selectors import visible_products, with_card_data

# The counting pass reads the exact limit and one more row (which tells a broad query). Relevance
# ranks as many matches, the most reviewed, which the counting pass reads in that order: every
# query counted exactly is ranked exactly, and a page's order never depends on whether facets
# were asked for.
CANDIDATES_ORDER = "entry.popularity DESC, entry.product_id DESC"


@dataclass(frozen=True)
class _Plan:
    """One search's SQL pieces: the match, its order, and the page wanted."""

    match: Match
    order: Order
    query: SearchQuery

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
        Relevance ranks only the ``_matches_read()`` most reviewed matches: a broad query reads
        those off an index instead of ranking every match, and a query with fewer matches is
        ranked in full, as before."""
        if self.order.missing_price_key is not None:
            return self._price_page_cte(self.order.missing_price_key)
        source, where = "catalog_searchentry AS entry", self.match.where
        if self.order.is_ranked:
            source = f"""(
                SELECT entry.product_id, entry.search_vector FROM catalog_searchentry AS entry
                WHERE {where}
                ORDER BY {CANDIDATES_ORDER} LIMIT {_matches_read()}
            ) AS entry"""
            where = "TRUE"
        return self.page_cte(source, where=where, key=self.order.key, product_id="entry.product_id")

    def _price_page_cte(self, missing_price_key: int) -> tuple[str, dict[str, Any]]:
        """CTE ``page`` by price: matches read in the order of the base-price index (a broad
        query stops after a page), then - only when those run out - the matches without a
        price in the query's currency, which sort last."""
        priced, params = self.page_cte(
            "catalog_productprice AS price"
            " JOIN catalog_searchentry AS entry ON entry.product_id = price.product_id",
            where=f"price.variant_id IS NULL AND price.currency = %(currency)s"
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
        plan = _Plan(match=found, order=order(query), query=query)
        if not with_facets:
            page_rows, _ = self._read(plan, counted=False)
            return self._result(plan, page_rows, None)
        page_rows, counts = self._read(plan, counted=True)
        if postgres_facets.total(counts) <= FACET_EXACT_LIMIT:
            exact = postgres_facets.to_facets(counts, query.currency, is_approximate=False)
            return self._result(plan, page_rows, exact)
        # A ranked page comes from the candidates the counting pass read; others need every
        # match, which an index serves.
        wants_page = not plan.order.is_ranked
        broad_page, facets = self._read_broad(plan, lower_bounds=counts, wants_page=wants_page)
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
            return self._fetch(f"WITH {page} {plan.page_select()}", plan.params(**params))
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
        """
        return self._fetch(sql, plan.params(**params))

    def _read_broad(
        self, plan: _Plan, *, lower_bounds: postgres_facets.Counts, wants_page: bool
    ) -> tuple[list[tuple[int, Any]], Facets]:
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
        """
        with connection.cursor() as cursor:
            cursor.execute(sql, plan.params(**params))
            rows = cursor.fetchall()
        page_rows = _page_rows(rows)
        sample_rows = [row for row in rows if row[0] == "facet"]
        percent = float(sample_rows[0][7]) if sample_rows else 100.0
        sample = postgres_facets.collect(row[3:7] for row in sample_rows)
        counts = postgres_facets.estimate(lower_bounds, sample, percent=percent)
        facets = postgres_facets.to_facets(counts, plan.query.currency, is_approximate=True)
        return page_rows, facets

    @staticmethod
    def _fetch(
        sql: str, params: dict[str, Any]
    ) -> tuple[list[tuple[int, Any]], postgres_facets.Counts]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
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


def _page_rows(rows: list[tuple[Any, ...]]) -> list[tuple[int, Any]]:
    """(product id, sort key) of the page, in its order."""
    page = sorted((row for row in rows if row[0] == "page"), key=lambda row: row[6])
    return [(row[1], row[2]) for row in page]


def _matches_read() -> int:
    """How many matches the counting pass reads (and relevance ranks)."""
    return FACET_EXACT_LIMIT + 1
