"""Shelves of product cards for the pages and the API, cheap on the request path.

A shelf's product ids are cached per tenant (the cache key function adds the schema) under the
catalogue's cache version, which every change to what buyers can see bumps (a product, a
seller's status, a module switched): a cached shelf never shows what left the catalogue. The
co-purchase counts reach cached shelves within ``SHELF_SECONDS``. Cards are cached one by one
under the same version, so a warm shelf costs no SQL at all; the signed-in buyer's own
exclusions (what they own) are applied to the cached ids."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.core.cache import cache

from core import cache_versions
from core.catalog import presenters
from core.catalog.selectors import visible_products, with_card_data
from core.catalog.services.images import product_image_views
from core.commerce.plan_prices import with_plan_prices
from core.recommendations.owned import owned_product_ids
from core.recommendations.recommenders import Context, get_recommender
from core.recommendations.viewed import viewed_product_ids

SHELF_SIZE = 8
# Cached shelves hold a few more than they show, for the buyer's own exclusions.
SHELF_SPARE = 4
SHELF_SECONDS = 600
CARD_SECONDS = 600
CARD_IMAGE_SIZES = "(max-width: 480px) 100vw, (max-width: 760px) 50vw, 320px"

PRODUCT_SHELVES = (("also_bought", "Customers also bought"), ("similar", "Similar products"))
HOME_SHELVES = (("recently_viewed", "Recently viewed"), ("for_you", "Recommended for you"))


@dataclass(frozen=True)
class Shelf:
    key: str
    title: str
    items: list[dict[str, Any]]


def _version() -> int:
    return cache_versions.current_version(cache_versions.CATALOG)


def recommended_ids(strategy: str, context: Context, *, cache_key: str | None) -> list[int]:
    """The strategy's ids, from the cache when ``cache_key`` names one."""
    if cache_key is None:
        return get_recommender(strategy).recommend(context)
    key = f"reco:shelf:{_version()}:{strategy}:{context.limit}:{cache_key}"
    ids: list[int] | None = cache.get(key)
    if ids is None:
        ids = get_recommender(strategy).recommend(context)
        cache.set(key, ids, SHELF_SECONDS)
    return ids


def cards(product_ids: list[int], currency: str) -> list[dict[str, Any]]:
    """The products' cards in order (only buyable ones), each cached under the catalogue's
    version: three queries for the ones not cached, none when all are."""
    if not product_ids:
        return []
    version = _version()
    keys = {pk: f"reco:card:{version}:{currency}:{pk}" for pk in product_ids}
    found: dict[str, dict[str, Any]] = cache.get_many(list(keys.values()))
    missing = [pk for pk in product_ids if keys[pk] not in found]
    if missing:
        # A product buyers cannot see is cached as an empty card, so an old id (a page the buyer
        # viewed before it was unpublished) costs no query on every later page.
        fresh: dict[str, dict[str, Any]] = {keys[pk]: {} for pk in missing}
        for product in with_card_data(visible_products().filter(pk__in=missing)):
            views = product_image_views(product, sizes=CARD_IMAGE_SIZES)
            card = {**presenters.card(product, currency), "image": views[0] if views else None}
            [card] = with_plan_prices([card], currency)
            fresh[keys[product.pk]] = card
        cache.set_many(fresh, CARD_SECONDS)
        found.update(fresh)
    return [found[keys[pk]] for pk in product_ids if found.get(keys[pk])]


def product_shelves(
    *, product_id: int, category_path: str | None, buyer_id: int | None, currency: str
) -> list[Shelf]:
    """The product page's shelves (the same for everyone but the buyer's own exclusions)."""
    owned = owned_product_ids(buyer_id) if buyer_id is not None else frozenset()
    context = Context(
        limit=SHELF_SIZE + SHELF_SPARE,
        product_id=product_id,
        category_paths=(category_path,) if category_path else (),
    )
    shelves = []
    for strategy, title in PRODUCT_SHELVES:
        # Each shelf is faithful to its strategy: a product may be on both (a bestseller that
        # is also alike), as on any big shop's page.
        ids = recommended_ids(strategy, context, cache_key=f"p{product_id}")
        items = cards([pk for pk in ids if pk not in owned][:SHELF_SIZE], currency)
        if items:
            shelves.append(Shelf(strategy, title, items))
    return shelves


def home_shelves(*, buyer_id: int, currency: str) -> list[Shelf]:
    """A signed-in buyer's home shelves: what they looked at, and picks from what they bought."""
    owned = owned_product_ids(buyer_id)
    shelves = []
    for strategy, title in HOME_SHELVES:
        if strategy == "recently_viewed":
            # Changes with every page the buyer opens: read as it is; ``cards`` keeps only
            # what is buyable (cards are cached under the catalogue's version).
            ids = viewed_product_ids(buyer_id)
        else:
            context = Context(limit=SHELF_SIZE + SHELF_SPARE, buyer_id=buyer_id, exclude=owned)
            ids = recommended_ids(strategy, context, cache_key=f"u{buyer_id}")
        items = cards([pk for pk in ids if pk not in owned][:SHELF_SIZE], currency)
        if items:
            shelves.append(Shelf(strategy, title, items))
    return shelves


def shelf(strategy: str, context: Context, *, currency: str, cache_key: str | None) -> Shelf:
    """One shelf for the API."""
    owned = owned_product_ids(context.buyer_id) if context.buyer_id is not None else frozenset()
    wanted = replace(context, limit=context.limit + SHELF_SPARE)
    ids = recommended_ids(strategy, wanted, cache_key=cache_key)
    ids = [pk for pk in ids if pk not in owned][: context.limit]
    titles = dict(PRODUCT_SHELVES + HOME_SHELVES)
    return Shelf(strategy, titles.get(strategy, strategy), cards(ids, currency))
