"""The module's API shapes. Inputs are strict (unknown fields refused); money is integer
minor units with the currency beside it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema

from core.schemas import StrictSchema

# Caps against oversized bodies, above the services' own limits (which answer with the field
# named: 20 features of 120 characters, 20 checklist items of 200, ...).
Line = Annotated[str, Field(max_length=1000)]
Link = Annotated[str, Field(max_length=2000)]
Answer = Annotated[str, Field(max_length=10000)]

# --- listing ---------------------------------------------------------------------------------


class PackageIn(StrictSchema):
    tier: str = Field(..., max_length=8)
    title: str = Field(..., max_length=200)
    price: int
    delivery_days: int
    revisions: int | None = Field(0, description="null: unlimited")
    description: str = Field("", max_length=4000)
    features: list[Line] = Field([], max_length=100)
    checklist: list[Line] = Field([], max_length=100)


class PackagesIn(StrictSchema):
    packages: list[PackageIn]


class PackageOut(Schema):
    tier: str
    title: str
    description: str
    price: int
    currency: str
    delivery_days: int
    revisions: int | None
    features: list[str]
    checklist: list[str]


class ExtraIn(StrictSchema):
    kind: str = Field(..., max_length=20)
    title: str = Field(..., max_length=200)
    price: int
    days: int = 0
    revisions: int = 0


class ExtrasIn(StrictSchema):
    extras: list[ExtraIn]


class ExtraOut(Schema):
    id: int
    kind: str
    title: str
    price: int
    currency: str
    days: int
    revisions: int


class QuestionIn(StrictSchema):
    kind: str = Field(..., max_length=10)
    prompt: str = Field(..., max_length=600)
    is_required: bool = True
    choices: list[Line] = Field([], max_length=100)


class QuestionsIn(StrictSchema):
    questions: list[QuestionIn]


class QuestionOut(Schema):
    id: int
    kind: str
    prompt: str
    is_required: bool
    choices: list[str]


class FaqIn(StrictSchema):
    question: str = Field(..., max_length=600)
    answer: str = Field(..., max_length=4000)


class FaqListIn(StrictSchema):
    faq: list[FaqIn]


class FaqOut(Schema):
    question: str
    answer: str


class GigOut(Schema):
    product_id: int
    name: str
    seller_id: int
    packages: list[PackageOut]
    extras: list[ExtraOut]
    questions: list[QuestionOut]
    faq: list[FaqOut]


# --- buying ----------------------------------------------------------------------------------


class QuoteIn(StrictSchema):
    tier: str = Field(..., max_length=8)
    extra_ids: list[int] = []


class QuoteOut(Schema):
    quote_id: int
    offer_id: int = Field(..., description="Put it in the cart: POST /api/v1/cart/offers")
    amount: int
    currency: str
    package: PackageOut
    extras: list[ExtraOut]


# --- orders ----------------------------------------------------------------------------------


class AddonOut(Schema):
    addon_id: int
    offer_id: int = Field(..., description="Put it in the cart: POST /api/v1/cart/offers")
    amount: int
    currency: str
    revisions: int = Field(..., description="Revisions added to the order once paid")


class RequirementsIn(StrictSchema):
    answers: dict[Annotated[str, Field(max_length=40)], Answer] = Field(
        ..., description="Answers by question id", max_length=100
    )


class RevisionIn(StrictSchema):
    notes: str = Field(..., max_length=8000)


class CancellationIn(StrictSchema):
    reason: str = Field(..., max_length=1000)


class CancellationAnswerIn(StrictSchema):
    is_accepted: bool


class FeedbackIn(StrictSchema):
    quality: int
    communication: int
    timeliness: int
    comment: str = Field("", max_length=4000)


class FeedbackOut(Schema):
    party: str = Field(..., description='Who wrote it: "buyer" or "seller"')
    quality: int
    communication: int
    timeliness: int
    comment: str
    created_at: datetime


class SellerStatsOut(Schema):
    completed: int
    cancelled: int
    completion_rate: float | None
    on_time_rate: float | None
    ratings: dict[str, float | None]
    ratings_count: int


class DraftIn(StrictSchema):
    description: str = Field("", max_length=10000)
    notes: str = Field("", max_length=4000)
    links: list[Link] = Field([], max_length=100)
    checklist_ticked: list[Line] = Field([], max_length=100)
    preview_url: str = Field("", max_length=2000)


class FileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    is_locked_until_accepted: bool
    has_preview: bool
    preview_note: str


class DeliveryOut(Schema):
    id: int
    kind: str
    status: str
    number: int | None
    description: str
    notes: str
    links: list[str]
    preview_url: str
    checklist_ticked: list[str]
    # What the buyer confirmed on accepting it ([]: not accepted, or accepted automatically).
    checklist_confirmed: list[str]
    # When the marketplace's quality check passed it (None: not checked or not required).
    qc_decided_at: datetime | None
    files: list[FileOut]
    submitted_at: datetime | None


class RevisionOut(Schema):
    number: int
    notes: str
    due_at: datetime
    resolved_at: datetime | None
    is_from_dispute: bool


class MilestoneIn(StrictSchema):
    title: str = Field(..., max_length=240)
    percent: int = Field(..., description="Share of the price, %; the plan adds up to 100")
    days: int
    description: str = Field("", max_length=4000)


class MilestonesIn(StrictSchema):
    milestones: list[MilestoneIn]


class OfferMilestoneIn(StrictSchema):
    title: str = Field(..., max_length=240)
    description: str = Field("", max_length=4000)
    amount: int = Field(..., description="Minor units; the milestones add up to the offer")
    days: int = Field(..., description="Days of work once the milestone is funded")


class MilestoneOfferIn(StrictSchema):
    product_id: int
    buyer_email: str = Field(..., max_length=320)
    title: str = Field(..., max_length=240)
    description: str = Field("", max_length=4000)
    revisions: int | None = Field(1, description="null: unlimited")
    milestones: list[OfferMilestoneIn] = Field(..., max_length=20)


class MilestoneOfferOut(Schema):
    quote_id: int
    offer_id: int = Field(..., description="The first milestone: the buyer pays it at checkout")
    amount: int = Field(..., description="The first milestone's amount")
    total: int = Field(..., description="All milestones")
    currency: str
    milestones: list[OfferMilestoneIn]


class FundingOut(Schema):
    addon_id: int
    offer_id: int = Field(..., description="Put it in the cart: POST /api/v1/cart/offers")
    number: int = Field(..., description="The milestone this funds")
    amount: int
    currency: str


class PartReleaseIn(StrictSchema):
    percent: int = Field(..., description="1-99 % of the work in progress, released now")


class MilestoneOut(Schema):
    number: int
    title: str
    description: str
    percent: int
    days: int
    amount: int = Field(
        ...,
        description="Funded plans: the milestone's price; share plans: the seller's part",
    )
    status: str = Field(..., description="pending, in_progress, completed (proposed: a plan)")
    is_delayed: bool = Field(..., description="In progress past its due date")
    is_funded: bool = Field(..., description="Paid into escrow (its work may start)")
    started_at: datetime | None
    due_at: datetime | None
    completed_at: datetime | None


class QuestionAnswerOut(Schema):
    id: int
    kind: str
    prompt: str
    is_required: bool
    choices: list[str]
    answer: str | None


class OrderOut(Schema):
    id: int
    order_line_id: int
    product_id: int
    seller_id: int
    title: str
    status: str
    lateness: str = Field(..., description='"", "on_time", "late" or "very_late"')
    amount: int
    currency: str
    package: PackageOut
    extras: list[ExtraOut]
    checklist: list[str]
    requirements: list[QuestionAnswerOut]
    delivery_days: int
    revisions_allowed: int | None
    revisions_used: int
    auto_accept_days: int
    created_at: datetime
    requirements_submitted_at: datetime | None
    due_at: datetime | None
    delivered_at: datetime | None
    auto_accept_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    is_auto_accepted: bool
    cancellation_requested_by: str = Field(..., description='"", "buyer" or "seller"')
    cancellation_requested_at: datetime | None
    cancellation_reason: str
    milestones_agreed_at: datetime | None
    milestone_funding: str = Field(
        ..., description='"" (none), "per_milestone" (each funded) or "shares" (of one line)'
    )
    completion_percent: int = Field(..., description="Share of the milestones accepted")
    milestones: list[MilestoneOut]
    deliveries: list[DeliveryOut]
    revisions: list[RevisionOut]
    feedback: list[FeedbackOut] = Field(..., description="Double-blind: see the service")


class OrderRowOut(Schema):
    id: int
    title: str
    status: str
    lateness: str
    amount: int
    currency: str
    due_at: datetime | None
    created_at: datetime


class PartReleaseOut(Schema):
    released: int = Field(..., description="Released to the seller (their part, minor units)")
    order: OrderOut
