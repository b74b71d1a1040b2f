"""Reviews as each audience sees them. The public never sees an e-mail address: reviewers
are shown by first name and initial."""

from __future__ import annotations

from typing import Any

from core.accounts.models import User
from core.reviews.models import Review, ReviewReply, ReviewReport


def tenths(value: int | None) -> str | None:
    """43 -> "4.3", in integers."""
    return None if value is None else f"{value // 10}.{value % 10}"


def reviewer_name(user: User) -> str:
    if user.deleted_at is not None:
        return "Former buyer"
    parts = user.full_name.split()
    if not parts:
        return "Buyer"
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0].upper()}."


def reply_out(reply: ReviewReply | None) -> dict[str, Any] | None:
    if reply is None:
        return None
    return {"body": reply.body, "created_at": reply.created_at, "edited_at": reply.edited_at}


def _reply_of(review: Review) -> ReviewReply | None:
    # The reverse one-to-one raises (an AttributeError) when there is none; select_related
    # caches that answer, so this costs no query on lists.
    reply: ReviewReply | None = getattr(review, "reply", None)
    return reply


def public_review(review: Review) -> dict[str, Any]:
    return {
        "id": review.pk,
        "rating": review.rating,
        "title": review.title,
        "body": review.body,
        "reviewer_name": reviewer_name(review.buyer),
        "is_verified_purchase": True,
        "created_at": review.created_at,
        "edited_at": review.edited_at,
        "reply": reply_out(_reply_of(review)),
    }


def product_ref(review: Review) -> dict[str, Any]:
    return {"slug": review.product.slug, "name": review.product.name}


def own_review(review: Review) -> dict[str, Any]:
    """The buyer's own view: status and the operator's reason when hidden."""
    return {
        **public_review(review),
        "status": review.status,
        "hidden_reason": review.hidden_reason,
        "product": product_ref(review),
        "order_line_id": review.order_line_id,
        "editable_until": review.editable_until,
    }


def seller_review(review: Review) -> dict[str, Any]:
    return {
        **public_review(review),
        "status": review.status,
        "product": product_ref(review),
        "order_line_id": review.order_line_id,
    }


def report_out(report: ReviewReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "reason": report.reason,
        "note": report.note,
        "reporter_id": report.reporter_id,
        "created_at": report.created_at,
        "resolved_at": report.resolved_at,
        "resolution": report.resolution,
    }


def operator_review(review: Review, reports: list[ReviewReport] | None = None) -> dict[str, Any]:
    """``open_report_count`` is annotated by the operator's queryset."""
    return {
        **seller_review(review),
        "buyer_id": review.buyer_id,
        "buyer_email": review.buyer.email,
        "seller": {"slug": review.seller.slug, "business_name": review.seller.business_name},
        "hidden_reason": review.hidden_reason,
        "hidden_at": review.hidden_at,
        "open_report_count": getattr(review, "open_report_count", 0),
        "reports": [report_out(report) for report in reports or []],
    }
