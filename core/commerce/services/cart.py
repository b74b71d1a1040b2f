"""The buyer's cart. Anonymous visitors get a cart keyed by a token in their session; the
session survives sign-in (Django keeps its data when it cycles the key), so the first request
after signing in merges that cart into the buyer's."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.accounts.models import User
from core.analytics import counters as analytics_counters
from core.catalog.models import Product, ProductVariant
from core.commerce.errors import CommerceErrorCode, field_error
from core.commerce.models import (
    Bundle,
    Cart,
    CartLine,
    CustomOffer,
    DiscountCode,
    Inventory,
    OfferStatus,
    RecurringPrice,
)
from core.commerce.pricing import check_discount, check_purchasable
from core.marketplace import current_marketplace
from core.registry import get_registry

# Where an anonymous visitor's cart token lives in their session (kept across sign-in).
SESSION_CART_KEY = "cart_token"
MAX_QUANTITY = 1000
MAX_LINES = 100


def new_cart_token() -> str:
    return secrets.token_urlsafe(24)


def find_cart(*, buyer: User | None, token: str | None) -> Cart | None:
    """The buyer's cart (with an anonymous one merged in), or the anonymous one."""
    anonymous = Cart.objects.filter(session_key=token).first() if token else None
    if buyer is None:
        return anonymous
    cart = Cart.objects.filter(buyer=buyer).first()
    if anonymous is not None and anonymous.buyer_id is None:
        cart = merge_carts(source=anonymous, buyer=buyer, target=cart)
    return cart


def get_or_create_cart(*, buyer: User | None, token: str | None) -> Cart:
    cart = find_cart(buyer=buyer, token=token)
    if cart is not None:
        return cart
    currency = current_marketplace().default_currency
    if buyer is not None:
        try:
            with transaction.atomic():
                return Cart.objects.create(buyer=buyer, currency=currency)
        except IntegrityError:  # a concurrent request made it first
            return Cart.objects.get(buyer=buyer)
    if not token:
        raise ValueError("an anonymous cart needs a session token")
    return Cart.objects.create(session_key=token, currency=currency)


@transaction.atomic
def merge_carts(*, source: Cart, buyer: User, target: Cart | None) -> Cart:
    """Move the anonymous cart's lines into the buyer's (adding quantities of the same item);
    with no buyer cart, the anonymous cart becomes the buyer's."""
    if target is None:
        source.buyer = buyer
        source.session_key = None
        source.save(update_fields=["buyer", "session_key", "updated_at"])
        return source
    existing = {_line_key(line): line for line in target.lines.all()}
    for line in source.lines.all():
        match = existing.get(_line_key(line))
        if match is not None:
            match.quantity = min(match.quantity + line.quantity, MAX_QUANTITY)
            match.save(update_fields=["quantity"])
        else:
            line.cart = target
            line.save(update_fields=["cart"])
    if target.discount_code_id is None and source.discount_code_id is not None:
        target.discount_code_id = source.discount_code_id
        target.save(update_fields=["discount_code", "updated_at"])
    source.delete()
    return target


def _line_key(line: CartLine) -> tuple[int | None, ...]:
    return (
        line.product_id,
        line.variant_id,
        line.recurring_price_id,
        line.bundle_id,
        line.offer_id,
    )


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise field_error(
            CommerceErrorCode.INVALID_QUANTITY,
            "quantity",
            f"Quantity must be between 1 and {MAX_QUANTITY}.",
        )


def _check_room(cart: Cart) -> None:
    if cart.lines.count() >= MAX_LINES:
        raise field_error(
            CommerceErrorCode.INVALID_QUANTITY, "product_id", f"A cart holds {MAX_LINES} lines."
        )


def _check_stock(product: Product, variant: ProductVariant | None, quantity: int) -> None:
    stock = Inventory.objects.filter(product=product, variant=variant).first()
    if stock is not None and stock.available < quantity:
        raise field_error(
            CommerceErrorCode.OUT_OF_STOCK,
            "quantity",
            f"Only {stock.available} of '{product.name}' left.",
            available=stock.available,
        )


def _upsert_line(cart: Cart, quantity: int, **item: object) -> CartLine:
    line = CartLine.objects.filter(cart=cart, **item).first()
    if line is not None:
        total = line.quantity + quantity
        _check_quantity(total)
        CartLine.objects.filter(pk=line.pk).update(quantity=F("quantity") + quantity)
        line.refresh_from_db()
        return line
    _check_room(cart)
    return CartLine.objects.create(cart=cart, quantity=quantity, **item)


def is_recurring_only(product_type: str) -> bool:
    """Products of this type are sold only at a recurring price (``ProductTypeSpec``)."""
    spec = get_registry().product_type(product_type)
    return spec is not None and spec.is_recurring_only


@transaction.atomic
def add_product(
    *,
    cart: Cart,
    product_id: int,
    variant_id: int | None = None,
    recurring_price_id: int | None = None,
    quantity: int = 1,
) -> CartLine:
    _check_quantity(quantity)
    product = Product.objects.select_related("seller").filter(pk=product_id).first()
    if product is None:
        raise field_error(
            CommerceErrorCode.PRODUCT_NOT_FOUND, "product_id", "No such product here."
        )
    check_purchasable(product)
    variant = None
    if variant_id is not None:
        variant = ProductVariant.objects.filter(pk=variant_id, product=product).first()
        if variant is None:
            raise field_error(CommerceErrorCode.PRODUCT_NOT_FOUND, "variant_id", "No such option.")
    recurring = None
    if recurring_price_id is not None:
        recurring = RecurringPrice.objects.filter(
            pk=recurring_price_id, product=product, is_active=True
        ).first()
        if recurring is None:
            raise field_error(
                CommerceErrorCode.PRODUCT_NOT_FOUND, "recurring_price_id", "No such plan."
            )
        if recurring.currency != cart.currency:
            raise field_error(
                CommerceErrorCode.CURRENCY_MISMATCH,
                "recurring_price_id",
                f"This plan is in {recurring.currency}; your cart is in {cart.currency}.",
            )
        quantity = 1  # one subscription per line; seats are a variant
    elif is_recurring_only(product.product_type):
        raise field_error(
            CommerceErrorCode.PLAN_REQUIRED,
            "recurring_price_id",
            f"'{product.name}' is sold by subscription only: choose a plan.",
        )
    elif not product.prices.filter(currency=cart.currency, variant=variant).exists():
        raise field_error(
            CommerceErrorCode.NOT_PRICED,
            "product_id",
            f"'{product.name}' is not sold in {cart.currency}.",
        )
    _check_stock(product, variant, quantity)
    analytics_counters.record_add_to_cart(product_id=product.pk)
    return _upsert_line(
        cart,
        quantity,
        product=product,
        variant=variant,
        recurring_price=recurring,
        bundle=None,
        offer=None,
    )


@transaction.atomic
def add_bundle(*, cart: Cart, bundle_id: int, quantity: int = 1) -> CartLine:
    _check_quantity(quantity)
    bundle = Bundle.objects.filter(pk=bundle_id, is_active=True).first()
    if bundle is None:
        raise field_error(CommerceErrorCode.BUNDLE_NOT_FOUND, "bundle_id", "No such bundle.")
    if bundle.currency != cart.currency:
        raise field_error(
            CommerceErrorCode.CURRENCY_MISMATCH,
            "bundle_id",
            f"This bundle is in {bundle.currency}; your cart is in {cart.currency}.",
        )
    return _upsert_line(
        cart,
        quantity,
        product=None,
        variant=None,
        recurring_price=None,
        bundle=bundle,
        offer=None,
    )


@transaction.atomic
def add_offer(*, cart: Cart, buyer: User, offer_id: int) -> CartLine:
    """A custom offer goes into its buyer's cart as one line at the offered price."""
    offer = (
        CustomOffer.objects.select_related("product__seller")
        .filter(pk=offer_id, buyer=buyer)
        .first()
    )
    if offer is None:
        raise field_error(CommerceErrorCode.OFFER_NOT_FOUND, "offer_id", "No such offer.")
    if offer.status != OfferStatus.OPEN or (
        offer.expires_at is not None and offer.expires_at <= timezone.now()
    ):
        raise field_error(
            CommerceErrorCode.OFFER_UNAVAILABLE, "offer_id", "This offer is no longer open."
        )
    if offer.currency != cart.currency:
        raise field_error(
            CommerceErrorCode.CURRENCY_MISMATCH,
            "offer_id",
            f"This offer is in {offer.currency}; your cart is in {cart.currency}.",
        )
    check_purchasable(offer.product, field_name="offer_id")
    existing = CartLine.objects.filter(cart=cart, offer=offer).first()
    if existing is not None:
        return existing
    _check_room(cart)
    return CartLine.objects.create(
        cart=cart, product=offer.product, variant=offer.variant, offer=offer, quantity=1
    )


def _line(cart: Cart, line_id: int) -> CartLine:
    line = CartLine.objects.filter(cart=cart, pk=line_id).first()
    if line is None:
        raise field_error(CommerceErrorCode.CART_LINE_NOT_FOUND, "line_id", "No such cart line.")
    return line


@transaction.atomic
def set_quantity(*, cart: Cart, line_id: int, quantity: int) -> CartLine | None:
    """Quantity 0 removes the line."""
    line = _line(cart, line_id)
    if quantity == 0:
        line.delete()
        return None
    _check_quantity(quantity)
    if line.offer_id is not None or line.recurring_price_id is not None:
        raise field_error(
            CommerceErrorCode.INVALID_QUANTITY, "quantity", "This line's quantity is fixed."
        )
    if line.product is not None:
        _check_stock(line.product, line.variant, quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return line


def remove_line(*, cart: Cart, line_id: int) -> None:
    _line(cart, line_id).delete()


def apply_code(*, cart: Cart, code: str, buyer: User | None) -> DiscountCode:
    discount = DiscountCode.objects.filter(code=code.strip().upper()).first()
    if discount is None:
        raise field_error(CommerceErrorCode.DISCOUNT_INVALID, "code", "This code is not valid.")
    check_discount(discount, buyer=buyer, currency=cart.currency)
    cart.discount_code = discount
    cart.save(update_fields=["discount_code", "updated_at"])
    return discount


def remove_code(*, cart: Cart) -> None:
    cart.discount_code = None
    cart.save(update_fields=["discount_code", "updated_at"])


def set_currency(*, cart: Cart, currency: str) -> Cart:
    currency = currency.strip().upper()
    if currency not in current_marketplace().currencies:
        raise field_error(
            CommerceErrorCode.CURRENCY_NOT_ALLOWED,
            "currency",
            f"This marketplace sells in {', '.join(current_marketplace().currencies)}.",
        )
    cart.currency = currency
    cart.save(update_fields=["currency", "updated_at"])
    return cart
