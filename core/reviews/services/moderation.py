"""Operators moderate reviews: hide one with a reason (it leaves the public lists and the
aggregates), restore it, or dismiss the reports against it; release or remove a review
automated moderation held."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.accounts.emails import send_account_mail
from core.accounts.models import User
from core.automod.models import ContentKind
from core.automod.services.outcomes import operator_released, operator_removed
from core.errors import ErrorKind
from core.events import emit
from core.reviews.errors import ReviewError, ReviewErrorCode
from core.reviews.models import ReportResolution, Review, ReviewReport, ReviewStatus
from core.reviews.services.aggregates import count_in, count_out
from core.reviews.services.payloads import review_payload

MAX_REASON = 500


def _locked(review_id: int) -> Review:
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("buyer", "product")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        raise ReviewError(
            ReviewErrorCode.REVIEW_NOT_FOUND, "No such review.", kind=ErrorKind.NOT_FOUND
        )
    return review


def _require(review: Review, status: ReviewStatus) -> None:
    if review.status != status:
        raise ReviewError(
            ReviewErrorCode.INVALID_TRANSITION,
            f"This review is {review.get_status_display().lower()}.",
            details={"status": review.status},
            kind=ErrorKind.CONFLICT,
        )


def _resolve_open_reports(review: Review, operator: User, resolution: ReportResolution) -> int:
    return ReviewReport.objects.filter(review=review, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolution=resolution, resolved_by=operator
    )


def _hide(operator: User, review_id: int, reason: str, status: ReviewStatus) -> tuple[Review, str]:
    """The review (now in ``status``) hidden with the operator's reason (cleaned, required)."""
    reason = " ".join(reason.split())[:MAX_REASON]
    if not reason:
        raise ReviewError(
            ReviewErrorCode.REASON_REQUIRED,
            "Say why the review is hidden; the buyer is told.",
            details={"field": "reason"},
            kind=ErrorKind.INVALID,
        )
    review = _locked(review_id)
    _require(review, status)
    review.status = ReviewStatus.HIDDEN
    review.hidden_reason = reason
    review.hidden_at = timezone.now()
    review.hidden_by = operator
    review.save(update_fields=["status", "hidden_reason", "hidden_at", "hidden_by"])
    return review, reason


@transaction.atomic
def hide_review(*, operator: User, review_id: int, reason: str) -> Review:
    review, reason = _hide(operator, review_id, reason, ReviewStatus.PUBLISHED)
    count_out(review)
    _resolve_open_reports(review, operator, ReportResolution.HIDDEN)
    operator_removed(kind=ContentKind.REVIEW, object_id=review.pk, operator_id=operator.pk)
    emit("review.hidden", {**review_payload(review), "reason": reason})
    if review.buyer.deleted_at is None:
        send_account_mail(
            to=review.buyer.email,
            subject="Your review was hidden",
            body=f"Your review of {review.product.name} is no longer shown.\n\nReason: {reason}",
        )
    return review


@transaction.atomic
def restore_review(*, operator: User, review_id: int) -> Review:
    review = _locked(review_id)
    _require(review, ReviewStatus.HIDDEN)
    review.status = ReviewStatus.PUBLISHED
    review.hidden_reason = ""
    review.hidden_at = None
    review.hidden_by = None
    review.save(update_fields=["status", "hidden_reason", "hidden_at", "hidden_by"])
    count_in(review)
    emit("review.restored", {**review_payload(review), "operator_id": operator.pk})
    return review


@transaction.atomic
def dismiss_reports(*, operator: User, review_id: int) -> int:
    """The review stays as it is; its open reports leave the queue. Returns how many."""
    review = _locked(review_id)
    dismissed = _resolve_open_reports(review, operator, ReportResolution.DISMISSED)
    if not dismissed:
        raise ReviewError(
            ReviewErrorCode.NO_OPEN_REPORTS,
            "This review has no open reports.",
            kind=ErrorKind.CONFLICT,
        )
    emit("review.reports_dismissed", {**review_payload(review), "dismissed": dismissed})
    return dismissed


@transaction.atomic
def release_held_review(*, operator: User, review_id: int) -> Review:
    """Automated moderation was wrong: the review is published and counted."""
    review = _locked(review_id)
    _require(review, ReviewStatus.HELD)
    review.status = ReviewStatus.PUBLISHED
    review.save(update_fields=["status"])
    count_in(review)
    operator_released(kind=ContentKind.REVIEW, object_id=review.pk, operator_id=operator.pk)
    emit("review.created", review_payload(review))
    return review


@transaction.atomic
def remove_held_review(*, operator: User, review_id: int, reason: str) -> Review:
    """Automated moderation was right: the held review is hidden for good (it was never
    shown or counted), and its author is told why."""
    review, reason = _hide(operator, review_id, reason, ReviewStatus.HELD)
    operator_removed(kind=ContentKind.REVIEW, object_id=review.pk, operator_id=operator.pk)
    if review.buyer.deleted_at is None:
        send_account_mail(
            to=review.buyer.email,
            subject="Your review was not published",
            body=f"Your review of {review.product.name} is not shown.\n\nReason: {reason}",
        )
    return review
