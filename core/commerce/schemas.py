from datetime import datetime

from ninja import Field, Schema

from core.commerce.models import DiscountKind
from core.schemas import StrictSchema


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
    code: str = Field(max_length=40)


class CurrencyIn(StrictSchema):
    currency: str = Field(max_length=3)


class CheckoutIn(StrictSchema):
    country: str = Field(max_length=2, description="Billing country, ISO 3166-1 alpha-2")
    region: str = Field("", max_length=10)
    name: str = Field("", max_length=150)
    payment_method: str = Field(
        max_length=120,
        description="Sandbox: a test card number; Stripe: a PaymentMethod id (pm_...)",
    )
    save_payment_method: bool = False
    expected_total: int | None = Field(
        None, description="The total the buyer saw; checkout refuses if it changed"
    )


class PayIn(StrictSchema):
    payment_method: str = Field(max_length=120)


class ConfirmIn(StrictSchema):
    confirmation: str = Field(max_length=64)


class RefundLineIn(StrictSchema):
    line_id: int
    amount: int | None = Field(None, description="Minor units; omit for the rest of the line")


class RefundIn(StrictSchema):
    lines: list[RefundLineIn] | None = Field(None, description="Omit to refund everything")
    reason: str = Field("", max_length=300)


class DiscountCodeIn(StrictSchema):
    code: str = Field(max_length=40)
    kind: DiscountKind
    percent_bp: int | None = None
    amount: int | None = None
    currency: str = Field("", max_length=3)
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
    buyer_email: str = Field(max_length=254)
    product_id: int
    variant_id: int | None = None
    title: str = Field(max_length=160)
    description: str = Field("", max_length=4000)
    amount: int
    currency: str = Field(max_length=3)
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
    name: str = Field(max_length=160)
    amount: int
    currency: str = Field(max_length=3)
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
    country: str = Field(max_length=2)
    region: str = Field("", max_length=10)
    product_type: str = Field("", max_length=10)
    name: str = Field(max_length=60)
    rate_bp: int


class TaxRuleOut(Schema):
    id: int
    country: str
    region: str
    product_type: str
    name: str
    rate_bp: int
    is_active: bool


class CommerceSettingsIn(StrictSchema):
    commission_rate_bp: int | None = None
    prices_include_tax: bool | None = None
    minimum_payout: int | None = None
    escrow_product_types: list[str] | None = None


class CommerceSettingsOut(Schema):
    commission_rate_bp: int
    prices_include_tax: bool
    minimum_payout: int
    escrow_product_types: list[str]


class CategoryCommissionIn(StrictSchema):
    category_id: int
    commission_rate_bp: int | None
