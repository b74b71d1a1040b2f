"""The disputes API's bodies."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field

from core.commerce.schemas import MoneyOut
from core.schemas import StrictSchema

TEXT_MAX = 5000  # services.MAX_TEXT


class OpenIn(StrictSchema):
    order_line_id: int
    type: str = Field(max_length=14)
    reason: str = Field("", max_length=TEXT_MAX)


class MessageIn(StrictSchema):
    text: str = Field(max_length=TEXT_MAX)


class ResolveIn(StrictSchema):
    resolution_type: str = Field(max_length=12)
    refund_to_buyer: int = 0
    release_to_seller: int = 0
    platform_compensation: int = 0
    note: str = Field("", max_length=TEXT_MAX)


class AppealIn(StrictSchema):
    text: str = Field(max_length=TEXT_MAX)


class AppealDecisionIn(StrictSchema):
    upheld: bool
    compensation: int = 0
    note: str = Field("", max_length=TEXT_MAX)


class DisputeSummaryOut(Schema):
    id: int
    order_id: int
    order_line_id: int | None
    type: str
    status: str
    status_label: str
    complainant_id: int
    seller_id: int | None
    frozen: MoneyOut
    respond_by: str | None
    appeal_by: str | None
    created_at: str


class LineOut(Schema):
    id: int
    title: str
    total: MoneyOut
    refunded: MoneyOut


class ResolutionOut(Schema):
    type: str
    refund_to_buyer: MoneyOut
    release_to_seller: MoneyOut
    platform_compensation: MoneyOut
    note: str
    decided_by: int | None
    is_default: bool
    resolved_at: str | None


class AppealOut(Schema):
    by: int | None
    at: str
    upheld: bool | None
    decided_by: int | None
    compensation: MoneyOut


class MessageOut(Schema):
    id: int
    kind: str
    author_id: int | None
    text: str
    created_at: str


class EvidenceOut(Schema):
    id: int
    kind: str
    author_id: int | None
    text: str
    file_name: str
    content_type: str
    size: int
    url: str | None
    created_at: str


class EventOut(Schema):
    id: int
    kind: str
    from_status: str
    to_status: str
    actor_id: int | None
    actor_label: str
    data: dict[str, Any]
    created_at: str


class DisputeOut(DisputeSummaryOut):
    reason: str
    your_part: str | None
    line: LineOut | None
    resolution: ResolutionOut | None
    appeal: AppealOut | None
    conversation_id: int | None
    # A card chargeback: when its evidence went to the card network (None: not yet).
    evidence_submitted_at: str | None = None
    messages: list[MessageOut]
    evidence: list[EvidenceOut]
    timeline: list[EventOut]


class StripeEvidenceOut(Schema):
    """Stripe's dispute evidence fields (``POST /v1/disputes/{id}`` ``evidence[...]``)."""

    product_description: str | None = None
    customer_communication: str | None = None
    service_documentation: str | None = None
    uncategorized_text: str | None = None
    refund_policy: str | None = None
    service_date: str | None = None
