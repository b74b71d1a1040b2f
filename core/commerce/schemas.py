from datetime import datetime
from typing import Annotated

from ninja import Field, Schema

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
        description="Sandbox: a test card number; Stripe: a PaymentMethod id (pm_...)",
    )
    save_payment_method: bool = False
    expected_total: int | None = Field(
        None, description="The total the buyer saw; checkout refuses if it changed"
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
