"""Buyers' catalogue (``/api/v1/catalog/``), sellers' products (``/api/v1/seller/products/``)
and operators' moderation and categories (``/api/v1/operator/catalog/``)."""

from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from core import cache_versions
from core.catalog import presenters
from core.catalog.errors import CatalogError, CatalogErrorCode
from core.catalog.models import Category, Product, ProductStatus
from core.catalog.schemas import (
    BulkIn,
    BulkOutcomeOut,
    CategoryIn,
    CategoryOut,
    CategoryUpdateIn,
    FeatureIn,
    ImportReportOut,
    MoveIn,
    PricesIn,
    ProductCardOut,
    ProductDetailOut,
    ProductIn,
    ReasonIn,
    SearchOut,
    SuggestionOut,
)
from core.catalog.search import SearchQuery, get_search_backend, module_facets
from core.catalog.search.query import GeoFilter, SortOrder
from core.catalog.selectors import visible_products, with_card_data, with_detail_data
from core.catalog.services import categories, csv_io, moderation, products
from core.errors import ErrorKind
from core.marketplace import current_marketplace
from core.pagination import keyset_page
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller

catalog_router = Router()
seller_products_router = Router()  # seller_team_auth(manage_products), applied in api/v1.py
operator_catalog_router = Router()  # operator_auth(), applied in api/v1.py


def resolve_currency(requested: str | None) -> str:
    marketplace = current_marketplace()
    currency = (requested or marketplace.default_currency).upper()
    if currency not in marketplace.currencies:
        raise CatalogError(
            CatalogErrorCode.INVALID_QUERY,
            f"Prices here are in {', '.join(marketplace.currencies)}.",
            details={"field": "currency"},
            kind=ErrorKind.INVALID,
        )
    return currency


class CatalogParams(Schema):
    q: str = ""
    category: str | None = None
    type: list[str] = []
    seller: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    min_rating: int | None = None
    lat_e6: int | None = None
    lng_e6: int | None = None
    radius_km: int | None = None
    # Module facets (ModuleManifest.search_facets) by their parameter; each one a module
    # declares needs its field here: gigs' delivery time ("1", "3", "7" days at most).
    delivery: str | None = Field(None, max_length=8)
    sort: SortOrder = SortOrder.RELEVANCE
    currency: str | None = None
    limit: int = 24
    cursor: str | None = None
    facets: bool = False


def build_query(params: CatalogParams) -> SearchQuery:
    if not 1 <= params.limit <= 100:
        raise CatalogError(
            CatalogErrorCode.INVALID_QUERY,
            "limit is 1-100.",
            details={"field": "limit"},
            kind=ErrorKind.INVALID,
        )
    if params.min_rating is not None and not 1 <= params.min_rating <= 5:
        raise CatalogError(
            CatalogErrorCode.INVALID_QUERY,
            "min_rating is 1-5.",
            details={"field": "min_rating"},
            kind=ErrorKind.INVALID,
        )
    near = None
    geo = (params.lat_e6, params.lng_e6, params.radius_km)
    if any(value is not None for value in geo):
        if params.lat_e6 is None or params.lng_e6 is None or params.radius_km is None:
            raise CatalogError(
                CatalogErrorCode.INVALID_QUERY,
                "Give lat_e6, lng_e6 and radius_km together.",
                details={"field": "radius_km"},
                kind=ErrorKind.INVALID,
            )
        if not (
            1 <= params.radius_km <= 1000
            and abs(params.lat_e6) <= 90_000_000
            and abs(params.lng_e6) <= 180_000_000
        ):
            raise CatalogError(
                CatalogErrorCode.INVALID_QUERY,
                "The location or radius (1-1000 km) is out of range.",
                details={"field": "radius_km"},
                kind=ErrorKind.INVALID,
            )
        near = GeoFilter(params.lat_e6, params.lng_e6, params.radius_km)
    try:
        module_keys = module_facets.required_keys(lambda param: getattr(params, param, None))
    except ValueError as refused:
        raise CatalogError(
            CatalogErrorCode.INVALID_QUERY,
            "That is not one of this filter's options.",
            details={"field": str(refused)},
            kind=ErrorKind.INVALID,
        ) from None
    return SearchQuery(
        currency=resolve_currency(params.currency),
        text=params.q.strip()[:200],
        category=params.category,
        product_types=tuple(params.type),
        seller=params.seller,
        price_min=params.price_min,
        price_max=params.price_max,
        min_rating=params.min_rating,
        near=near,
        module_keys=module_keys,
        sort=params.sort,
        limit=params.limit,
        cursor=params.cursor,
    )


def search_payload(params: CatalogParams, *, with_facets: bool) -> dict[str, Any]:
    query = build_query(params)
    result = get_search_backend().search(query, with_facets=with_facets)
    return {
        "items": [presenters.card(product, query.currency) for product in result.items],
        "next_cursor": result.next_cursor,
        "facets": result.facets,
    }


# --- buyers ----------------------------------------------------------------------------------


LIST_CACHE_SECONDS = 60


@catalog_router.get("", response=SearchOut, summary="List and search products")
def search(request: HttpRequest, params: Query[CatalogParams]) -> Any:
    """The same for every caller, so the serialised answer is cached per tenant and query,
    under the catalogue's version (bumped by every change to what buyers can see)."""
    query_string = urlencode(sorted(request.GET.lists()), doseq=True)
    key = f"catalog-list:{cache_versions.current_version(cache_versions.CATALOG)}:{query_string}"
    body: bytes | None = cache.get(key)
    if body is None:
        payload = SearchOut.model_validate(search_payload(params, with_facets=params.facets))
        body = payload.model_dump_json().encode()
        cache.set(key, body, LIST_CACHE_SECONDS)
    return HttpResponse(body, content_type="application/json")


@catalog_router.get("/facets", response=SearchOut, summary="Facet counts for a query")
def facets(request: HttpRequest, params: Query[CatalogParams]) -> dict[str, Any]:
    return search_payload(params, with_facets=True)


@catalog_router.get("/suggest", response=list[SuggestionOut])
def suggest(request: HttpRequest, q: str = "") -> Any:
    return get_search_backend().suggest(q)


@catalog_router.get("/categories", response=list[CategoryOut])
def list_categories(request: HttpRequest) -> Any:
    return Category.objects.filter(is_active=True).order_by("path", "position")


@catalog_router.get("/products/{slug}", response=ProductDetailOut)
def product_detail(request: HttpRequest, slug: str, currency: str | None = None) -> dict[str, Any]:
    product = with_detail_data(visible_products()).filter(slug=slug).first()
    if product is None:
        raise CatalogError(
            CatalogErrorCode.PRODUCT_NOT_FOUND, "No such product.", kind=ErrorKind.NOT_FOUND
        )
    return presenters.detail(product, resolve_currency(currency))


# --- sellers (manage_products) -----------------------------------------------------------------


def _own_product(seller: Seller, product_id: int) -> Product:
    product = with_detail_data(Product.objects.filter(seller=seller, pk=product_id)).first()
    if product is None:  # another seller's product does not exist for you
        raise CatalogError(
            CatalogErrorCode.PRODUCT_NOT_FOUND, "No such product.", kind=ErrorKind.NOT_FOUND
        )
    return product


def _data(payload: ProductIn) -> products.ProductData:
    return products.ProductData(
        name=payload.name,
        product_type=payload.product_type,
        prices=payload.prices,
        summary=payload.summary,
        description=payload.description,
        category_slug=payload.category,
        trial_days=payload.trial_days,
        features=payload.features,
        tags=payload.tags,
        variants=[
            products.VariantData(name=v.name, sku=v.sku, seats=v.seats, prices=v.prices)
            for v in payload.variants
        ],
        image_urls=[str(url) for url in payload.images],
        latitude_e6=payload.latitude_e6,
        longitude_e6=payload.longitude_e6,
    )


class SellerProductFilter(Schema):
    status: ProductStatus | None = None
    limit: int = 50
    cursor: str | None = None


class SellerProductPage(Schema):
    items: list[ProductCardOut]
    next_cursor: str | None


@seller_products_router.get("", response=SellerProductPage)
def list_own_products(request: HttpRequest, filters: Query[SellerProductFilter]) -> dict[str, Any]:
    seller = authorised_seller(request)
    mine = Product.objects.filter(seller=seller)
    if filters.status:
        mine = mine.filter(status=filters.status)
    rows, next_cursor = keyset_page(
        with_card_data(mine),
        ordering=("-id",),
        limit=max(1, min(filters.limit, 100)),
        cursor=filters.cursor,
    )
    currency = current_marketplace().default_currency
    return {"items": [presenters.card(p, currency) for p in rows], "next_cursor": next_cursor}


@seller_products_router.post("", response={201: ProductDetailOut})
def create(request: HttpRequest, payload: ProductIn) -> Status[dict[str, Any]]:
    seller = authorised_seller(request)
    product = products.create_product(seller=seller, data=_data(payload))
    return Status(201, presenters.detail(_own_product(seller, product.pk), _default()))


def _default() -> str:
    return current_marketplace().default_currency


@seller_products_router.get(
    "/export.csv",
    summary="All your products as CSV",
    openapi_extra={
        "responses": {
            200: {
                "description": "One row per product (the columns the import reads)",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def export_csv(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    response = HttpResponse(csv_io.export_products(seller=seller), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="products.csv"'
    return response


@seller_products_router.post("/import", response=ImportReportOut, summary="Import a CSV")
def import_csv(request: HttpRequest, file: File[UploadedFile]) -> Any:
    seller = authorised_seller(request)
    return csv_io.import_products(seller=seller, content=file.read(csv_io.MAX_BYTES + 1))


@seller_products_router.post("/bulk", response=list[BulkOutcomeOut])
def bulk(request: HttpRequest, payload: BulkIn) -> Any:
    seller = authorised_seller(request)
    return products.bulk_apply(
        seller=seller,
        product_ids=payload.product_ids,
        action=payload.action,
        prices=payload.prices,
    )


@seller_products_router.get("/{product_id}", response=ProductDetailOut)
def get_own(request: HttpRequest, product_id: int) -> dict[str, Any]:
    return presenters.detail(_own_product(authorised_seller(request), product_id), _default())


@seller_products_router.put("/{product_id}", response=ProductDetailOut)
def update(request: HttpRequest, product_id: int, payload: ProductIn) -> dict[str, Any]:
    seller = authorised_seller(request)
    products.update_product(product=_own_product(seller, product_id), data=_data(payload))
    return presenters.detail(_own_product(seller, product_id), _default())


@seller_products_router.put("/{product_id}/prices", response=ProductDetailOut)
def set_prices(request: HttpRequest, product_id: int, payload: PricesIn) -> dict[str, Any]:
    seller = authorised_seller(request)
    products.reprice(product=_own_product(seller, product_id), prices=payload.prices)
    return presenters.detail(_own_product(seller, product_id), _default())


@seller_products_router.post("/{product_id}/{action}", response=ProductDetailOut)
def act(request: HttpRequest, product_id: int, action: str) -> dict[str, Any]:
    """``publish`` (sends it for review), ``unpublish`` or ``archive``."""
    seller = authorised_seller(request)
    products.transition(product=_own_product(seller, product_id), action=action)
    return presenters.detail(_own_product(seller, product_id), _default())


# --- operators ---------------------------------------------------------------------------------


def _any_product(product_id: int) -> Product:
    product = with_detail_data(Product.objects.filter(pk=product_id)).first()
    if product is None:
        raise CatalogError(
            CatalogErrorCode.PRODUCT_NOT_FOUND, "No such product.", kind=ErrorKind.NOT_FOUND
        )
    return product


class QueueFilter(Schema):
    status: ProductStatus = ProductStatus.IN_REVIEW
    limit: int = 50
    cursor: str | None = None


@operator_catalog_router.get("/products", response=SellerProductPage, summary="Moderation queue")
def moderation_queue(request: HttpRequest, filters: Query[QueueFilter]) -> dict[str, Any]:
    rows, next_cursor = keyset_page(
        with_card_data(Product.objects.filter(status=filters.status)),
        ordering=("updated_at", "id"),
        limit=max(1, min(filters.limit, 100)),
        cursor=filters.cursor,
    )
    return {"items": [presenters.card(p, _default()) for p in rows], "next_cursor": next_cursor}


@operator_catalog_router.post("/products/{product_id}/approve", response=ProductDetailOut)
def approve(request: HttpRequest, product_id: int) -> dict[str, Any]:
    product = moderation.approve_product(product=_any_product(product_id))
    return presenters.detail(_any_product(product.pk), _default())


@operator_catalog_router.post("/products/{product_id}/reject", response=ProductDetailOut)
def reject(request: HttpRequest, product_id: int, payload: ReasonIn) -> dict[str, Any]:
    product = moderation.reject_product(product=_any_product(product_id), reason=payload.reason)
    return presenters.detail(_any_product(product.pk), _default())


@operator_catalog_router.post("/products/{product_id}/feature", response=ProductDetailOut)
def feature(request: HttpRequest, product_id: int, payload: FeatureIn) -> dict[str, Any]:
    moderation.set_featured(product=_any_product(product_id), is_featured=payload.is_featured)
    return presenters.detail(_any_product(product_id), _default())


def _category(category_id: int) -> Category:
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise CatalogError(
            CatalogErrorCode.CATEGORY_NOT_FOUND, "No such category.", kind=ErrorKind.NOT_FOUND
        )
    return category


@operator_catalog_router.post("/categories", response={201: CategoryOut})
def create_category(request: HttpRequest, payload: CategoryIn) -> Status[Category]:
    return Status(201, categories.create_category(**payload.model_dump()))


@operator_catalog_router.put("/categories/{category_id}", response=CategoryOut)
def update_category(request: HttpRequest, category_id: int, payload: CategoryUpdateIn) -> Category:
    return categories.update_category(category=_category(category_id), **payload.model_dump())


@operator_catalog_router.post("/categories/{category_id}/move", response=CategoryOut)
def move_category(request: HttpRequest, category_id: int, payload: MoveIn) -> Category:
    return categories.move_category(category=_category(category_id), parent_id=payload.parent_id)


@operator_catalog_router.delete("/categories/{category_id}", response={204: None})
def delete_category(request: HttpRequest, category_id: int) -> Status[None]:
    categories.delete_category(category=_category(category_id))
    return Status(204, None)
