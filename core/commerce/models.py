"""Carts, orders and what shapes a price: stock, bundles, discount codes, custom offers,
recurring prices, commission overrides and tax rules. Money columns are integer minor units
beside a currency column; the ledger (core.payments) is the source of truth for balances."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.catalog.models import Category, Product, ProductVariant
from core.sellers.models import Seller


def default_escrow_product_types() -> list[str]:
    """The escrowed types before modules declared theirs (migration 0001 refers to it)."""
    return ["service"]


class CommerceSettings(models.Model):
    """The marketplace's commerce policy: one row per schema (pk 1)."""

    commission_rate_bp = models.PositiveIntegerField(default=1000)
    prices_include_tax = models.BooleanField(default=False)
    # Payouts below this (in the currency's minor units) wait for the next run.
    minimum_payout = models.PositiveIntegerField(default=1000)
    invoice_prefix = models.CharField(max_length=12, default="INV-")
    next_invoice_number = models.PositiveIntegerField(default=1)
    # The operator's override of which product types are held in escrow until their module
    # releases them; null (the default) follows each type's ``is_escrow_by_default`` in its
    # module's manifest (commerce.selectors.escrowed_product_types).
    escrow_product_types = models.JSONField(null=True, blank=True, default=None)

    class Meta:
        verbose_name_plural = "commerce settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_rate_bp__lte=10_000), name="commission_at_most_100"
            )
        ]

    def __str__(self) -> str:
        return "commerce settings"


class CategoryCommission(models.Model):
    category = models.OneToOneField(Category, on_delete=models.CASCADE, related_name="commission")
    commission_rate_bp = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_rate_bp__lte=10_000),
                name="category_commission_at_most_100",
            )
        ]

    def __str__(self) -> str:
        return f"{self.category_id}: {self.commission_rate_bp} bp"


class Inventory(models.Model):
    """Limited stock of a product or one of its variants; no row means unlimited. Checkout
    takes units with a guarded UPDATE, so concurrent buyers can never oversell."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="inventory")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    available = models.IntegerField()

    class Meta:
        verbose_name_plural = "inventory"
        constraints = [
            models.CheckConstraint(condition=Q(available__gte=0), name="stock_never_negative"),
            models.UniqueConstraint(
                fields=["product"], condition=Q(variant__isnull=True), name="one_product_stock"
            ),
            models.UniqueConstraint(
                fields=["variant"], condition=Q(variant__isnull=False), name="one_variant_stock"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}/{self.variant_id}: {self.available}"


class Interval(models.TextChoices):
    MONTH = "month", "Monthly"
    YEAR = "year", "Yearly"


class RecurringPrice(models.Model):
    """A subscription price: charged every ``interval_count`` intervals after a trial."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="recurring_prices")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    interval = models.CharField(max_length=5, choices=Interval.choices)
    interval_count = models.PositiveSmallIntegerField(default=1)
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    trial_days = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="recurring_price_not_negative"),
            models.CheckConstraint(
                condition=Q(interval_count__gte=1, interval_count__lte=36),
                name="recurring_interval_count_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}/{self.interval_count} {self.interval}"


class Bundle(models.Model):
    """A package deal: several products of one seller at a set price."""

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="bundles")
    name = models.CharField(max_length=160)
    slug = models.SlugField(max_length=180, unique=True)
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="bundle_price_not_negative")
        ]

    def __str__(self) -> str:
        return self.name


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="bundle_item_quantity")
        ]

    def __str__(self) -> str:
        return f"{self.bundle_id}: {self.quantity} x {self.product_id}"


class DiscountKind(models.TextChoices):
    PERCENT = "percent", "Percent off"
    FIXED = "fixed", "Fixed amount off"


class DiscountCode(models.Model):
    """Tenant-wide (``seller`` null, made by operators) or one seller's (applies to that
    seller's lines only). Codes are stored upper-case."""

    code = models.CharField(max_length=40, unique=True)
    seller = models.ForeignKey(
        Seller, null=True, blank=True, on_delete=models.CASCADE, related_name="discount_codes"
    )
    kind = models.CharField(max_length=8, choices=DiscountKind.choices)
    percent_bp = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    amount = models.BigIntegerField(null=True, blank=True)
    minimum_subtotal = models.BigIntegerField(default=0)
    max_redemptions = models.PositiveIntegerField(null=True, blank=True)
    max_per_buyer = models.PositiveIntegerField(null=True, blank=True)
    redemptions = models.PositiveIntegerField(default=0)
    starts_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="percent", percent_bp__gte=1, percent_bp__lte=10_000)
                    | Q(kind="fixed", amount__gt=0)
                ),
                name="discount_value_valid",
            ),
            models.CheckConstraint(
                condition=Q(max_redemptions__isnull=True)
                | Q(redemptions__lte=F("max_redemptions")),
                name="discount_redemptions_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class OfferStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class CustomOffer(models.Model):
    """A seller's private priced offer to one buyer, bought through the cart."""

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="custom_offers")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="custom_offers"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=160)
    description = models.TextField(blank=True, max_length=4000)
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    quantity = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default="open")
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="offer_not_negative"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="offer_quantity"),
        ]

    def __str__(self) -> str:
        return self.title


class Cart(models.Model):
    """A signed-in buyer's cart, or an anonymous session's (merged into the buyer's at
    sign-in)."""

    buyer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cart",
    )
    session_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    currency = models.CharField(max_length=3)
    discount_code = models.ForeignKey(
        DiscountCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(buyer__isnull=False) | Q(session_key__isnull=False),
                name="cart_has_owner",
            )
        ]

    def __str__(self) -> str:
        return f"cart {self.pk}"


class CartLine(models.Model):
    """One of: a product (with optional variant or recurring price), a bundle, an offer."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recurring_price = models.ForeignKey(
        RecurringPrice, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    bundle = models.ForeignKey(
        Bundle, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    offer = models.ForeignKey(
        CustomOffer, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    quantity = models.PositiveIntegerField(default=1)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=1000), name="cart_quantity_range"
            ),
            models.CheckConstraint(
                condition=(
                    Q(product__isnull=False, bundle__isnull=True)
                    | Q(product__isnull=True, bundle__isnull=False, offer__isnull=True)
                ),
                name="cart_line_is_product_or_bundle",
            ),
            models.UniqueConstraint(
                fields=["cart", "product", "variant", "recurring_price", "bundle", "offer"],
                nulls_distinct=False,
                name="cart_line_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cart_id}: {self.quantity}"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Awaiting payment"
    PAID = "paid", "Paid"
    FULFILLING = "fulfilling", "Being fulfilled"
    FULFILLED = "fulfilled", "Fulfilled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    DISPUTED = "disputed", "Disputed"


class Order(models.Model):
    """One checkout. The number is the id: schemas have their own sequences."""

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    email = models.EmailField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT
    )
    subtotal = models.BigIntegerField()
    discount_total = models.BigIntegerField(default=0)
    tax_total = models.BigIntegerField(default=0)
    total = models.BigIntegerField()
    commission_total = models.BigIntegerField(default=0)
    refunded_total = models.BigIntegerField(default=0)
    prices_include_tax = models.BooleanField(default=False)
    billing_country = models.CharField(max_length=2, blank=True)
    billing_region = models.CharField(max_length=10, blank=True)
    billing_name = models.CharField(max_length=150, blank=True)
    discount_code = models.CharField(max_length=40, blank=True)
    provider = models.CharField(max_length=20)
    idempotency_key = models.CharField(max_length=100)
    # Set for renewals: the subscription this order renews.
    subscription_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["buyer", "idempotency_key"], name="order_once_per_key"),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, discount_total__gte=0, tax_total__gte=0, total__gte=0),
                name="order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0, refunded_total__lte=F("total")),
                name="order_refunds_within_total",
            ),
        ]
        indexes = [models.Index(fields=["buyer", "-id"], name="order_buyer_recent")]

    def __str__(self) -> str:
        return f"order {self.pk}"


class SubOrder(models.Model):
    """The part of an order one seller fulfils."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="sub_orders")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="sub_orders")
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT
    )
    subtotal = models.BigIntegerField()
    discount_total = models.BigIntegerField(default=0)
    tax_total = models.BigIntegerField(default=0)
    total = models.BigIntegerField()
    commission_total = models.BigIntegerField(default=0)
    seller_net = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "seller"], name="one_sub_order_per_seller")
        ]
        indexes = [models.Index(fields=["seller", "-id"], name="sub_order_seller_recent")]

    def __str__(self) -> str:
        return f"sub-order {self.order_id}/{self.seller_id}"


class LineStatus(models.TextChoices):
    PENDING = "pending", "Awaiting payment"
    FULFILLING = "fulfilling", "Being fulfilled"
    FULFILLED = "fulfilled", "Fulfilled"
    COMPLETED = "completed", "Completed"
    REVOKED = "revoked", "Revoked"
    CANCELLED = "cancelled", "Cancelled"


class OrderLine(models.Model):
    """What was bought, priced as it was at checkout. ``total`` is what the buyer paid for
    the line (tax included); ``total = tax + commission + seller_net``."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sub_order = models.ForeignKey(SubOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recurring_price = models.ForeignKey(
        RecurringPrice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bundle = models.ForeignKey(
        Bundle, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offer = models.ForeignKey(
        CustomOffer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product_type = models.CharField(max_length=10)
    title = models.CharField(max_length=250)
    quantity = models.PositiveIntegerField()
    unit_amount = models.BigIntegerField()
    subtotal = models.BigIntegerField()
    discount_amount = models.BigIntegerField(default=0)
    tax_rate_bp = models.PositiveIntegerField(default=0)
    tax_name = models.CharField(max_length=60, blank=True)
    tax_amount = models.BigIntegerField(default=0)
    total = models.BigIntegerField()
    commission_rate_bp = models.PositiveIntegerField(default=0)
    commission_amount = models.BigIntegerField(default=0)
    seller_net = models.BigIntegerField()
    is_escrow = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=LineStatus.choices, default="pending")
    refunded_amount = models.BigIntegerField(default=0)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Set when the module's revoke hook ran (once) for a refunded line.
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total=F("tax_amount") + F("commission_amount") + F("seller_net")),
                name="line_parts_sum_to_total",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("total")),
                name="line_refunds_within_total",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, unit_amount__gte=0, total__gte=0, seller_net__gte=0),
                name="line_amounts_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"line {self.pk}: {self.quantity} x {self.title}"


class OrderTransition(models.Model):
    """The order's history: every status change with who made it and when."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="transitions")
    sub_order = models.ForeignKey(
        SubOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="transitions"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # "buyer", "seller", "operator", "system:<task>" or "provider:<event>".
    actor_label = models.CharField(max_length=80)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status} -> {self.to_status}"


class PaymentStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    REQUIRES_ACTION = "requires_action", "Needs the buyer's confirmation"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Payment(models.Model):
    """One attempt to charge an order; a declined card leaves a failed attempt and the order
    open for another."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    provider = models.CharField(max_length=20)
    reference = models.CharField(max_length=120, blank=True, db_index=True)
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PROCESSING
    )
    failure_code = models.CharField(max_length=40, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    action_url = models.CharField(max_length=500, blank=True)
    payment_method = models.CharField(max_length=120, blank=True)
    # What the charge was asked with (saved method, customer, off-session), so a retry under
    # the same provider idempotency key sends exactly the same request.
    charge_options = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="succeeded"), name="one_successful_payment"
            )
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} ({self.status})"


class Refund(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    reason = models.CharField(max_length=300, blank=True)
    provider_reference = models.CharField(max_length=120, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    idempotency_key = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(fields=["order", "idempotency_key"], name="refund_once"),
        ]

    def __str__(self) -> str:
        return f"refund {self.pk}"


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    tax_amount = models.BigIntegerField()
    commission_amount = models.BigIntegerField()
    seller_amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount=F("tax_amount") + F("commission_amount") + F("seller_amount")),
                name="refund_parts_sum",
            )
        ]

    def __str__(self) -> str:
        return f"{self.refund_id}/{self.order_line_id}"


class TaxRule(models.Model):
    """A rate for buyers in a country (and optionally region) and optionally one product
    type. The most specific active rule wins: region over country, type over all types."""

    country = models.CharField(max_length=2)
    region = models.CharField(max_length=10, blank=True)
    product_type = models.CharField(max_length=10, blank=True)
    name = models.CharField(max_length=60)
    rate_bp = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(rate_bp__lte=10_000), name="tax_rate_range"),
            models.UniqueConstraint(
                fields=["country", "region", "product_type"],
                condition=Q(is_active=True),
                name="one_active_tax_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.country}/{self.region}/{self.product_type}"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_NOTE = "credit_note", "Credit note"


class Invoice(models.Model):
    """A numbered document (gapless per marketplace) for a paid order or a refund."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="invoices")
    refund = models.OneToOneField(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note"
    )
    kind = models.CharField(max_length=12, choices=InvoiceKind.choices)
    number = models.CharField(max_length=30, unique=True)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(kind="invoice"), name="one_invoice_per_order"
            )
        ]

    def __str__(self) -> str:
        return self.number
