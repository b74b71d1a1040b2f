"""Anyone signed in may flag a published review for the operators' moderation queue, once."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from core.accounts.models import User
from core.errors import ErrorKind
from core.events import emit
from core.reviews.errors import ReviewError, ReviewErrorCode
from core.reviews.models import ReportReason, Review, ReviewReport, ReviewStatus
from core.reviews.services.payloads import review_payload

MAX_NOTE = 500


def _already_reported() -> ReviewError:
    return ReviewError(
        ReviewErrorCode.ALREADY_REPORTED,
        "You already reported this review.",
        kind=ErrorKind.CONFLICT,
    )


@transaction.atomic
def report_review(*, reporter: User, review_id: int, reason: str, note: str = "") -> ReviewReport:
    # A hidden review is not visible to users, so it cannot be reported either.
    review = Review.objects.filter(pk=review_id, status=ReviewStatus.PUBLISHED).first()
    if review is None:
        raise ReviewError(
            ReviewErrorCode.REVIEW_NOT_FOUND, "No such review.", kind=ErrorKind.NOT_FOUND
        )
    if review.buyer_id == reporter.pk:
        raise ReviewError(
            ReviewErrorCode.CANNOT_REPORT_OWN,
            "Edit your own review instead of reporting it.",
            kind=ErrorKind.CONFLICT,
        )
    if reason not in ReportReason.values:
        raise ReviewError(
            ReviewErrorCode.INVALID_REPORT,
            f"Choose one of {', '.join(ReportReason.values)}.",
            details={"field": "reason"},
            kind=ErrorKind.INVALID,
        )
    note = " ".join(note.split())
    if len(note) > MAX_NOTE:
        raise ReviewError(
            ReviewErrorCode.INVALID_REPORT,
            f"Notes are at most {MAX_NOTE} characters.",
            details={"field": "note"},
            kind=ErrorKind.INVALID,
        )
    if ReviewReport.objects.filter(review=review, reporter=reporter).exists():
        raise _already_reported()
    try:
        with transaction.atomic():
            report = ReviewReport.objects.create(
                review=review, reporter=reporter, reason=reason, note=note
            )
    except IntegrityError:
        raise _already_reported() from None
    emit(
        "review.reported",
        {**review_payload(review), "report_id": report.pk, "reason": reason},
    )
    return report
