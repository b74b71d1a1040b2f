"""Input schemas of the partner API (``/api/v1/partner/v1/licensing/``). Ranges the services
check themselves are left to them, so an error names the field in the marketplace's words."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema

from core.accounts.models import User
from core.catalog.models import Category, Product
from core.catalog.schemas import Feature, ImageUrl, Tag, VariantIn
from core.commerce.models import OrderStatus
from core.schemas import StrictSchema, model_max_length
from modules.licensing.models import LicenseStatus, ProvisionedAccount, UsageEvent
from modules.licensing.schemas_licenses import PolicyIn, ReinstateIn, SoftwareIn, SuspendIn

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
