from datetime import datetime
from enum import StrEnum

from ninja import Field, Schema

from core.reviews.models import (
    ReportReason,
    Review,
    ReviewReply,
    ReviewReport,
    ReviewStatus,
)
from core.schemas import StrictSchema, model_max_length


class ReviewSort(StrEnum):
    NEWEST = "newest"
    HIGHEST = "highest"
    LOWEST = "lowest"


class ReplyOut(Schema):
    body: str
    created_at: datetime
    edited_at: datetime | None


class ReviewOut(Schema):
    id: int
    rating: int
    title: str
    body: str
    reviewer_name: str
    is_verified_purchase: bool
    created_at: datetime
    edited_at: datetime | None
    reply: ReplyOut | None


class ProductRefOut(Schema):
    slug: str
    name: str


class SellerRefOut(Schema):
    slug: str
    business_name: str


class ProductReviewPageOut(Schema):
    items: list[ReviewOut]
    next_cursor: str | None
    rating_count: int
    rating_average_tenths: int | None


class StarsCountOut(Schema):
    stars: int
    count: int


class ReviewSummaryOut(Schema):
    rating_count: int
    rating_average_tenths: int | None
    distribution: list[StarsCountOut]


class ProfileReviewOut(ReviewOut):
    product: ProductRefOut


class ProfileReviewPageOut(Schema):
    items: list[ProfileReviewOut]
    next_cursor: str | None
    rating_count: int
    rating_average_tenths: int | None


class OwnReviewOut(ReviewOut):
    status: ReviewStatus
    hidden_reason: str
    product: ProductRefOut
    order_line_id: int
    editable_until: datetime


class OwnReviewPageOut(Schema):
    items: list[OwnReviewOut]
    next_cursor: str | None


class ReviewableLineOut(Schema):
    order_line_id: int
    title: str
    product: ProductRefOut
    seller: SellerRefOut
    completed_at: datetime | None


class ReviewableLinePageOut(Schema):
    items: list[ReviewableLineOut]
    next_cursor: str | None


class SellerReviewOut(ReviewOut):
    status: ReviewStatus
    product: ProductRefOut
    order_line_id: int


class SellerReviewPageOut(Schema):
    items: list[SellerReviewOut]
    next_cursor: str | None


class ReportOut(Schema):
    id: int
    reason: ReportReason
    note: str
    reporter_id: int
    created_at: datetime
    resolved_at: datetime | None
    resolution: str


class OperatorReviewOut(SellerReviewOut):
    buyer_id: int
    buyer_email: str
    seller: SellerRefOut
    hidden_reason: str
    hidden_at: datetime | None
    open_report_count: int
    reports: list[ReportOut]


class OperatorReviewPageOut(Schema):
    items: list[OperatorReviewOut]
    next_cursor: str | None


class ReportReceiptOut(Schema):
    id: int
    review_id: int
    reason: ReportReason
    created_at: datetime


class DismissedOut(Schema):
    dismissed: int


class PageIn(Schema):
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=512)


class ProductReviewParams(Schema):
    sort: ReviewSort = ReviewSort.NEWEST
    rating: int | None = Field(None, ge=1, le=5)
    limit: int = Field(10, ge=1, le=50)
    cursor: str | None = Field(None, max_length=512)


class SellerReviewFilter(PageIn):
    status: ReviewStatus | None = None
    product: str | None = Field(None, max_length=180)
    has_reply: bool | None = None


class OperatorReviewFilter(PageIn):
    status: ReviewStatus | None = None
    is_reported: bool | None = None
    product: str | None = Field(None, max_length=180)
    seller: str | None = Field(None, max_length=60)


class ReviewEditIn(StrictSchema):
    rating: int
    title: str = Field("", max_length=model_max_length(Review, "title"))
    body: str = Field("", max_length=model_max_length(Review, "body"))


class ReviewIn(ReviewEditIn):
    order_line_id: int


class ReplyIn(StrictSchema):
    body: str = Field(max_length=model_max_length(ReviewReply, "body"))


class ReasonIn(StrictSchema):
    reason: str = Field(max_length=model_max_length(Review, "hidden_reason"))


class ReportIn(StrictSchema):
    review_id: int
    reason: ReportReason
    note: str = Field("", max_length=model_max_length(ReviewReport, "note"))
