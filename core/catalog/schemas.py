from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import HttpUrl

from core.catalog.models import Category, Product, ProductImage, ProductVariant
from core.catalog.services.products import FEATURE_MAX_LENGTH, TAG_MAX_LENGTH
from core.schemas import StrictSchema, model_max_length


class PriceOut(Schema):
    amount: int
    currency: str
    display: str


class CategoryRefOut(Schema):
    slug: str
    name: str


class SellerRefOut(Schema):
    slug: str
    business_name: str


class ProductCardOut(Schema):
    id: int
    slug: str
    name: str
    summary: str
    product_type: str
    status: str
    category: CategoryRefOut | None
    seller: SellerRefOut
    price: PriceOut | None
    # The price is the lowest of the options the buyer chooses between ("From ...").
    price_is_from: bool = False
    image_url: str | None
    rating_average_tenths: int | None
    rating_count: int
    is_featured: bool
    published_at: datetime | None


class VariantOut(Schema):
    sku: str
    name: str
    seats: int | None
    prices: list[PriceOut]


class ProductDetailOut(ProductCardOut):
    description: str
    features: list[str]
    tags: list[str]
    trial_days: int
    prices: list[PriceOut]
    variants: list[VariantOut]
    images: list[dict[str, str]]
    moderation_note: str
    details: dict[str, Any] | None


class FacetCountOut(Schema):
    value: str
    label: str
    count: int


class ModuleFacetOut(Schema):
    param: str = Field(description="The query parameter that filters on it, e.g. delivery")
    label: str
    options: list[FacetCountOut]


class FacetsOut(Schema):
    categories: list[FacetCountOut]
    product_types: list[FacetCountOut]
    sellers: list[FacetCountOut]
    price_bands: list[FacetCountOut]
    ratings: list[FacetCountOut]
    module_facets: list[ModuleFacetOut] = Field(
        default_factory=list, description="Facets of the modules on here, e.g. delivery time"
    )
    is_approximate: bool = Field(
        False, description="The query matched so many products that the counts are estimates"
    )


class SearchOut(Schema):
    items: list[ProductCardOut]
    next_cursor: str | None
    facets: FacetsOut | None


class SuggestionOut(Schema):
    name: str
    slug: str


class CategoryOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    parent_id: int | None
    depth: int
    position: int
    is_active: bool


class VariantIn(StrictSchema):
    name: str = Field(..., max_length=model_max_length(ProductVariant, "name"))
    sku: str = Field(..., max_length=model_max_length(ProductVariant, "sku"))
    seats: int | None = Field(None, ge=1, le=1_000_000)
    prices: dict[str, int]


ImageUrl = Annotated[HttpUrl, Field(max_length=model_max_length(ProductImage, "url"))]
Feature = Annotated[str, Field(max_length=FEATURE_MAX_LENGTH)]
Tag = Annotated[str, Field(max_length=TAG_MAX_LENGTH)]


class ProductIn(StrictSchema):
    name: str = Field(..., max_length=model_max_length(Product, "name"))
    product_type: str = Field(..., max_length=model_max_length(Product, "product_type"))
    prices: dict[str, int] = Field(..., description="Minor units by currency, e.g. {'USD': 1999}")
    summary: str = Field("", max_length=model_max_length(Product, "summary"))
    description: str = Field("", max_length=model_max_length(Product, "description"))
    category: str | None = Field(
        None, max_length=model_max_length(Category, "slug"), description="category slug"
    )
    trial_days: int = Field(0, ge=0, le=365)
    features: list[Feature] = Field(default_factory=list, max_length=30)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    variants: list[VariantIn] = Field(default_factory=list, max_length=20)
    images: list[ImageUrl] = Field(default_factory=list, max_length=10)
    latitude_e6: int | None = None
    longitude_e6: int | None = None


class PricesIn(StrictSchema):
    prices: dict[str, int]


class BulkIn(StrictSchema):
    product_ids: list[int] = Field(..., min_length=1, max_length=500)
    action: str = Field(..., pattern="^(publish|unpublish|archive|reprice)$")
    prices: dict[str, int] | None = None


class BulkOutcomeOut(Schema):
    product_id: int
    is_ok: bool
    error: str | None
    code: str | None


class ImportRowErrorOut(Schema):
    row: int
    field: str | None
    message: str


class ImportReportOut(Schema):
    created: int
    updated: int
    errors: list[ImportRowErrorOut]


class CategoryIn(StrictSchema):
    name: str = Field(..., max_length=model_max_length(Category, "name"))
    slug: str = Field("", max_length=model_max_length(Category, "slug"))
    parent_id: int | None = None
    description: str = Field("", max_length=model_max_length(Category, "description"))
    position: int = Field(0, ge=0, le=10_000)


class CategoryUpdateIn(StrictSchema):
    name: str = Field(..., max_length=model_max_length(Category, "name"))
    description: str = Field("", max_length=model_max_length(Category, "description"))
    position: int = Field(0, ge=0, le=10_000)
    is_active: bool = True


class MoveIn(StrictSchema):
    parent_id: int | None


class ReasonIn(StrictSchema):
    reason: str = Field(..., max_length=model_max_length(Product, "moderation_note"))


class FeatureIn(StrictSchema):
    is_featured: bool
