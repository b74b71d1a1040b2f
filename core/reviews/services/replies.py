"""Sellers answer reviews of what they sold: one public reply per review."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.accounts.emails import send_account_mail
from core.accounts.models import User
from core.errors import ErrorKind
from core.events import emit
from core.reviews.errors import ReviewError, ReviewErrorCode
from core.reviews.models import Review, ReviewReply, ReviewStatus
from core.reviews.services.payloads import review_payload
from core.sellers.models import Seller

MAX_REPLY = 2000


def _clean_body(body: str) -> str:
    body = body.strip()
    if not 1 <= len(body) <= MAX_REPLY:
        raise ReviewError(
            ReviewErrorCode.INVALID_REPLY,
            f"Replies are 1-{MAX_REPLY} characters.",
            details={"field": "body"},
            kind=ErrorKind.INVALID,
        )
    return body


def _sellers_review(seller: Seller, review_id: int) -> Review:
    """Locked; a review of another seller's sale does not exist for this one."""
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("buyer", "product")
        .filter(pk=review_id, seller=seller)
        .first()
    )
    if review is None:
        raise ReviewError(
            ReviewErrorCode.REVIEW_NOT_FOUND, "No such review.", kind=ErrorKind.NOT_FOUND
        )
    return review


def _require_published(review: Review) -> None:
    if review.status != ReviewStatus.PUBLISHED:
        raise ReviewError(
            ReviewErrorCode.REVIEW_HIDDEN,
            "The marketplace hid this review; it cannot be answered.",
            kind=ErrorKind.CONFLICT,
        )


def _already_replied() -> ReviewError:
    return ReviewError(
        ReviewErrorCode.ALREADY_REPLIED,
        "This review already has your reply; edit it instead.",
        kind=ErrorKind.CONFLICT,
    )


@transaction.atomic
def reply_to_review(*, seller: Seller, author: User, review_id: int, body: str) -> ReviewReply:
    review = _sellers_review(seller, review_id)
    _require_published(review)
    if ReviewReply.objects.filter(review=review).exists():
        raise _already_replied()
    body = _clean_body(body)
    try:
        with transaction.atomic():
            reply = ReviewReply.objects.create(
                review=review, seller=seller, author=author, body=body
            )
    except IntegrityError:
        raise _already_replied() from None
    emit("review.replied", review_payload(review))
    if review.buyer.deleted_at is None:
        send_account_mail(
            to=review.buyer.email,
            subject=f"{seller.business_name} replied to your review",
            body=f"{seller.business_name} replied to your review of {review.product.name}:"
            f"\n\n{body}",
        )
    return reply


def _existing_reply(seller: Seller, review_id: int) -> tuple[Review, ReviewReply]:
    review = _sellers_review(seller, review_id)
    reply = ReviewReply.objects.select_for_update().filter(review=review).first()
    if reply is None:
        raise ReviewError(
            ReviewErrorCode.REPLY_NOT_FOUND,
            "You have not replied to this review.",
            kind=ErrorKind.NOT_FOUND,
        )
    return review, reply


@transaction.atomic
def edit_reply(*, seller: Seller, author: User, review_id: int, body: str) -> ReviewReply:
    review, reply = _existing_reply(seller, review_id)
    _require_published(review)
    body = _clean_body(body)
    if body == reply.body:
        return reply
    reply.body = body
    reply.author = author
    reply.edited_at = timezone.now()
    reply.save(update_fields=["body", "author", "edited_at"])
    emit("review.reply_edited", review_payload(review))
    return reply


@transaction.atomic
def delete_reply(*, seller: Seller, review_id: int) -> None:
    review, reply = _existing_reply(seller, review_id)
    reply.delete()
    emit("review.reply_deleted", review_payload(review))
