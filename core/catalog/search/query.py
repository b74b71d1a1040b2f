"""The query semantics every search backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class SortOrder(StrEnum):
    RELEVANCE = "relevance"  # newest first when there is no text
    NEWEST = "newest"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    RATING = "rating"


# Price bands in major units of the query's currency: [0, 10), [10, 50), ... [500, inf).
PRICE_BAND_EDGES = (10, 50, 100, 500)


@dataclass(frozen=True)
class ModuleFacetSpec:
    """A filter a module adds to catalogue search (``ModuleManifest.search_facets``). The
    module keeps index terms ``<prefix>:<value>`` on its products' search entries
    (``module_facets.set_module_keys``); buyers filter with ``?<param>=<value>`` and see one
    count per option. Options nest as the module chooses (a gig delivered in 1 day carries
    ``d:1``, ``d:3`` and ``d:7``), so each count is what that filter would show."""

    param: str  # the query parameter, e.g. "delivery"
    label: str  # "Delivery time"
    prefix: str  # the terms' prefix, e.g. "d" (core's own are c, t, s, r)
    options: tuple[tuple[str, str], ...]  # (value, label), in display order

    def key(self, value: str) -> str:
        return f"{self.prefix}:{value}"


@dataclass(frozen=True)
class GeoFilter:
    latitude_e6: int
    longitude_e6: int
    radius_km: int


@dataclass(frozen=True)
class SearchQuery:
    currency: str
    text: str = ""
    category: str | None = None  # slug; includes its subcategories
    product_types: tuple[str, ...] = ()
    seller: str | None = None  # slug
    price_min: int | None = None  # minor units of ``currency``
    price_max: int | None = None
    min_rating: int | None = None  # 1-5 stars
    near: GeoFilter | None = None
    module_keys: tuple[str, ...] = ()  # module facet terms every match carries ("d:3")
    sort: SortOrder = SortOrder.RELEVANCE
    limit: int = 24
    cursor: str | None = None


@dataclass
class FacetCount:
    value: str
    label: str
    count: int


@dataclass
class ModuleFacet:
    """A module's facet (``ModuleFacetSpec``) with the counts of its non-empty options."""

    param: str
    label: str
    options: list[FacetCount] = field(default_factory=list)


@dataclass
class Facets:
    categories: list[FacetCount] = field(default_factory=list)
    product_types: list[FacetCount] = field(default_factory=list)
    sellers: list[FacetCount] = field(default_factory=list)
    price_bands: list[FacetCount] = field(default_factory=list)
    ratings: list[FacetCount] = field(default_factory=list)  # "4" = 4 stars and up
    # Facets the modules on this marketplace declare (e.g. gigs' delivery time).
    module_facets: list[ModuleFacet] = field(default_factory=list)
    # True when the query matched too many products to count them all in time: the counts are
    # then estimates from a sample (never below what was counted exactly), shown as such.
    is_approximate: bool = False


@dataclass
class SearchResult:
    items: list[Any]  # Product rows with seller, category, prices and images loaded
    next_cursor: str | None
    facets: Facets | None = None


@dataclass(frozen=True)
class Suggestion:
    name: str
    slug: str
