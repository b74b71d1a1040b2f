"""Search on core PostgreSQL (no extensions, so the embedded database serves): a weighted
tsvector with a GIN index, websearch_to_tsquery, keyset pagination, facet counts in one
GROUPING SETS query, prefix suggestions on an index of lower(name)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.contrib.postgres.search import SearchQuery as PgSearchQuery
from django.contrib.postgres.search import SearchRank
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import (
    ACos,
    Cast,
    Coalesce,
    Cos,
    Greatest,
    Least,
    Length,
    Lower,
    Radians,
    Sin,
    Substr,
)

from core.catalog.models import Category, Product
from core.catalog.search.query import (
    PRICE_BAND_EDGES,
    FacetCount,
    Facets,
    SearchQuery,
    SearchResult,
    SortOrder,
    Suggestion,
)
from core.catalog.search_index import refresh_search_vectors, search_config
from core.catalog.selectors import visible_products, with_card_data
from core.money import CURRENCY_EXPONENTS
from core.pagination import keyset_page
from core.sellers.models import ProductType

NO_PRICE = 10**15  # sorts products without a price in the query's currency last
EARTH_RADIUS_KM = 6371


class PostgresSearchBackend:
    def search(self, query: SearchQuery, *, with_facets: bool) -> SearchResult:
        filtered = self._filtered(query)
        ordering, ranked = self._ordering(filtered, query)
        rows, next_cursor = keyset_page(
            with_card_data(ranked), ordering=ordering, limit=query.limit, cursor=query.cursor
        )
        facets = self._facets(filtered, query) if with_facets else None
        return SearchResult(items=rows, next_cursor=next_cursor, facets=facets)

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

    # --- building the query -------------------------------------------------------------------

    def _filtered(self, query: SearchQuery) -> QuerySet[Product]:
        products: Any = visible_products().annotate(
            base_price=FilteredRelation(
                "prices", condition=Q(prices__variant__isnull=True, prices__currency=query.currency)
            ),
            price_amount=F("base_price__amount"),
        )
        if query.text:
            products = products.filter(search_vector=self._tsquery(query.text))
        if query.category:
            # The category or any of its descendants, inside this one query.
            products = products.filter(
                Exists(
                    Category.objects.filter(
                        slug=query.category,
                        path=Substr(OuterRef("category__path"), 1, Length("path")),
                    )
                )
            )
        if query.product_types:
            products = products.filter(product_type__in=query.product_types)
        if query.seller:
            products = products.filter(seller__slug=query.seller)
        if query.price_min is not None:
            products = products.filter(price_amount__gte=query.price_min)
        if query.price_max is not None:
            products = products.filter(price_amount__lte=query.price_max)
        if query.min_rating:
            products = products.filter(
                rating_count__gt=0, rating_total__gte=F("rating_count") * query.min_rating
            )
        if query.near:
            products = self._near(products, query)
        return cast(QuerySet[Product], products)

    @staticmethod
    def _tsquery(text: str) -> PgSearchQuery:
        return PgSearchQuery(text[:200], search_type="websearch", config=search_config())

    @staticmethod
    def _near(products: QuerySet[Product], query: SearchQuery) -> QuerySet[Product]:
        near = query.near
        assert near is not None
        lat, lng = near.latitude_e6 / 1e6, near.longitude_e6 / 1e6
        # Bounding box first (uses plain comparisons), then the great-circle distance.
        delta_lat = int(near.radius_km / 111.2 * 1e6) + 1
        products = products.filter(
            product_type=ProductType.SERVICE,
            latitude_e6__isnull=False,
            latitude_e6__gte=near.latitude_e6 - delta_lat,
            latitude_e6__lte=near.latitude_e6 + delta_lat,
        )
        row_lat = Radians(F("latitude_e6") / 1e6)
        row_lng = Radians(F("longitude_e6") / 1e6)
        cosine = Sin(Radians(Value(lat))) * Sin(row_lat) + Cos(Radians(Value(lat))) * Cos(
            row_lat
        ) * Cos(row_lng - Radians(Value(lng)))
        distance = ACos(Least(Greatest(cosine, Value(-1.0)), Value(1.0))) * EARTH_RADIUS_KM
        return products.annotate(distance_km=distance).filter(distance_km__lte=near.radius_km)

    def _ordering(
        self, products: QuerySet[Product], query: SearchQuery
    ) -> tuple[tuple[str, ...], QuerySet[Product]]:
        sort = query.sort
        if sort == SortOrder.RELEVANCE and not query.text:
            sort = SortOrder.NEWEST
        if sort == SortOrder.RELEVANCE:
            rank = SearchRank(F("search_vector"), self._tsquery(query.text), cover_density=True)
            ranked = products.annotate(rank_e6=Cast(rank * 1_000_000, IntegerField()))
            return ("-rank_e6", "-id"), ranked
        if sort == SortOrder.NEWEST:
            return ("-published_at", "-id"), products
        if sort == SortOrder.PRICE_ASC:
            keyed = products.annotate(price_key=Coalesce("price_amount", Value(NO_PRICE)))
            return ("price_key", "id"), keyed
        if sort == SortOrder.PRICE_DESC:
            keyed = products.annotate(price_key=Coalesce("price_amount", Value(-1)))
            return ("-price_key", "-id"), keyed
        rating = Coalesce(F("rating_total") * 1000 / Greatest(F("rating_count"), 1), Value(0))
        return ("-rating_key", "-id"), products.annotate(rating_key=rating)

    # --- facets -------------------------------------------------------------------------------

    def _facets(self, products: QuerySet[Product], query: SearchQuery) -> Facets:
        """All five facets in one query: GROUPING SETS over the filtered rows (materialised once,
        with the price already joined); category and seller names are joined to the groups."""
        columns = (
            "category_id",
            "product_type",
            "seller_id",
            "price_amount",
            "rating_count",
            "rating_total",
        )
        try:
            rows_sql, params = products.values(*columns).query.sql_with_params()
        except EmptyResultSet:  # e.g. no module on this marketplace sells anything yet
            return Facets()
        unit = 10 ** CURRENCY_EXPONENTS[query.currency]
        edges = [edge * unit for edge in PRICE_BAND_EDGES]
        band_sql = (
            "CASE WHEN price_amount IS NULL THEN NULL "
            + " ".join(
                f"WHEN price_amount < {edge} THEN {index}" for index, edge in enumerate(edges)
            )
            + f" ELSE {len(edges)} END"
        )
        # Group the matching rows by ids first; names are joined to the few groups afterwards.
        sql = f"""
            WITH f AS MATERIALIZED ({rows_sql}),
            g AS (
                SELECT GROUPING(category_id) AS g_category, GROUPING(product_type) AS g_type,
                       GROUPING(seller_id) AS g_seller, GROUPING(band) AS g_band,
                       category_id, product_type, seller_id, band, stars, count(*) AS n
                FROM (
                    SELECT category_id, product_type, seller_id, {band_sql} AS band,
                           CASE WHEN rating_count = 0 THEN 0
                                ELSE rating_total / rating_count END AS stars
                    FROM f
                ) AS rows
                GROUP BY GROUPING SETS ((category_id), (product_type), (seller_id), (band),
                                        (stars))
            )
            SELECT g.g_category, g.g_type, g.g_seller, g.g_band, c.slug, c.name, g.product_type,
                   s.slug, s.business_name, g.band, g.stars, g.n
            FROM g
            LEFT JOIN catalog_category c ON c.id = g.category_id AND g.g_category = 0
            LEFT JOIN sellers_seller s ON s.id = g.seller_id AND g.g_seller = 0
        """
        facets = Facets()
        stars: dict[int, int] = {}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                g_category, g_type, g_seller, g_band = row[:4]
                category_slug, category_name, product_type, seller_slug, seller_name = row[4:9]
                band, star, count = row[9], row[10], row[11]
                if not g_category and category_slug:
                    facets.categories.append(FacetCount(category_slug, category_name, count))
                elif not g_type:
                    facets.product_types.append(
                        FacetCount(product_type, ProductType(product_type).label, count)
                    )
                elif not g_seller:
                    facets.sellers.append(FacetCount(seller_slug, seller_name, count))
                elif not g_band and band is not None:
                    facets.price_bands.append(_band(band, edges, unit, count))
                elif g_band and star is not None:
                    stars[int(star)] = stars.get(int(star), 0) + count
        for facet in (facets.categories, facets.sellers, facets.product_types):
            facet.sort(key=lambda f: (-f.count, f.label))
        facets.price_bands.sort(key=lambda f: int(f.value.split("-")[0]))
        facets.ratings = [
            FacetCount(str(minimum), f"{minimum} star{'s' if minimum > 1 else ''} & up", total)
            for minimum in (4, 3, 2, 1)
            if (total := sum(c for s, c in stars.items() if s >= minimum))
        ]
        return facets


def _band(index: int, edges: list[int], unit: int, count: int) -> FacetCount:
    low = 0 if index == 0 else edges[index - 1]
    if index >= len(edges):
        return FacetCount(f"{low}-", f"{low // unit}+", count)
    high = edges[index]
    return FacetCount(f"{low}-{high}", f"{low // unit}-{high // unit}", count)
