from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict

from core.accounts.models import User
from core.commerce.models import (
    Bundle,
    CustomOffer,
    DiscountCode,
    DiscountKind,
    Order,
    Payment,
    Refund,
    TaxRule,
)
from core.registry.product_types import PRODUCT_TYPE_MAX_LENGTH
from core.schemas import StrictSchema, model_max_length


class MoneyOut(Schema):
    amount: int
    currency: str
    display: str


class CartLineIn(StrictSchema):
    product_id: int
    variant_id: int | None = None
    recurring_price_id: int | None = None
    quantity: int = 1


class CartBundleIn(StrictSchema):
    bundle_id: int
    quantity: int = 1


class CartOfferIn(StrictSchema):
    offer_id: int


class QuantityIn(StrictSchema):
    quantity: int


class CodeIn(StrictSchema):
    code: str = Field(max_length=model_max_length(DiscountCode, "code"))


class CurrencyIn(StrictSchema):
    currency: str = Field(max_length=model_max_length(Order, "currency"))


class CheckoutIn(StrictSchema):
    country: str = Field(
        max_length=model_max_length(Order, "billing_country"),
        description="Billing country, ISO 3166-1 alpha-2",
    )
    region: str = Field("", max_length=model_max_length(Order, "billing_region"))
    name: str = Field("", max_length=model_max_length(Order, "billing_name"))
    payment_method: str = Field(
        max_length=model_max_length(Payment, "payment_method"),
        description="Sandbox: a test card number; Stripe: a PaymentMethod id (pm_...); "
        "PayPal: empty",
    )
    save_payment_method: bool = False
    expected_total: int | None = Field(
        None, description="The total the buyer saw; checkout refuses if it changed"
    )
    provider: str = Field(
        "",
        max_length=20,
        description="How to pay: empty for the marketplace's default (card), or 'paypal' "
        "where the marketplace offers it (answered 202 with the PayPal approval link as "
        "payment.action_url)",
    )


class PayIn(StrictSchema):
    payment_method: str = Field(max_length=model_max_length(Payment, "payment_method"))


class ConfirmIn(StrictSchema):
    confirmation: str = Field(max_length=64)


class RefundLineIn(StrictSchema):
    line_id: int
    amount: int | None = Field(None, description="Minor units; omit for the rest of the line")


class RefundIn(StrictSchema):
    lines: list[RefundLineIn] | None = Field(None, description="Omit to refund everything")
    reason: str = Field("", max_length=model_max_length(Refund, "reason"))


class DiscountCodeIn(StrictSchema):
    code: str = Field(max_length=model_max_length(DiscountCode, "code"))
    kind: DiscountKind
    percent_bp: int | None = None
    amount: int | None = None
    currency: str = Field("", max_length=model_max_length(DiscountCode, "currency"))
    minimum_subtotal: int = 0
    max_redemptions: int | None = None
    max_per_buyer: int | None = None
    starts_at: datetime | None = None
    expires_at: datetime | None = None


class DiscountCodeOut(Schema):
    id: int
    code: str
    kind: str
    percent_bp: int | None
    amount: int | None
    currency: str
    minimum_subtotal: int
    max_redemptions: int | None
    max_per_buyer: int | None
    redemptions: int
    starts_at: datetime | None
    expires_at: datetime | None
    is_active: bool


class OfferIn(StrictSchema):
    buyer_email: str = Field(max_length=model_max_length(User, "email"))
    product_id: int
    variant_id: int | None = None
    title: str = Field(max_length=model_max_length(CustomOffer, "title"))
    description: str = Field("", max_length=model_max_length(CustomOffer, "description"))
    amount: int
    currency: str = Field(max_length=model_max_length(CustomOffer, "currency"))
    quantity: int = 1
    expires_at: datetime | None = None


class OfferOut(Schema):
    id: int
    title: str
    description: str
    product_id: int
    variant_id: int | None
    price: MoneyOut
    quantity: int
    status: str
    expires_at: datetime | None
    seller: str
    buyer_email: str


class BundleItemIn(StrictSchema):
    product_id: int
    variant_id: int | None = None
    quantity: int = 1


class BundleIn(StrictSchema):
    name: str = Field(max_length=model_max_length(Bundle, "name"))
    amount: int
    currency: str = Field(max_length=model_max_length(Bundle, "currency"))
    items: list[BundleItemIn]


class BundleItemOut(Schema):
    product_id: int
    variant_id: int | None
    quantity: int


class BundleOut(Schema):
    id: int
    slug: str
    name: str
    price: MoneyOut
    is_active: bool
    items: list[BundleItemOut]


class ActiveIn(StrictSchema):
    is_active: bool


class StockIn(StrictSchema):
    product_id: int
    variant_id: int | None = None
    available: int | None = Field(None, description="None makes the item unlimited")


class StockOut(Schema):
    product_id: int
    variant_id: int | None
    available: int | None


class TaxRuleIn(StrictSchema):
    country: str = Field(max_length=model_max_length(TaxRule, "country"))
    region: str = Field("", max_length=model_max_length(TaxRule, "region"))
    product_type: str = Field("", max_length=model_max_length(TaxRule, "product_type"))
    name: str = Field(max_length=model_max_length(TaxRule, "name"))
    rate_bp: int


class TaxRuleOut(Schema):
    id: int
    country: str
    region: str
    product_type: str
    name: str
    rate_bp: int
    is_active: bool


ProductTypeKey = Annotated[str, Field(max_length=PRODUCT_TYPE_MAX_LENGTH)]


class CommerceSettingsIn(StrictSchema):
    commission_rate_bp: int | None = None
    prices_include_tax: bool | None = None
    minimum_payout: int | None = None
    # A list is the operator's choice for this marketplace; null drops it (each type's module
    # default applies); leaving it out changes nothing.
    escrow_product_types: list[ProductTypeKey] | None = None


class CommerceSettingsOut(Schema):
    commission_rate_bp: int
    prices_include_tax: bool
    minimum_payout: int
    # What checkout holds in escrow now, and whether that is the operator's explicit choice
    # (else the modules' defaults).
    escrow_product_types: list[str]
    is_escrow_overridden: bool


class CategoryCommissionIn(StrictSchema):
    category_id: int
    commission_rate_bp: int | None


# --- answers: carts, quotes, orders (the shapes core.commerce.presenters build) ---------------


class ProblemOut(Schema):
    code: str
    message: str
    details: dict[str, object]


class QuoteLineOut(Schema):
    cart_line_id: int
    product_id: int
    product_slug: str
    variant_id: int | None
    title: str
    seller: str
    quantity: int
    unit_price: MoneyOut
    subtotal: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    total: MoneyOut


class QuoteOut(Schema):
    currency: str
    prices_include_tax: bool
    discount_code: str | None
    subtotal: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    lines: list[QuoteLineOut]


class CartOut(Schema):
    """``id``, ``currency`` and ``quote`` are null when there is no cart; ``quote`` is null and
    ``problems`` says why when the cart cannot be priced (an item was unpublished)."""

    id: int | None
    currency: str | None
    quote: QuoteOut | None
    problems: list[ProblemOut]


class OrderLineOut(Schema):
    id: int
    sub_order_id: int
    product_id: int
    variant_id: int | None
    product_type: str
    title: str
    quantity: int
    unit_price: MoneyOut
    subtotal: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    tax_rate_bp: int
    tax_name: str
    total: MoneyOut
    refunded: MoneyOut
    status: str
    is_escrow: bool
    bundle_id: int | None
    offer_id: int | None
    recurring_price_id: int | None


class PaymentOut(Schema):
    id: int
    status: str
    provider: str
    failure_code: str
    failure_message: str
    action_url: str


class SellerRefOut(Schema):
    slug: str
    business_name: str


class SubOrderOut(Schema):
    id: int
    seller: SellerRefOut
    status: str
    subtotal: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    total: MoneyOut


class OrderTransitionOut(Schema):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    by: str
    sub_order_id: int | None
    note: str
    at: str


class OrderOut(Schema):
    """An order as its buyer (and the operator) sees it; timestamps are ISO 8601 strings."""

    id: int
    status: str
    currency: str
    subtotal: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    refunded: MoneyOut
    prices_include_tax: bool
    discount_code: str
    billing_country: str
    billing_region: str
    created_at: str
    paid_at: str | None
    is_test_mode: bool
    sub_orders: list[SubOrderOut]
    lines: list[OrderLineOut]
    history: list[OrderTransitionOut]
    payment: PaymentOut | None


class OrderSummaryOut(Schema):
    id: int
    status: str
    total: MoneyOut
    refunded: MoneyOut
    created_at: str
    paid_at: str | None


class OrderPageOut(Schema):
    items: list[OrderSummaryOut]
    next_cursor: str | None


class SellerSubOrderSummaryOut(SubOrderOut):
    commission: MoneyOut
    seller_net: MoneyOut
    order_id: int


class SellerSubOrderPageOut(Schema):
    items: list[SellerSubOrderSummaryOut]
    next_cursor: str | None


class BuyerRefOut(Schema):
    email: str
    name: str


class SellerTransitionOut(Schema):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    by: str
    at: str


class SellerSubOrderOut(SellerSubOrderSummaryOut):
    buyer: BuyerRefOut
    created_at: str
    paid_at: str | None
    lines: list[OrderLineOut]
    history: list[SellerTransitionOut]


class RefundOut(Schema):
    id: int
    order_id: int
    amount: MoneyOut
    reason: str


class CategoryCommissionOut(Schema):
    category_id: int
    commission_rate_bp: int | None


# --- answers: sellers' balance and payouts, the operators' payout report and ledger ------------


class BalanceOut(Schema):
    """One entry per currency in each bucket (minor units)."""

    available: list[MoneyOut]
    escrow: list[MoneyOut]
    in_transit: list[MoneyOut]
    minimum_payout: int
    payout_schedule: str
    is_payouts_enabled: bool


class PayoutOut(Schema):
    id: int
    amount: MoneyOut
    status: str
    failure_reason: str
    run: str = Field(description="What started it: manual, or the schedule's run")
    requested_at: str
    completed_at: str | None


class PayoutScheduleOut(Schema):
    payout_schedule: str


class PayoutOnboardingOut(Schema):
    url: str
    is_payouts_enabled: bool


class PayoutReportRowOut(Schema):
    seller_id: int
    seller: str
    currency: str
    status: str
    count: int
    total: int


class TrialBalanceOut(Schema):
    accounts: dict[str, dict[str, int]] = Field(
        description="Per account kind, per currency: the sum of its journal lines (minor units)"
    )
    is_balanced: bool
