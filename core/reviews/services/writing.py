"""Buyers write reviews: one per completed order line they bought, editable for a while."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.accounts.models import User
from core.automod.models import ContentKind
from core.automod.services.screening import moderate
from core.commerce.models import OrderLine
from core.errors import ErrorKind
from core.events import emit
from core.reviews.errors import ReviewError, ReviewErrorCode
from core.reviews.models import EDIT_WINDOW, MAX_RATING, MIN_RATING, Review, ReviewStatus
from core.reviews.selectors import is_line_reviewable, is_own_sale
from core.reviews.services.aggregates import count_in, shift_ratings
from core.reviews.services.payloads import review_payload

MAX_TITLE = 120
MAX_BODY = 5000


@dataclass(frozen=True)
class ReviewContent:
    rating: int
    title: str
    body: str


def _invalid(field: str, message: str) -> ReviewError:
    return ReviewError(
        ReviewErrorCode.INVALID_REVIEW, message, details={"field": field}, kind=ErrorKind.INVALID
    )


def clean_content(*, rating: int, title: str, body: str) -> ReviewContent:
    if isinstance(rating, bool) or not MIN_RATING <= rating <= MAX_RATING:
        raise _invalid("rating", f"Ratings are whole stars from {MIN_RATING} to {MAX_RATING}.")
    title = " ".join(title.split())
    if len(title) > MAX_TITLE:
        raise _invalid("title", f"Titles are at most {MAX_TITLE} characters.")
    body = body.strip()
    if len(body) > MAX_BODY:
        raise _invalid("body", f"Reviews are at most {MAX_BODY} characters.")
    return ReviewContent(rating=rating, title=title, body=body)


def _already_reviewed() -> ReviewError:
    return ReviewError(
        ReviewErrorCode.ALREADY_REVIEWED,
        "You already reviewed this purchase; edit that review instead.",
        kind=ErrorKind.CONFLICT,
    )


@transaction.atomic
def create_review(
    *, buyer: User, order_line_id: int, rating: int, title: str = "", body: str = ""
) -> Review:
    """Only the line's buyer, only once the line is completed, only once (the database's
    unique order line settles a race)."""
    line = (
        OrderLine.objects.select_related("sub_order__seller")
        .filter(pk=order_line_id, order__buyer=buyer)
        .first()
    )
    if line is None:  # someone else's line does not exist for you
        raise ReviewError(
            ReviewErrorCode.LINE_NOT_FOUND, "No such purchase.", kind=ErrorKind.NOT_FOUND
        )
    if not is_line_reviewable(line):
        raise ReviewError(
            ReviewErrorCode.LINE_NOT_REVIEWABLE,
            "You can review a purchase once it is completed (and not refunded).",
            details={"line_status": line.status},
            kind=ErrorKind.CONFLICT,
        )
    if is_own_sale(line.sub_order.seller, buyer):
        raise ReviewError(
            ReviewErrorCode.OWN_SALE,
            "Sellers and their teams cannot review what they sold.",
            kind=ErrorKind.FORBIDDEN,
        )
    if Review.objects.filter(order_line=line).exists():
        raise _already_reviewed()
    content = clean_content(rating=rating, title=title, body=body)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                order_line=line,
                product_id=line.product_id,
                seller_id=line.sub_order.seller_id,
                buyer=buyer,
                rating=content.rating,
                title=content.title,
                body=content.body,
            )
    except IntegrityError:
        raise _already_reviewed() from None
    if _is_held(review):
        review.status = ReviewStatus.HELD
        review.save(update_fields=["status"])
        return review
    count_in(review)
    emit("review.created", review_payload(review))
    return review


def _is_held(review: Review) -> bool:
    """Automated moderation of the review's words (a held review is neither shown nor
    counted until an operator releases it)."""
    text = "\n".join(part for part in (review.title, review.body) if part)
    if not text:
        return False
    decision = moderate(
        kind=ContentKind.REVIEW, text=text, author_id=review.buyer_id, object_id=review.pk
    )
    return bool(decision.flagged)


@transaction.atomic
def edit_review(
    *, buyer: User, review_id: int, rating: int, title: str = "", body: str = ""
) -> Review:
    """The buyer's own review, within the edit window, unless an operator hid it. The row is
    locked, so two concurrent edits shift the aggregates by the right difference."""
    review = Review.objects.select_for_update().filter(pk=review_id, buyer=buyer).first()
    if review is None:
        raise ReviewError(
            ReviewErrorCode.REVIEW_NOT_FOUND, "No such review.", kind=ErrorKind.NOT_FOUND
        )
    if review.status == ReviewStatus.HIDDEN:
        raise ReviewError(
            ReviewErrorCode.REVIEW_HIDDEN,
            "The marketplace hid this review; it can no longer be edited.",
            kind=ErrorKind.CONFLICT,
        )
    if timezone.now() > review.editable_until:
        raise ReviewError(
            ReviewErrorCode.EDIT_WINDOW_CLOSED,
            f"Reviews can be edited for {EDIT_WINDOW.days} days after they are written.",
            details={"editable_until": review.editable_until.isoformat()},
            kind=ErrorKind.CONFLICT,
        )
    content = clean_content(rating=rating, title=title, body=body)
    previous_rating = review.rating
    if (content.rating, content.title, content.body) == (
        review.rating,
        review.title,
        review.body,
    ):
        return review
    was_live = review.status == ReviewStatus.PUBLISHED
    review.rating = content.rating
    review.title = content.title
    review.body = content.body
    review.edited_at = timezone.now()
    is_held = _is_held(review)
    review.status = ReviewStatus.HELD if is_held else ReviewStatus.PUBLISHED
    review.save(update_fields=["rating", "title", "body", "edited_at", "status"])
    if was_live and is_held:  # leaves the public lists and the aggregates until released
        shift_ratings(review=review, count=-1, total=-previous_rating)
    elif was_live:
        shift_ratings(review=review, count=0, total=review.rating - previous_rating)
    elif not is_held:  # a held review fixed by its author goes live
        count_in(review)
    if not is_held:
        emit("review.edited", {**review_payload(review), "previous_rating": previous_rating})
    return review
