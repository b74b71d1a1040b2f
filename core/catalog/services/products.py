"""Sellers' products: create, edit, price, and move through the moderation workflow
(draft -> in_review -> published / rejected / archived)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from core import cache_versions
from core.accounts.validation import clean_name
from core.automod.models import ContentKind
from core.automod.services.outcomes import withdraw_holds
from core.catalog.errors import CatalogError, CatalogErrorCode
from core.catalog.models import (
    Category,
    Product,
    ProductImage,
    ProductPrice,
    ProductStatus,
    ProductVariant,
)
from core.catalog.search_index import refresh_search_vectors
from core.errors import ErrorKind
from core.events import emit
from core.marketplace import current_marketplace
from core.money import Money, MoneyError
from core.registry import get_registry
from core.registry.enablement import sellable_product_types
from core.sellers.models import Seller, SellerStatus

TAG_MAX_LENGTH = 40
TAG = re.compile(rf"^[a-z0-9][a-z0-9-]{{0,{TAG_MAX_LENGTH - 1}}}$")
FEATURE_MAX_LENGTH = 200
MAX_PRICE_MINOR = 10**12


def products_changed(product_ids: list[int]) -> None:
    """Search indexes (and later other consumers) follow through the outbox; cached catalogue
    responses are dropped at once."""
    emit("catalog.products_changed", {"product_ids": product_ids})
    cache_versions.bump(cache_versions.CATALOG)


@dataclass
class VariantData:
    name: str
    sku: str
    prices: dict[str, int]
    seats: int | None = None


@dataclass
class ProductData:
    """What a seller sends for a product; prices are minor units by currency."""

    name: str
    product_type: str
    prices: dict[str, int]
    summary: str = ""
    description: str = ""
    category_slug: str | None = None
    trial_days: int = 0
    features: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    variants: list[VariantData] = field(default_factory=list)
    image_urls: list[str] = field(default_factory=list)
    latitude_e6: int | None = None
    longitude_e6: int | None = None


def _invalid(
    field_name: str, message: str, code: CatalogErrorCode = CatalogErrorCode.INVALID_PRODUCT
) -> CatalogError:
    return CatalogError(code, message, details={"field": field_name}, kind=ErrorKind.INVALID)


def clean_prices(prices: Mapping[str, int], *, field_name: str = "prices") -> dict[str, int]:
    marketplace = current_marketplace()
    cleaned: dict[str, int] = {}
    for raw_currency, amount in prices.items():
        currency = raw_currency.strip().upper()
        if currency not in marketplace.currencies:
            raise _invalid(
                field_name,
                f"{currency} is not a currency of this marketplace "
                f"({', '.join(marketplace.currencies)}).",
                CatalogErrorCode.INVALID_PRICE,
            )
        try:
            money = Money(amount, currency)
        except MoneyError as exc:
            raise _invalid(field_name, str(exc), CatalogErrorCode.INVALID_PRICE) from None
        if not 0 <= money.amount <= MAX_PRICE_MINOR:
            raise _invalid(
                field_name,
                "Prices are between 0 and 10^12 minor units.",
                CatalogErrorCode.INVALID_PRICE,
            )
        cleaned[currency] = money.amount
    if marketplace.default_currency not in cleaned:
        raise _invalid(
            field_name,
            f"A price in the marketplace's currency ({marketplace.default_currency}) is required.",
            CatalogErrorCode.INVALID_PRICE,
        )
    return cleaned


def _clean(seller: Seller, data: ProductData) -> tuple[ProductData, Category | None]:
    if seller.status != SellerStatus.ACTIVE or not seller.is_verified:
        raise CatalogError(
            CatalogErrorCode.SELLER_NOT_ALLOWED,
            "Only verified, active sellers can list products.",
            kind=ErrorKind.FORBIDDEN,
        )
    name = clean_name(data.name, field="name")
    if not 2 <= len(name) <= 160:
        raise _invalid("name", "Product names are 2-160 characters.")
    # Types are what modules declare (their manifests), not a list here: a key no installed
    # module declares is invalid input; one whose module is off here, or that the seller was
    # not granted, is refused.
    sellable = sellable_product_types()
    spec = get_registry().product_type(data.product_type)
    if spec is None:
        raise _invalid(
            "product_type",
            f"No module sells '{data.product_type[:40]}'; choose one of "
            f"{', '.join(sorted(sellable)) or 'none (no module is on)'}.",
        )
    if data.product_type not in seller.can_sell or data.product_type not in sellable:
        raise CatalogError(
            CatalogErrorCode.PRODUCT_TYPE_NOT_ALLOWED,
            f"You may not sell {data.product_type} products on this marketplace.",
            details={"field": "product_type"},
            kind=ErrorKind.FORBIDDEN,
        )
    category = None
    if data.category_slug:
        category = Category.objects.filter(slug=data.category_slug, is_active=True).first()
        if category is None:
            raise _invalid("category", f"No category '{data.category_slug[:80]}'.")
    if not 0 <= data.trial_days <= 365:
        raise _invalid("trial_days", "Trials are 0-365 days.")
    features = [" ".join(f.split())[:FEATURE_MAX_LENGTH] for f in data.features if f.strip()]
    if len(features) > 30:
        raise _invalid("features", "At most 30 features.")
    tags = sorted({t.strip().lower() for t in data.tags if t.strip()})
    if len(tags) > 20 or not all(TAG.match(t) for t in tags):
        raise _invalid("tags", "At most 20 tags of lowercase letters, digits and hyphens.")
    if len(data.image_urls) > 10:
        raise _invalid("images", "At most 10 images.")
    if len(data.variants) > 20:
        raise _invalid("variants", "At most 20 variants.")
    skus = [slugify(v.sku) for v in data.variants]
    if len(set(skus)) != len(skus) or not all(skus):
        raise _invalid("variants", "Each variant needs its own SKU.")
    has_location = data.latitude_e6 is not None or data.longitude_e6 is not None
    if has_location and not spec.has_location:
        raise _invalid("location", f"{spec.label} have no location.")
    if has_location and (
        data.latitude_e6 is None
        or data.longitude_e6 is None
        or not -90_000_000 <= data.latitude_e6 <= 90_000_000
        or not -180_000_000 <= data.longitude_e6 <= 180_000_000
    ):
        raise _invalid("location", "Give latitude and longitude in degrees x 1,000,000.")
    cleaned = ProductData(
        name=name,
        product_type=data.product_type,
        prices=clean_prices(data.prices),
        summary=" ".join(data.summary.split())[:300],
        description=data.description.strip()[:20_000],
        category_slug=data.category_slug,
        trial_days=data.trial_days,
        features=features,
        tags=tags,
        variants=[
            VariantData(
                name=clean_name(v.name, field="variants") or v.sku,
                sku=sku,
                seats=v.seats,
                prices=clean_prices(v.prices, field_name="variants"),
            )
            for v, sku in zip(data.variants, skus, strict=True)
        ],
        image_urls=list(data.image_urls),
        latitude_e6=data.latitude_e6,
        longitude_e6=data.longitude_e6,
    )
    return cleaned, category


def _write_children(product: Product, data: ProductData) -> None:
    product.prices.all().delete()
    product.variants.all().delete()
    ProductPrice.objects.bulk_create(
        ProductPrice(product=product, currency=c, amount=a) for c, a in data.prices.items()
    )
    for position, variant_data in enumerate(data.variants):
        variant = ProductVariant.objects.create(
            product=product,
            name=variant_data.name,
            sku=variant_data.sku,
            seats=variant_data.seats,
            position=position,
        )
        ProductPrice.objects.bulk_create(
            ProductPrice(product=product, variant=variant, currency=c, amount=a)
            for c, a in variant_data.prices.items()
        )
    _write_external_images(product, data.image_urls)


def _write_external_images(product: Product, urls: list[str]) -> None:
    """``image_urls`` are the product's external images; uploaded ones
    (``core.catalog.services.images``) are kept. Unchanged URLs keep their rows (and the
    seller's order and alt texts)."""
    external = list(product.images.filter(file="").order_by("position", "id"))
    if [image.url for image in external] == list(urls):
        return
    ProductImage.objects.filter(pk__in=[image.pk for image in external]).delete()
    uploaded = product.images.count()
    if uploaded + len(urls) > 10:
        raise _invalid("images", "At most 10 images.")
    ProductImage.objects.bulk_create(
        ProductImage(product=product, url=url, position=uploaded + i) for i, url in enumerate(urls)
    )


def _apply(product: Product, data: ProductData, category: Category | None) -> None:
    product.name = data.name
    product.summary = data.summary
    product.description = data.description
    product.product_type = data.product_type
    product.category = category
    product.trial_days = data.trial_days
    product.features = data.features
    product.tags = data.tags
    product.latitude_e6 = data.latitude_e6
    product.longitude_e6 = data.longitude_e6


def create_product(*, seller: Seller, data: ProductData) -> Product:
    cleaned, category = _clean(seller, data)
    base = slugify(cleaned.name)[:160] or "product"
    for attempt in range(5):
        slug = base if attempt == 0 else f"{base}-{secrets.token_hex(3)}"
        try:
            with transaction.atomic():
                product = Product(seller=seller, slug=slug)
                _apply(product, cleaned, category)
                product.save()
                _write_children(product, cleaned)
                refresh_search_vectors([product.pk])
                products_changed([product.pk])
                return product
        except IntegrityError:
            continue
    raise _invalid("name", "Could not find a free address for this name.")


@transaction.atomic
def update_product(*, product: Product, data: ProductData) -> Product:
    """Changing a published product's content sends it back to review: buyers only ever see
    what an operator approved."""
    if product.status == ProductStatus.ARCHIVED:
        raise CatalogError(
            CatalogErrorCode.INVALID_TRANSITION,
            "Archived products cannot be edited.",
            kind=ErrorKind.CONFLICT,
        )
    cleaned, category = _clean(product.seller, data)
    _apply(product, cleaned, category)
    if product.status == ProductStatus.PUBLISHED:
        product.status = ProductStatus.IN_REVIEW
    product.save()
    _write_children(product, cleaned)
    refresh_search_vectors([product.pk])
    products_changed([product.pk])
    if product.status == ProductStatus.IN_REVIEW:
        _screen(product)
    return product


def _screen(product: Product) -> None:
    from core.catalog.services.moderation import screen_for_review  # it imports this module

    screen_for_review(product=product)


@transaction.atomic
def reprice(*, product: Product, prices: Mapping[str, int]) -> Product:
    """Base prices only; a price change does not need a new review."""
    cleaned = clean_prices(prices)
    product.prices.filter(variant__isnull=True).delete()
    ProductPrice.objects.bulk_create(
        ProductPrice(product=product, currency=c, amount=a) for c, a in cleaned.items()
    )
    Product.objects.filter(pk=product.pk).update(updated_at=timezone.now())
    products_changed([product.pk])
    return product


_SELLER_TRANSITIONS: dict[str, tuple[set[str], str]] = {
    # action: (allowed from, to)
    "publish": ({ProductStatus.DRAFT, ProductStatus.REJECTED}, ProductStatus.IN_REVIEW),
    "unpublish": ({ProductStatus.PUBLISHED, ProductStatus.IN_REVIEW}, ProductStatus.DRAFT),
    "archive": (
        {
            ProductStatus.DRAFT,
            ProductStatus.PUBLISHED,
            ProductStatus.REJECTED,
            ProductStatus.IN_REVIEW,
        },
        ProductStatus.ARCHIVED,
    ),
}


def transition(*, product: Product, action: str) -> Product:
    """A seller's move: publish (= submit for review), unpublish, archive."""
    if action not in _SELLER_TRANSITIONS:
        raise _invalid("action", f"Unknown action; use {', '.join(_SELLER_TRANSITIONS)}.")
    allowed_from, target = _SELLER_TRANSITIONS[action]
    if product.status not in allowed_from:
        raise CatalogError(
            CatalogErrorCode.INVALID_TRANSITION,
            f"A {product.get_status_display().lower()} product cannot be {action}ed.",
            details={"status": product.status, "action": action},
            kind=ErrorKind.CONFLICT,
        )
    product.status = target
    product.save(update_fields=["status", "updated_at"])
    products_changed([product.pk])
    if target == ProductStatus.IN_REVIEW:
        _screen(product)
    else:  # taken back by the seller: no longer waits for an operator
        withdraw_holds(kind=ContentKind.LISTING, object_id=product.pk)
    return product


@dataclass(frozen=True)
class BulkOutcome:
    product_id: int
    is_ok: bool
    error: str | None = None
    code: str | None = None


def bulk_apply(
    *,
    seller: Seller,
    product_ids: Sequence[int],
    action: str,
    prices: Mapping[str, int] | None = None,
) -> list[BulkOutcome]:
    """One action on many products; each product succeeds or fails on its own."""
    if len(product_ids) > 500:
        raise CatalogError(
            CatalogErrorCode.TOO_MANY,
            "At most 500 products per request.",
            details={"field": "product_ids"},
            kind=ErrorKind.INVALID,
        )
    owned = {p.pk: p for p in Product.objects.filter(seller=seller, pk__in=product_ids)}
    outcomes = []
    for product_id in product_ids:
        product = owned.get(product_id)
        if product is None:
            outcomes.append(BulkOutcome(product_id, False, "No such product.", "product_not_found"))
            continue
        try:
            with transaction.atomic():
                if action == "reprice":
                    reprice(product=product, prices=prices or {})
                else:
                    transition(product=product, action=action)
        except CatalogError as error:
            outcomes.append(BulkOutcome(product_id, False, error.message, str(error.code)))
        else:
            outcomes.append(BulkOutcome(product_id, True))
    return outcomes
