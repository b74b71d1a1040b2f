"""Products as the API and pages show them (prices in the buyer's currency)."""

from __future__ import annotations

from typing import Any

from core.catalog.models import Product, ProductPrice
from core.money import Money
from core.registry import get_registry


def _tenths(value: int | None) -> str | None:
    """43 -> "4.3", in integers."""
    return None if value is None else f"{value // 10}.{value % 10}"


def price_out(price: ProductPrice) -> dict[str, Any]:
    money = Money(price.amount, price.currency)
    return {"amount": money.amount, "currency": money.currency, "display": str(money)}


def base_price(product: Product, currency: str) -> ProductPrice | None:
    """From the prefetched prices (no query)."""
    for price in product.prices.all():
        if price.variant_id is None and price.currency == currency:
            return price
    return None


def card(product: Product, currency: str) -> dict[str, Any]:
    price = base_price(product, currency)
    images = list(product.images.all())
    return {
        "id": product.pk,
        "slug": product.slug,
        "name": product.name,
        "summary": product.summary,
        "product_type": product.product_type,
        "status": product.status,
        "category": product.category,
        "seller": product.seller,
        "price": price_out(price) if price else None,
        "price_is_from": _price_is_from(product.product_type),
        "image_url": images[0].src if images else None,
        "rating_average_tenths": product.rating_average_tenths,
        "rating_display": _tenths(product.rating_average_tenths),
        "rating_count": product.rating_count,
        "is_featured": product.is_featured,
        "published_at": product.published_at,
    }


def _price_is_from(product_type: str) -> bool:
    spec = get_registry().product_type(product_type)
    return spec is not None and spec.price_is_from


def module_details(product: Product) -> dict[str, Any] | None:
    """The one-to-one details record of the module that sells this type, if it has one
    (``ModuleManifest.details_model``); serialised by the model's ``as_api_dict()``."""
    registry = get_registry()
    for manifest in registry:
        if product.product_type in manifest.product_type_keys and manifest.details_accessor:
            record = getattr(product, manifest.details_accessor, None)
            if record is not None and hasattr(record, "as_api_dict"):
                details: dict[str, Any] = record.as_api_dict()
                return details
    return None


def detail(product: Product, currency: str) -> dict[str, Any]:
    variants = []
    for variant in product.variants.all():
        variants.append(
            {
                "sku": variant.sku,
                "name": variant.name,
                "seats": variant.seats,
                "prices": [price_out(p) for p in variant.prices.all()],
            }
        )
    return {
        **card(product, currency),
        "description": product.description,
        "features": product.features,
        "tags": product.tags,
        "trial_days": product.trial_days,
        "prices": [price_out(p) for p in product.prices.all() if p.variant_id is None],
        "variants": variants,
        "images": [{"url": i.src, "alt": i.alt} for i in product.images.all()],
        "moderation_note": product.moderation_note,
        "details": module_details(product),
    }
