from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import HttpUrl

from core.registry.product_types import PRODUCT_TYPE_MAX_LENGTH
from core.schemas import StrictSchema, longest, model_max_length
from core.sellers.models import (
    Seller,
    SellerApiKey,
    TeamInvitation,
    TeamPermission,
    VerificationDocument,
)

WebsiteUrl = Annotated[HttpUrl, Field(max_length=model_max_length(Seller, "website"))]
# Keys modules declare; the services check them against the marketplace's modules.
ProductTypeCode = Annotated[str, Field(max_length=PRODUCT_TYPE_MAX_LENGTH)]
# More than any marketplace sells: a longer list is refused before it is looked at.
MAX_PRODUCT_TYPES = 32
PermissionCode = Annotated[str, Field(max_length=longest(TeamPermission.values))]
DocumentKind = Annotated[str, Field(max_length=model_max_length(VerificationDocument, "kind"))]


class BusinessDetailsIn(StrictSchema):
    business_name: str = Field(..., max_length=model_max_length(Seller, "business_name"))
    legal_form: str = Field(..., max_length=model_max_length(Seller, "legal_form"))
    country: str = Field("", max_length=model_max_length(Seller, "country"))
    tax_id: str = Field("", max_length=model_max_length(Seller, "tax_id"))


class ProductTypesIn(StrictSchema):
    product_types: list[ProductTypeCode] = Field(..., max_length=MAX_PRODUCT_TYPES)


class PortfolioItem(StrictSchema):
    title: str = Field(..., min_length=1, max_length=120)
    url: HttpUrl


class PublicProfileIn(StrictSchema):
    bio: str = Field("", max_length=model_max_length(Seller, "bio"))
    website: WebsiteUrl | None = None
    portfolio: list[PortfolioItem] = Field(default_factory=list, max_length=20)


class DocumentOut(Schema):
    id: int
    kind: str
    original_name: str
    content_type: str
    size: int
    uploaded_at: datetime


class SellerOut(Schema):
    id: int
    slug: str
    business_name: str
    legal_form: str
    country: str
    verification_status: str
    rejection_reason: str
    status: str
    requested_product_types: list[str]
    can_sell: list[str]
    payout_account_ref: str
    commission_rate_bp: int | None
    submitted_at: datetime | None
    missing_steps: list[str]
    documents: list[DocumentOut]


class PublicSellerOut(Schema):
    slug: str
    business_name: str
    bio: str
    website: str
    portfolio: list[dict[str, str]]
    is_verified: bool
    rating_average_tenths: int | None
    rating_count: int
    completed_orders: int
    member_since: datetime


class ReviewQueueItemOut(Schema):
    id: int
    slug: str
    business_name: str
    owner_email: str
    verification_status: str
    status: str
    requested_product_types: list[str]
    can_sell: list[str]
    commission_rate_bp: int | None
    submitted_at: datetime | None
    document_count: int


class ApproveIn(StrictSchema):
    product_types: list[ProductTypeCode] | None = Field(None, max_length=MAX_PRODUCT_TYPES)


class ReasonIn(StrictSchema):
    reason: str = Field(..., max_length=model_max_length(Seller, "rejection_reason"))


class CommissionIn(StrictSchema):
    commission_rate_bp: int | None = Field(..., ge=0, le=10_000)


class StatusIn(StrictSchema):
    status: str = Field(..., pattern="^(active|inactive)$")


class InviteIn(StrictSchema):
    email: str = Field(..., max_length=model_max_length(TeamInvitation, "email"))
    permissions: list[PermissionCode] = Field(..., max_length=10)


class PermissionsIn(StrictSchema):
    permissions: list[PermissionCode] = Field(..., max_length=10)


class InvitationOut(Schema):
    id: int
    email: str
    permissions: list[str]
    expires_at: datetime


class MemberOut(Schema):
    id: int
    email: str
    permissions: list[str]
    added_at: datetime

    @staticmethod
    def resolve_email(member: object) -> str:
        return str(getattr(getattr(member, "user", None), "email", ""))


class NameIn(StrictSchema):
    name: str = Field(..., max_length=200)


class ApiKeyIn(StrictSchema):
    name: str = Field(..., max_length=model_max_length(SellerApiKey, "name"))
    permissions: list[PermissionCode] | None = Field(
        None,
        max_length=10,
        description="Team permissions the key may use, at most yours; default: all of yours.",
    )


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    permissions: list[str]
    created_at: datetime
    last_used_at: datetime | None


class IssuedApiKeyOut(ApiKeyOut):
    key: str = Field(..., description="Shown once; store it now.")
