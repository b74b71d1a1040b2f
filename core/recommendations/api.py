"""``/api/v1/recommendations/``: the shelves of the pages for other clients. A product's shelves
are the same for everyone (cached per tenant) but what a signed-in buyer owns; the buyer's own
shelves need a signed-in buyer (session or a token with the read scope)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from core.accounts.auth import buyer_auth
from core.accounts.models import TokenScope
from core.accounts.principal import principal_of
from core.catalog.selectors import visible_products
from core.errors import ErrorKind
from core.marketplace import current_marketplace
from core.recommendations.errors import RecommendationError, RecommendationErrorCode
from core.recommendations.recommenders import Context
from core.recommendations.schemas import ShelfOut
from core.recommendations.shelves import SHELF_SIZE, Shelf, shelf
from core.recommendations.viewed import signed_in_buyer_id

recommendations_router = Router()
MAX_LIMIT = 24


class ShelfParams(Schema):
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = SHELF_SIZE


def _out(found: Shelf) -> ShelfOut:
    return ShelfOut.model_validate(
        {"strategy": found.key, "title": found.title, "items": found.items}
    )


def _product_shelf(request: HttpRequest, slug: str, strategy: str, limit: int) -> ShelfOut:
    product = visible_products().filter(slug=slug).values_list("pk", "category__path").first()
    if product is None:
        raise RecommendationError(
            RecommendationErrorCode.PRODUCT_NOT_FOUND, "No such product.", kind=ErrorKind.NOT_FOUND
        )
    product_id, category_path = product
    context = Context(
        limit=limit,
        product_id=product_id,
        category_paths=(category_path,) if category_path else (),
        buyer_id=signed_in_buyer_id(request),
    )
    currency = current_marketplace().default_currency
    return _out(shelf(strategy, context, currency=currency, cache_key=f"p{product_id}"))


@recommendations_router.get(
    "/products/{slug}/also-bought", response=ShelfOut, summary="Customers also bought"
)
def also_bought(request: HttpRequest, slug: str, params: Query[ShelfParams]) -> ShelfOut:
    return _product_shelf(request, slug, "also_bought", params.limit)


@recommendations_router.get("/products/{slug}/similar", response=ShelfOut, summary="Similar")
def similar(request: HttpRequest, slug: str, params: Query[ShelfParams]) -> ShelfOut:
    return _product_shelf(request, slug, "similar", params.limit)


def _buyer_shelf(request: HttpRequest, strategy: str, limit: int) -> ShelfOut:
    buyer_id = int(principal_of(request).user.pk)
    context = Context(limit=limit, buyer_id=buyer_id)
    currency = current_marketplace().default_currency
    # Recently viewed changes with every page: never cached as a list.
    cache_key = None if strategy == "recently_viewed" else f"u{buyer_id}"
    return _out(shelf(strategy, context, currency=currency, cache_key=cache_key))


@recommendations_router.get(
    "/me/recently-viewed",
    response=ShelfOut,
    auth=buyer_auth(TokenScope.READ),
    summary="The signed-in buyer's recently viewed products",
)
def recently_viewed(request: HttpRequest, params: Query[ShelfParams]) -> ShelfOut:
    return _buyer_shelf(request, "recently_viewed", params.limit)


@recommendations_router.get(
    "/me/for-you",
    response=ShelfOut,
    auth=buyer_auth(TokenScope.READ),
    summary="Recommended for the signed-in buyer",
)
def for_you(request: HttpRequest, params: Query[ShelfParams]) -> ShelfOut:
    return _buyer_shelf(request, "for_you", params.limit)
