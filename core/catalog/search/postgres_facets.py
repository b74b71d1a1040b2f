"""Facet counts of a Postgres search, as SQL over a CTE of matched rows and as ``Facets``.

Counting is bounded: a search counts at most ``FACET_EXACT_LIMIT`` matches exactly. A broader
query is counted on a random sample of the table's pages (``TABLESAMPLE SYSTEM``, about
``SAMPLE_ROWS`` rows whatever the catalogue's size), scaled up, and never reported below what
the exact pass counted; such facets say ``is_approximate``."""

from __future__ import annotations

from collections.abc import Iterable

from core.catalog.search import module_facets
from core.catalog.search.query import PRICE_BAND_EDGES, FacetCount, Facets
from core.money import CURRENCY_EXPONENTS
from core.registry import get_registry

FACET_EXACT_LIMIT = 10_000
SAMPLE_ROWS = 10_000
# Repeatable, so the same query shows the same estimates until the catalogue changes.
SAMPLE_SEED = 20261125

# (facet, value) -> (label, count); value "" is the total.
Counts = dict[tuple[str, str], tuple[str, int]]

SAMPLE_PERCENT_SQL = (
    f"(SELECT least(100, 100.0 * {SAMPLE_ROWS} / greatest(reltuples, 1))::float4"
    " FROM pg_class WHERE oid = 'catalog_searchentry'::regclass)"
)


def band_edges(currency: str) -> tuple[int, list[int]]:
    """The price bands' edges in minor units of ``currency``, and the size of its unit."""
    unit = 10 ** CURRENCY_EXPONENTS[currency]
    return unit, [edge * unit for edge in PRICE_BAND_EDGES]


def counts_sql(source: str, currency: str) -> str:
    """CTEs ``facet_groups`` and ``facet_rows`` (facet, value, label, n) counting the rows of
    CTE ``source`` (category_id, product_type, seller_id, stars, price, module_keys) in one
    pass; names are joined to the few groups afterwards. The modules' terms (facet
    ``module``, value the term) are counted over the same rows, only those some module on
    here declares (``module_facets``)."""
    _, edges = band_edges(currency)
    band = (
        "CASE WHEN price IS NULL THEN NULL "
        + " ".join(f"WHEN price < {edge} THEN {index}" for index, edge in enumerate(edges))
        + f" ELSE {len(edges)} END"
    )
    return f"""
        facet_groups AS (
            SELECT CASE WHEN GROUPING(category_id) = 0 THEN 'category'
                        WHEN GROUPING(product_type) = 0 THEN 'type'
                        WHEN GROUPING(seller_id) = 0 THEN 'seller'
                        WHEN GROUPING(band) = 0 THEN 'band'
                        WHEN GROUPING(stars) = 0 THEN 'stars'
                        ELSE 'total' END AS facet,
                   category_id, product_type, seller_id, band, stars, count(*) AS n
            FROM (SELECT category_id, product_type, seller_id, stars, {band} AS band
                  FROM {source}) AS banded
            GROUP BY GROUPING SETS ((category_id), (product_type), (seller_id), (band), (stars),
                                    ())
        ),
        facet_rows AS (
            SELECT g.facet,
                   CASE g.facet WHEN 'category' THEN c.slug WHEN 'type' THEN g.product_type
                                WHEN 'seller' THEN s.slug WHEN 'band' THEN g.band::text
                                WHEN 'stars' THEN g.stars::text ELSE '' END AS value,
                   coalesce(c.name, s.business_name, '') AS label, g.n
            FROM facet_groups g
            LEFT JOIN catalog_category c ON g.facet = 'category' AND c.id = g.category_id
            LEFT JOIN sellers_seller s ON g.facet = 'seller' AND s.id = g.seller_id
            UNION ALL
            SELECT 'module', module_key, '', count(*)
            FROM {source}, unnest({source}.module_keys) AS module_key
            WHERE module_key = ANY(%(module_facet_keys)s::varchar[])
            GROUP BY module_key
        )"""


def collect(rows: Iterable[tuple[str, str | None, str, int]]) -> Counts:
    """Rows of ``facet_rows``; groups without a value (no category, no price) are not facets."""
    return {
        (facet, value): (label, count) for facet, value, label, count in rows if value is not None
    }


def total(counts: Counts) -> int:
    return counts.get(("total", ""), ("", 0))[1]


def estimate(lower_bounds: Counts, sample: Counts, *, percent: float) -> Counts:
    """Sample counts scaled to the whole table (two significant figures), never below the
    exact counts of the first matches."""
    scale = 100 / percent if percent > 0 else 1.0
    merged = dict(lower_bounds)
    for key, (label, count) in sample.items():
        lower = lower_bounds.get(key, (label, 0))[1]
        merged[key] = (label, max(lower, _significant(round(count * scale))))
    return merged


def _significant(value: int, digits: int = 2) -> int:
    """4637 -> 4600: an estimate should not look more precise than it is."""
    magnitude: int = 10 ** max(len(str(value)) - digits, 0)
    return (value + magnitude // 2) // magnitude * magnitude


def to_facets(counts: Counts, currency: str, *, is_approximate: bool) -> Facets:
    facets = Facets(is_approximate=is_approximate)
    unit, edges = band_edges(currency)
    stars: dict[int, int] = {}
    for (facet, value), (label, count) in counts.items():
        if facet == "category":
            facets.categories.append(FacetCount(value, label, count))
        elif facet == "type":
            label = get_registry().product_type_label(value)  # the module's own label
            facets.product_types.append(FacetCount(value, label, count))
        elif facet == "seller":
            facets.sellers.append(FacetCount(value, label, count))
        elif facet == "band":
            facets.price_bands.append(_band(int(value), edges, unit, count))
        elif facet == "stars":
            stars[int(value)] = count
    for facet_counts in (facets.categories, facets.sellers, facets.product_types):
        facet_counts.sort(key=lambda f: (-f.count, f.label))
    facets.price_bands.sort(key=lambda f: int(f.value.split("-")[0]))
    facets.module_facets = module_facets.to_module_facets(
        {value: count for (facet, value), (_, count) in counts.items() if facet == "module"}
    )
    facets.ratings = [
        FacetCount(str(minimum), f"{minimum} star{'s' if minimum > 1 else ''} & up", up)
        for minimum in (4, 3, 2, 1)
        if (up := sum(count for star, count in stars.items() if star >= minimum))
    ]
    return facets


def _band(index: int, edges: list[int], unit: int, count: int) -> FacetCount:
    low = 0 if index == 0 else edges[index - 1]
    if index >= len(edges):
        return FacetCount(f"{low}-", f"{low // unit}+", count)
    high = edges[index]
    return FacetCount(f"{low}-{high}", f"{low // unit}-{high // unit}", count)
