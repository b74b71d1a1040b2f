"""Selling terms sellers and operators set up: discount codes, custom offers, bundles and
limited stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from core.accounts.models import User
from core.catalog.models import Product, ProductVariant
from core.commerce.errors import CommerceError, CommerceErrorCode, field_error
from core.commerce.models import (
    Bundle,
    BundleItem,
    CustomOffer,
    DiscountCode,
    DiscountKind,
    Inventory,
    OfferStatus,
)
from core.errors import ErrorKind
from core.marketplace import current_marketplace
from core.money import MoneyError, check_currency
from core.sellers.models import Seller


def _currency(value: str, field: str = "currency") -> str:
    try:
        currency = check_currency(value)
    except MoneyError:
        currency = ""
    if currency not in current_marketplace().currencies:
        raise field_error(
            CommerceErrorCode.CURRENCY_NOT_ALLOWED,
            field,
            f"This marketplace sells in {', '.join(current_marketplace().currencies)}.",
        )
    return currency


def _amount(value: int, field: str = "amount", *, allow_zero: bool = True) -> int:
    if value < 0 or (value == 0 and not allow_zero) or value > 10**12:
        raise field_error(
            CommerceErrorCode.INVALID_DISCOUNT
            if field != "amount"
            else CommerceErrorCode.NOT_PRICED,
            field,
            "Give a positive amount in minor units (cents).",
        )
    return value


def _own_product(
    seller: Seller, product_id: int, variant_id: int | None, field: str
) -> tuple[Product, ProductVariant | None]:
    product = Product.objects.filter(pk=product_id, seller=seller).first()
    if product is None:
        raise field_error(CommerceErrorCode.PRODUCT_NOT_FOUND, field, "No such product of yours.")
    variant = None
    if variant_id is not None:
        variant = ProductVariant.objects.filter(pk=variant_id, product=product).first()
        if variant is None:
            raise field_error(CommerceErrorCode.PRODUCT_NOT_FOUND, field, "No such option.")
    return product, variant


# --- Discount codes -------------------------------------------------------------------------


@dataclass(frozen=True)
class DiscountInput:
    code: str
    kind: DiscountKind
    percent_bp: int | None = None
    amount: int | None = None
    currency: str = ""
    minimum_subtotal: int = 0
    max_redemptions: int | None = None
    max_per_buyer: int | None = None
    starts_at: datetime | None = None
    expires_at: datetime | None = None


def create_discount_code(*, seller: Seller | None, data: DiscountInput) -> DiscountCode:
    """``seller`` None: a marketplace-wide code (operators)."""
    code = data.code.strip().upper()
    if not (3 <= len(code) <= 40) or not all(ch.isalnum() or ch in "-_" for ch in code):
        raise field_error(
            CommerceErrorCode.INVALID_DISCOUNT, "code", "3-40 letters, digits, '-' or '_'."
        )
    fields: dict[str, object] = {"kind": data.kind}
    if data.kind == DiscountKind.PERCENT:
        if data.percent_bp is None or not 1 <= data.percent_bp <= 10_000:
            raise field_error(
                CommerceErrorCode.INVALID_DISCOUNT,
                "percent_bp",
                "Percent in basis points, 1-10000 (1000 = 10 %).",
            )
        fields["percent_bp"] = data.percent_bp
    else:
        if data.amount is None or data.amount <= 0:
            raise field_error(
                CommerceErrorCode.INVALID_DISCOUNT, "amount", "A fixed code needs an amount > 0."
            )
        fields.update(amount=data.amount, currency=_currency(data.currency))
    if data.expires_at and data.starts_at and data.expires_at <= data.starts_at:
        raise field_error(
            CommerceErrorCode.INVALID_DISCOUNT, "expires_at", "Expiry must follow the start."
        )
    if data.expires_at and data.expires_at <= timezone.now():
        raise field_error(
            CommerceErrorCode.INVALID_DISCOUNT, "expires_at", "Expiry must be in the future."
        )
    for name in ("max_redemptions", "max_per_buyer"):
        value = getattr(data, name)
        if value is not None and value < 1:
            raise field_error(CommerceErrorCode.INVALID_DISCOUNT, name, "At least 1.")
    try:
        with transaction.atomic():
            return DiscountCode.objects.create(
                code=code,
                seller=seller,
                minimum_subtotal=max(data.minimum_subtotal, 0),
                max_redemptions=data.max_redemptions,
                max_per_buyer=data.max_per_buyer,
                starts_at=data.starts_at,
                expires_at=data.expires_at,
                **fields,
            )
    except IntegrityError:
        raise field_error(
            CommerceErrorCode.INVALID_DISCOUNT, "code", "This code exists already."
        ) from None


def deactivate_discount_code(*, code: DiscountCode) -> DiscountCode:
    code.is_active = False
    code.save(update_fields=["is_active"])
    return code


# --- Custom offers --------------------------------------------------------------------------


def create_offer(
    *,
    seller: Seller,
    buyer_email: str,
    product_id: int,
    variant_id: int | None,
    title: str,
    description: str,
    amount: int,
    currency: str,
    quantity: int,
    expires_at: datetime | None,
) -> CustomOffer:
    buyer = User.objects.filter(email=buyer_email.strip().lower(), is_active=True).first()
    if buyer is None:
        raise field_error(
            CommerceErrorCode.OFFER_NOT_FOUND, "buyer_email", "No buyer with this e-mail here."
        )
    if buyer.pk == seller.owner_id:
        raise field_error(
            CommerceErrorCode.OFFER_UNAVAILABLE, "buyer_email", "You cannot make yourself an offer."
        )
    product, variant = _own_product(seller, product_id, variant_id, "product_id")
    if not title.strip():
        raise field_error(CommerceErrorCode.OFFER_UNAVAILABLE, "title", "Give the offer a title.")
    if not 1 <= quantity <= 1000:
        raise field_error(CommerceErrorCode.INVALID_QUANTITY, "quantity", "Quantity 1-1000.")
    if expires_at is not None and expires_at <= timezone.now():
        raise field_error(
            CommerceErrorCode.OFFER_UNAVAILABLE, "expires_at", "Expiry must be in the future."
        )
    return CustomOffer.objects.create(
        seller=seller,
        buyer=buyer,
        product=product,
        variant=variant,
        title=title.strip()[:160],
        description=description[:4000],
        amount=_amount(amount, allow_zero=False),
        currency=_currency(currency),
        quantity=quantity,
        expires_at=expires_at,
    )


def close_offer(*, offer: CustomOffer, status: OfferStatus) -> CustomOffer:
    """Withdrawn by the seller or declined by the buyer; only an open offer closes."""
    updated = CustomOffer.objects.filter(pk=offer.pk, status=OfferStatus.OPEN).update(status=status)
    if not updated:
        raise CommerceError(
            CommerceErrorCode.OFFER_UNAVAILABLE,
            "This offer is no longer open.",
            kind=ErrorKind.CONFLICT,
        )
    offer.status = status
    return offer


# --- Bundles --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleItemInput:
    product_id: int
    variant_id: int | None = None
    quantity: int = 1


@transaction.atomic
def create_bundle(
    *, seller: Seller, name: str, amount: int, currency: str, items: list[BundleItemInput]
) -> Bundle:
    if not name.strip():
        raise field_error(CommerceErrorCode.INVALID_BUNDLE, "name", "Give the bundle a name.")
    if not 2 <= len(items) <= 20:
        raise field_error(
            CommerceErrorCode.INVALID_BUNDLE, "items", "A bundle holds 2 to 20 products."
        )
    resolved = []
    for index, item in enumerate(items):
        if not 1 <= item.quantity <= 100:
            raise field_error(
                CommerceErrorCode.INVALID_QUANTITY, f"items[{index}].quantity", "Quantity 1-100."
            )
        resolved.append(
            (
                *_own_product(
                    seller, item.product_id, item.variant_id, f"items[{index}].product_id"
                ),
                item.quantity,
            )
        )
    base = slugify(name)[:160] or "bundle"
    slug, suffix = base, 2
    while Bundle.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    bundle = Bundle.objects.create(
        seller=seller,
        name=name.strip()[:160],
        slug=slug,
        currency=_currency(currency),
        amount=_amount(amount, allow_zero=False),
    )
    BundleItem.objects.bulk_create(
        BundleItem(bundle=bundle, product=product, variant=variant, quantity=quantity)
        for product, variant, quantity in resolved
    )
    return bundle


def set_bundle_active(*, bundle: Bundle, is_active: bool) -> Bundle:
    bundle.is_active = is_active
    bundle.save(update_fields=["is_active"])
    return bundle


# --- Stock ----------------------------------------------------------------------------------


def set_stock(
    *, seller: Seller, product_id: int, variant_id: int | None, available: int | None
) -> Inventory | None:
    """``available`` None makes the item unlimited again."""
    product, variant = _own_product(seller, product_id, variant_id, "product_id")
    if available is None:
        Inventory.objects.filter(product=product, variant=variant).delete()
        return None
    if not 0 <= available <= 10_000_000:
        raise field_error(CommerceErrorCode.INVALID_QUANTITY, "available", "0 to 10,000,000.")
    stock, _ = Inventory.objects.update_or_create(
        product=product, variant=variant, defaults={"available": available}
    )
    return stock
