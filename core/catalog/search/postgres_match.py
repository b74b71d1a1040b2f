"""The SQL of one Postgres search over ``catalog_searchentry AS entry``: which entries match a
query (``Match``) and in which order (``Order``), with its keyset cursor. Conditions on the
filter terms (``facet_keys``) and the text share one GIN index, so a filtered text query reads
only the entries that pass every indexed filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ninja.errors import HttpError

from core.catalog.search.query import SearchQuery, SortOrder
from core.catalog.search_index import search_config
from core.pagination import decode_cursor, encode_cursor
from core.registry import get_registry
from core.registry.enablement import sellable_product_types
from core.sellers.models import SellerStatus, VerificationStatus

NO_PRICE = 10**15  # sorts products without a price in the query's currency last
EARTH_RADIUS_KM = 6371
PRICE_SQL = "(entry.prices ->> %(currency)s)::bigint"
TSQUERY_SQL = "websearch_to_tsquery(%(config)s::regconfig, %(text)s)"


@dataclass(frozen=True)
class Match:
    """``where``: conditions on ``entry``, with named ``params`` (also used by ``Order``)."""

    where: str
    params: dict[str, Any]


def match(query: SearchQuery) -> Match | None:
    """None when nothing can match: no module enabled here sells anything."""
    sellable = sorted(sellable_product_types())
    if not sellable:
        return None
    params: dict[str, Any] = {
        "sellable": sellable,
        "currency": query.currency,
        "active": SellerStatus.ACTIVE.value,
        "verified": VerificationStatus.VERIFIED.value,
    }
    conditions = [
        "entry.is_published",
        "entry.product_type = ANY(%(sellable)s)",
        # Sellers are few: a hashed lookup per row, and suspending one needs no reindexing.
        "entry.seller_id IN (SELECT id FROM sellers_seller"
        " WHERE status = %(active)s AND verification_status = %(verified)s)",
    ]
    if query.text:
        conditions.append(f"entry.search_vector @@ {TSQUERY_SQL}")
        params.update(config=search_config(), text=query.text[:200])
    required = _required_keys(query)
    if required:
        conditions.append("entry.facet_keys @> %(required_keys)s::varchar[]")
        params["required_keys"] = required
    if query.product_types:
        conditions.append("entry.facet_keys && %(type_keys)s::varchar[]")
        params["type_keys"] = [f"t:{kind}" for kind in query.product_types]
    if query.seller:
        conditions.append(
            "entry.facet_keys @> ARRAY[(SELECT 's:' || id FROM sellers_seller"
            " WHERE slug = %(seller)s)]::varchar[]"
        )
        params["seller"] = query.seller
    if query.price_min is not None:
        conditions.append(f"{PRICE_SQL} >= %(price_min)s")
        params["price_min"] = query.price_min
    if query.price_max is not None:
        conditions.append(f"{PRICE_SQL} <= %(price_max)s")
        params["price_max"] = query.price_max
    if query.near:
        _add_near(query, conditions, params)
    return Match(where=" AND ".join(conditions), params=params)


def _required_keys(query: SearchQuery) -> list[str]:
    """The filter terms every match carries (see ``SearchEntry.facet_keys``)."""
    keys = []
    if query.category:  # the category's own term is on its subcategories' products too
        keys.append(f"c:{query.category}")
    if query.min_rating:
        keys.append(f"r:{query.min_rating}")
    keys.extend(query.module_keys)  # a module's facet, e.g. "d:3" (module_facets)
    return keys


def _add_near(query: SearchQuery, conditions: list[str], params: dict[str, Any]) -> None:
    """Products of the types that have a place (``ProductTypeSpec.has_location``) within the
    radius: a latitude band first (plain comparisons), then the great-circle distance."""
    near = query.near
    assert near is not None
    delta = int(near.radius_km / 111.2 * 1e6) + 1
    params.update(
        located=sorted(get_registry().located_product_types()),
        lat_low=near.latitude_e6 - delta,
        lat_high=near.latitude_e6 + delta,
        lat=near.latitude_e6 / 1e6,
        lng=near.longitude_e6 / 1e6,
        radius=near.radius_km,
    )
    conditions.append(
        "entry.product_type = ANY(%(located)s)"
        " AND entry.latitude_e6 BETWEEN %(lat_low)s AND %(lat_high)s"
        f" AND {EARTH_RADIUS_KM} * acos(least(greatest("
        "sin(radians(%(lat)s)) * sin(radians(entry.latitude_e6 / 1e6))"
        " + cos(radians(%(lat)s)) * cos(radians(entry.latitude_e6 / 1e6))"
        " * cos(radians(entry.longitude_e6 / 1e6) - radians(%(lng)s)), -1.0), 1.0))"
        " <= %(radius)s"
    )


@dataclass(frozen=True)
class Order:
    """``key``: the sort expression on ``entry`` (ties broken by product id, same direction)."""

    key: str
    is_descending: bool
    is_datetime: bool = False
    is_ranked: bool = False  # by text relevance
    # By price: the key of products without a price in the query's currency (they sort last).
    missing_price_key: int | None = None

    @property
    def direction(self) -> str:
        return "DESC" if self.is_descending else "ASC"

    def after(self, cursor: str, *, key_sql: str, id_sql: str) -> tuple[str, dict[str, Any]]:
        """The condition "after the cursor's row" (HttpError 400 for a cursor not made by us
        for this order)."""
        key, product_id = decode_cursor(cursor, 2)
        try:
            key = datetime.fromisoformat(str(key)) if self.is_datetime else _whole(key)
            product_id = _whole(product_id)
        except ValueError:
            raise HttpError(400, "The cursor is not valid; start again without it.") from None
        operator = "<" if self.is_descending else ">"
        condition = f"({key_sql}, {id_sql}) {operator} (%(after_key)s, %(after_id)s)"
        return condition, {"after_key": key, "after_id": product_id}

    @staticmethod
    def cursor(key: Any, product_id: int) -> str:
        return encode_cursor([key, product_id])


def _whole(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(value)
    return value


def order(query: SearchQuery) -> Order:
    sort = query.sort
    if sort == SortOrder.RELEVANCE and not query.text:
        sort = SortOrder.NEWEST
    if sort == SortOrder.RELEVANCE:
        # Whole millionths, so the cursor compares exactly (no float round trip).
        rank = f"(ts_rank(entry.search_vector, {TSQUERY_SQL}) * 1000000)::int"
        return Order(key=rank, is_descending=True, is_ranked=True)
    if sort == SortOrder.NEWEST:
        return Order(key="entry.published_at", is_descending=True, is_datetime=True)
    if sort == SortOrder.PRICE_ASC:
        key = f"coalesce({PRICE_SQL}, {NO_PRICE})"
        return Order(key=key, is_descending=False, missing_price_key=NO_PRICE)
    if sort == SortOrder.PRICE_DESC:
        return Order(key=f"coalesce({PRICE_SQL}, -1)", is_descending=True, missing_price_key=-1)
    return Order(key="entry.rating_key", is_descending=True)
