"""What a cart costs: unit prices in the cart's currency, bundles split over their items, the
discount code, tax by the buyer's country and region, and the marketplace's commission. All
integer minor units; every split allocates remainders so the parts sum to the whole.

Per line: ``total = tax + commission + seller_net`` where ``total`` is what the buyer pays for
it. With tax-exclusive prices ``total = (subtotal - discount) + tax``; with tax-inclusive ones
``total = subtotal - discount`` and the tax is the part of it at the rule's rate."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from core.accounts.models import User
from core.catalog.models import Product, ProductPrice, ProductStatus, ProductVariant
from core.commerce.errors import CommerceErrorCode, field_error
from core.commerce.models import (
    Bundle,
    BundleItem,
    Cart,
    CartLine,
    CategoryCommission,
    CommerceSettings,
    CustomOffer,
    DiscountCode,
    DiscountKind,
    Order,
    OrderStatus,
    RecurringPrice,
    TaxRule,
)
from core.commerce.selectors import escrowed_product_types
from core.money import Money
from core.registry.enablement import sellable_product_types
from core.sellers.models import Seller, SellerStatus


@dataclass
class PricedLine:
    product: Product
    quantity: int
    subtotal: int
    unit_amount: int
    variant: ProductVariant | None = None
    recurring_price: RecurringPrice | None = None
    bundle: Bundle | None = None
    offer: CustomOffer | None = None
    cart_line_id: int | None = None
    discount: int = 0
    tax_rate_bp: int = 0
    tax_name: str = ""
    tax: int = 0
    total: int = 0
    commission_rate_bp: int = 0
    commission: int = 0
    seller_net: int = 0
    is_escrow: bool = False

    @property
    def seller(self) -> Seller:
        return self.product.seller

    @property
    def title(self) -> str:
        parts = [self.product.name]
        if self.variant is not None:
            parts.append(self.variant.name)
        if self.bundle is not None:
            parts.append(f"(in {self.bundle.name})")
        if self.offer is not None:
            parts = [self.offer.title]
        return " - ".join(parts)[:250]


@dataclass
class Quote:
    currency: str
    prices_include_tax: bool
    lines: list[PricedLine]
    discount_code: DiscountCode | None = None
    warnings: list[str] = field(default_factory=list)

    def _sum(self, attribute: str) -> int:
        return sum(getattr(line, attribute) for line in self.lines)

    @property
    def subtotal(self) -> int:
        return self._sum("subtotal")

    @property
    def discount_total(self) -> int:
        return self._sum("discount")

    @property
    def tax_total(self) -> int:
        return self._sum("tax")

    @property
    def total(self) -> int:
        return self._sum("total")

    @property
    def commission_total(self) -> int:
        return self._sum("commission")

    def by_seller(self) -> dict[int, list[PricedLine]]:
        grouped: dict[int, list[PricedLine]] = defaultdict(list)
        for line in self.lines:
            grouped[line.product.seller_id].append(line)
        return dict(grouped)


@dataclass(frozen=True)
class BillingAddress:
    country: str = ""
    region: str = ""


def load_cart_lines(cart: Cart) -> list[CartLine]:
    """The cart's lines with everything pricing reads: three queries, whatever the size."""
    currency_prices = ProductPrice.objects.filter(currency=cart.currency)
    return list(
        CartLine.objects.filter(cart=cart)
        .select_related(
            "product__seller",
            "variant",
            "recurring_price",
            "offer",
            "bundle__seller",
        )
        .prefetch_related(
            Prefetch("product__prices", queryset=currency_prices),
            Prefetch(
                "bundle__items",
                queryset=BundleItem.objects.select_related("product__seller", "variant")
                .prefetch_related(Prefetch("product__prices", queryset=currency_prices))
                .order_by("id"),
            ),
        )
        .order_by("id")
    )


def _list_price(product: Product, variant: ProductVariant | None, currency: str) -> int | None:
    for price in product.prices.all():  # prefetched in the cart's currency
        if price.currency == currency and price.variant_id == (variant.pk if variant else None):
            return price.amount
    return None


def check_purchasable(product: Product, *, field_name: str = "product_id") -> None:
    seller = product.seller
    if (
        product.status != ProductStatus.PUBLISHED
        or product.product_type not in sellable_product_types()
        or seller.status != SellerStatus.ACTIVE
        or not seller.is_verified
    ):
        raise field_error(
            CommerceErrorCode.NOT_PURCHASABLE,
            field_name,
            f"'{product.name}' cannot be bought right now.",
        )


def price_lines(cart_lines: list[CartLine], currency: str) -> list[PricedLine]:
    """Cart lines to priced lines (a bundle becomes one line per item)."""
    priced: list[PricedLine] = []
    for cart_line in cart_lines:
        if cart_line.bundle is not None:
            priced.extend(_bundle_lines(cart_line, currency))
            continue
        product = cart_line.product
        assert product is not None  # the database's check: a line is a product or a bundle
        check_purchasable(product)
        if cart_line.offer is not None:
            quantity, subtotal = cart_line.offer.quantity, _offer_amount(cart_line.offer, currency)
        else:
            quantity = cart_line.quantity
            subtotal = _unit_amount(cart_line, product, currency) * quantity
        priced.append(
            PricedLine(
                product=product,
                variant=cart_line.variant,
                recurring_price=cart_line.recurring_price,
                offer=cart_line.offer,
                quantity=quantity,
                unit_amount=subtotal // quantity,
                subtotal=subtotal,
                cart_line_id=cart_line.pk,
            )
        )
    return priced


def _unit_amount(cart_line: CartLine, product: Product, currency: str) -> int:
    recurring = cart_line.recurring_price
    if recurring is not None:
        if recurring.currency != currency:
            raise field_error(
                CommerceErrorCode.CURRENCY_MISMATCH,
                "currency",
                f"This subscription is priced in {recurring.currency}, the cart in {currency}.",
            )
        # A trial is free now; renewals charge the price.
        return 0 if recurring.trial_days else recurring.amount
    amount = _list_price(product, cart_line.variant, currency)
    if amount is None:
        raise field_error(
            CommerceErrorCode.NOT_PRICED,
            "currency",
            f"'{product.name}' has no price in {currency}.",
            product_id=product.pk,
        )
    return amount


def _offer_amount(offer: CustomOffer, currency: str) -> int:
    """A custom offer's price is for its whole quantity, in its own currency."""
    if offer.currency != currency:
        raise field_error(
            CommerceErrorCode.CURRENCY_MISMATCH,
            "currency",
            f"This offer is in {offer.currency}, the cart in {currency}.",
        )
    return offer.amount


def _bundle_lines(cart_line: CartLine, currency: str) -> list[PricedLine]:
    bundle = cart_line.bundle
    assert bundle is not None
    items = list(bundle.items.all())
    if not bundle.is_active or not items:
        raise field_error(
            CommerceErrorCode.INVALID_BUNDLE, "bundle_id", f"'{bundle.name}' is not on sale."
        )
    if bundle.currency != currency:
        raise field_error(
            CommerceErrorCode.CURRENCY_MISMATCH,
            "currency",
            f"'{bundle.name}' is priced in {bundle.currency}, the cart in {currency}.",
        )
    for item in items:
        check_purchasable(item.product, field_name="bundle_id")
    # Split the bundle price by the items' list prices (by quantity when one is unpriced).
    list_prices = [_list_price(item.product, item.variant, currency) for item in items]
    if all(price for price in list_prices):
        weights = [
            int(price or 0) * item.quantity for price, item in zip(list_prices, items, strict=True)
        ]
    else:
        weights = [item.quantity for item in items]
    shares = Money(bundle.amount * cart_line.quantity, currency).allocate(weights)
    lines = []
    for item, share in zip(items, shares, strict=True):
        quantity = item.quantity * cart_line.quantity
        lines.append(
            PricedLine(
                product=item.product,
                variant=item.variant,
                bundle=bundle,
                quantity=quantity,
                unit_amount=share.amount // quantity,
                subtotal=share.amount,
                cart_line_id=cart_line.pk,
            )
        )
    return lines


# --- Discount codes -------------------------------------------------------------------------


def check_discount(code: DiscountCode, *, buyer: User | None, currency: str) -> None:
    """Whether the code may be used now by this buyer (not yet whether it applies)."""
    now = timezone.now()
    if not code.is_active or (code.starts_at and code.starts_at > now):
        raise field_error(CommerceErrorCode.DISCOUNT_INVALID, "code", "This code is not valid.")
    if code.expires_at and code.expires_at <= now:
        raise field_error(CommerceErrorCode.DISCOUNT_EXPIRED, "code", "This code has expired.")
    if code.max_redemptions is not None and code.redemptions >= code.max_redemptions:
        raise field_error(
            CommerceErrorCode.DISCOUNT_EXHAUSTED, "code", "This code has been used up."
        )
    if code.kind == DiscountKind.FIXED and code.currency != currency:
        raise field_error(
            CommerceErrorCode.DISCOUNT_NOT_APPLICABLE,
            "code",
            f"This code is for carts in {code.currency}.",
        )
    if buyer is not None and code.max_per_buyer is not None:
        used = (
            Order.objects.filter(buyer=buyer, discount_code=code.code)
            .exclude(status=OrderStatus.CANCELLED)
            .count()
        )
        if used >= code.max_per_buyer:
            raise field_error(
                CommerceErrorCode.DISCOUNT_EXHAUSTED, "code", "You have already used this code."
            )


def apply_discount(lines: list[PricedLine], code: DiscountCode, currency: str) -> None:
    eligible = [
        line
        for line in lines
        if line.offer is None
        and (code.seller_id is None or line.product.seller_id == code.seller_id)
        and line.subtotal > 0
    ]
    eligible_subtotal = sum(line.subtotal for line in eligible)
    if not eligible:
        raise field_error(
            CommerceErrorCode.DISCOUNT_NOT_APPLICABLE,
            "code",
            "This code does not apply to anything in your cart.",
        )
    if eligible_subtotal < code.minimum_subtotal:
        minimum = Money(code.minimum_subtotal, currency)
        raise field_error(
            CommerceErrorCode.DISCOUNT_NOT_APPLICABLE,
            "code",
            f"This code needs at least {minimum} of eligible items.",
        )
    if code.kind == DiscountKind.PERCENT:
        for line in eligible:
            line.discount = Money(line.subtotal, currency).basis_points(code.percent_bp or 0).amount
        return
    off = min(code.amount or 0, eligible_subtotal)
    shares = Money(off, currency).allocate([line.subtotal for line in eligible])
    for line, share in zip(eligible, shares, strict=True):
        line.discount = share.amount


# --- Tax and commission ---------------------------------------------------------------------


def tax_rule_for(rules: list[TaxRule], *, region: str, product_type: str) -> TaxRule | None:
    """The most specific rule: region and type, then region, then type, then the country."""
    ranked = {
        (rule.region, rule.product_type): rule
        for rule in rules
        if rule.region in ("", region) and rule.product_type in ("", product_type)
    }
    for key in ((region, product_type), (region, ""), ("", product_type), ("", "")):
        if key in ranked:
            return ranked[key]
    return None


def commission_rate_for(
    product: Product,
    settings: CommerceSettings,
    category_rates: dict[int, int],
    ancestry: dict[int, list[int]],
) -> int:
    """Seller override, else the nearest category override (up the tree), else the
    marketplace default."""
    if product.seller.commission_rate_bp is not None:
        return product.seller.commission_rate_bp
    for category_id in ancestry.get(product.category_id or 0, []):
        if category_id in category_rates:
            return category_rates[category_id]
    return settings.commission_rate_bp


def apply_tax_and_commission(
    lines: list[PricedLine],
    *,
    currency: str,
    settings: CommerceSettings,
    address: BillingAddress,
) -> None:
    from core.catalog.models import Category

    rules = (
        list(TaxRule.objects.filter(country=address.country, is_active=True))
        if address.country
        else []
    )
    category_ids = {line.product.category_id for line in lines if line.product.category_id}
    ancestry: dict[int, list[int]] = {}
    for category in Category.objects.filter(pk__in=category_ids).only("id", "path"):
        chain = [int(part) for part in category.path.strip("/").split("/") if part]
        ancestry[category.pk] = list(reversed(chain)) if chain else [category.pk]
        if category.pk not in ancestry[category.pk]:
            ancestry[category.pk].insert(0, category.pk)
    all_ids = {cid for chain in ancestry.values() for cid in chain}
    category_rates = dict(
        CategoryCommission.objects.filter(category_id__in=all_ids).values_list(
            "category_id", "commission_rate_bp"
        )
    )
    escrow_types = escrowed_product_types(settings)
    for line in lines:
        net = line.subtotal - line.discount
        rule = tax_rule_for(rules, region=address.region, product_type=line.product.product_type)
        rate = rule.rate_bp if rule else 0
        if settings.prices_include_tax:
            line.total = net
            line.tax = (net * rate + (10_000 + rate) // 2) // (10_000 + rate) if rate else 0
        else:
            line.tax = Money(net, currency).basis_points(rate).amount
            line.total = net + line.tax
        line.tax_rate_bp, line.tax_name = rate, (rule.name if rule else "")
        line.commission_rate_bp = commission_rate_for(
            line.product, settings, category_rates, ancestry
        )
        line.commission = (
            Money(line.total - line.tax, currency).basis_points(line.commission_rate_bp).amount
        )
        line.seller_net = line.total - line.tax - line.commission
        line.is_escrow = line.product.product_type in escrow_types


def quote(
    cart_lines: list[CartLine],
    *,
    currency: str,
    settings: CommerceSettings,
    address: BillingAddress,
    discount_code: DiscountCode | None,
    buyer: User | None,
) -> Quote:
    lines = price_lines(cart_lines, currency)
    result = Quote(currency=currency, prices_include_tax=settings.prices_include_tax, lines=lines)
    if discount_code is not None:
        check_discount(discount_code, buyer=buyer, currency=currency)
        apply_discount(lines, discount_code, currency)
        result.discount_code = discount_code
    apply_tax_and_commission(lines, currency=currency, settings=settings, address=address)
    return result
