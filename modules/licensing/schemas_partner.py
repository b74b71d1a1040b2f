"""Input schemas of the partner API (``/api/v1/partner/v1/licensing/``). Ranges the services
check themselves are left to them, so an error names the field in the marketplace's words."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict

from core.accounts.models import User
from core.catalog.models import Category, Product
from core.catalog.schemas import Feature, ImageUrl, Tag, VariantIn
from core.commerce.models import OrderStatus
from core.commerce.schemas import BuyerRefOut, MoneyOut, OrderLineOut
from core.integrations.schemas import IntegrationHealthOut
from core.schemas import StrictSchema, model_max_length
from modules.licensing.models import LicenseStatus, ProvisionedAccount, UsageEvent
from modules.licensing.schemas_licenses import (
    PolicyIn,
    ReinstateIn,
    SellerAccountOut,
    SoftwareIn,
    SoftwareOut,
    SuspendIn,
)

__all__ = ["ReinstateIn", "SuspendIn"]  # the partner API's, shared with the seller API

# What the buyer must see to sign in ("login", "temporary password"...), stored encrypted.
CredentialName = Annotated[str, Field(min_length=1, max_length=100)]
CredentialValue = Annotated[str, Field(max_length=1000)]


class SoftwareProductIn(StrictSchema):
    """A software product: what buyers see, how it is licensed, and its default policy."""

    name: str = Field(..., max_length=model_max_length(Product, "name"))
    prices: dict[str, int] = Field(..., description="Minor units by currency, e.g. {'USD': 1999}")
    summary: str = Field("", max_length=model_max_length(Product, "summary"))
    description: str = Field("", max_length=model_max_length(Product, "description"))
    category: str | None = Field(
        None, max_length=model_max_length(Category, "slug"), description="Category slug"
    )
    features: list[Feature] = Field(default_factory=list, max_length=30)
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    variants: list[VariantIn] = Field(default_factory=list, max_length=20)
    images: list[ImageUrl] = Field(default_factory=list, max_length=10)
    software: SoftwareIn | None = Field(
        None, description="Licence type, provisioning and trial (default: one-time, manual)"
    )
    policy: PolicyIn | None = Field(
        None, description="The default licence policy (created, or the default one replaced)"
    )
    submit_for_review: bool = Field(
        False, description="Send a draft to the operators' review; published once approved"
    )


class PricesIn(StrictSchema):
    prices: dict[str, int] = Field(..., description="Minor units by currency")


class PageQuery(Schema):
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=512)


class OrderListQuery(PageQuery):
    status: OrderStatus | None = None


class LicenseListQuery(PageQuery):
    status: LicenseStatus | None = None
    product_id: int | None = None
    buyer_email: str | None = Field(None, max_length=model_max_length(User, "email"))


class AccountIn(StrictSchema):
    license_id: int
    external_account_id: str = Field(
        ..., max_length=model_max_length(ProvisionedAccount, "external_account_id")
    )
    credentials: dict[CredentialName, CredentialValue] = Field(
        default_factory=dict,
        max_length=20,
        description="What the buyer must see to sign in (stored encrypted)",
    )


class FulfilIn(StrictSchema):
    accounts: list[AccountIn] = Field(..., min_length=1, max_length=100)


class UsageIn(StrictSchema):
    event_id: str = Field(
        ...,
        min_length=1,
        max_length=model_max_length(UsageEvent, "event_id"),
        description="Your id: idempotency",
    )
    license_key: str | None = Field(None, max_length=120)
    license_id: int | None = None
    metric: str = Field(..., min_length=1, max_length=model_max_length(UsageEvent, "metric"))
    quantity: int = Field(1, description="Units used (1 to 10^12)")
    occurred_at: datetime | None = Field(None, description="When it happened; default: now")


class MetricsQuery(Schema):
    date_from: datetime = Field(..., alias="from", description="ISO 8601 date-time (inclusive)")
    date_to: datetime = Field(..., alias="to", description="ISO 8601 date-time (exclusive)")


# --- answers of the partner API -----------------------------------------------------------------


class ProductBriefOut(Schema):
    id: int
    slug: str
    name: str
    status: str


class ProductPageOut(Schema):
    items: list[ProductBriefOut]
    next_cursor: str | None


class PartnerVariantOut(Schema):
    id: int
    sku: str
    name: str
    seats: int | None
    prices: dict[str, int] = Field(description="Minor units per currency")


class SoftwareProductOut(Schema):
    id: int
    slug: str
    name: str
    status: str
    summary: str
    description: str
    category: str | None = Field(description="The category's slug")
    features: list[str]
    tags: list[str]
    prices: dict[str, int] = Field(description="Base prices: minor units per currency")
    variants: list[PartnerVariantOut]
    images: list[str]
    moderation_note: str
    software: SoftwareOut


class OrderLicenseOut(Schema):
    id: int
    key: str
    status: str
    expires_at: datetime | None
    account: SellerAccountOut | None
    needs_account: bool = Field(description="Provisioned by hand and not set up yet")


class PartnerOrderLineOut(OrderLineOut):
    licenses: list[OrderLicenseOut]


class PartnerOrderOut(Schema):
    """A sub-order: the seller's part of a buyer's order."""

    id: int
    order_id: int
    status: str
    currency: str
    total: MoneyOut
    commission: MoneyOut
    seller_net: MoneyOut
    buyer: BuyerRefOut
    created_at: datetime
    paid_at: datetime | None
    lines: list[PartnerOrderLineOut]


class PartnerOrderPageOut(Schema):
    items: list[PartnerOrderOut]
    next_cursor: str | None


class UsageEventOut(Schema):
    id: int
    event_id: str
    license_id: int
    metric: str
    quantity: int
    occurred_at: datetime
    recorded_at: datetime
    is_duplicate: bool


class RevenueOut(Schema):
    currency: str
    orders: int
    gross: int
    seller_net: int
    refunded: int


class LicenseCountsOut(Schema):
    issued: int
    active: int


class ActivationCountsOut(Schema):
    new: int
    active_machines: int


class UsageTotalOut(Schema):
    metric: str
    total: int
    events: int


class MetricsOut(Schema):
    """Counts in the time frame [from, to); money in minor units per currency."""

    model_config = ConfigDict(populate_by_name=True)

    date_from: datetime = Field(alias="from")
    date_to: datetime = Field(alias="to")
    orders: int
    revenue: list[RevenueOut]
    licenses: LicenseCountsOut
    activations: ActivationCountsOut
    usage: list[UsageTotalOut]


class PartnerHealthOut(IntegrationHealthOut):
    accounts_waiting_for_you: int = Field(description="Licences whose account you set up by hand")
