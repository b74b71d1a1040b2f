"""Delivery feedback and the seller's gig stats.

Feedback is given on a completed order, once per party, within ``FEEDBACK_DAYS`` of its
completion; it is double-blind: each side's feedback stays hidden from the other (and from
everyone) until both gave theirs or the window closed, so neither answers the other's.

The buyer's feedback feeds the seller's core rating (``Seller.rating_count``/``rating_total``,
through ``core.reviews.services.module_ratings``) with its overall score, the rounded mean of
the three dimensions, the moment it becomes visible: when the seller answers, or when the
window closes (the ``gigs.feedback_published`` deadline). Counting is idempotent (once per
feedback), and removing the feedback takes its stars back out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone

from core import events
from core.deadlines.services import cancel_deadline, schedule_deadline
from core.reviews.services.module_ratings import count_module_rating, remove_module_rating
from modules.gigs.errors import GigsErrorCode, invalid, not_found, wrong_state
from modules.gigs.models import GigFeedback, GigOrder, OrderStatus
from modules.gigs.services.orders import deadline_key, event_payload, locked

FEEDBACK_DAYS = 14
DIMENSIONS = ("quality", "communication", "timeliness")
RATING_SOURCE = "gigs.feedback"
PUBLISH_TASK = "gigs.feedback_published"


@dataclass(frozen=True)
class Scores:
    quality: int
    communication: int
    timeliness: int
    comment: str = ""


def window_closes_at(order: GigOrder) -> datetime | None:
    return order.completed_at + timedelta(days=FEEDBACK_DAYS) if order.completed_at else None


@transaction.atomic
def leave_feedback(*, order_id: int, party: str, scores: Scores) -> GigFeedback:
    """``party`` ("buyer"/"seller", already shown to own the order) rates the other side."""
    order = locked(order_id)
    closes = window_closes_at(order)
    if order.status != OrderStatus.COMPLETED or closes is None:
        raise wrong_state("Feedback is given once the order is completed.", order.status)
    if timezone.now() > closes:
        raise wrong_state(f"Feedback closes {FEEDBACK_DAYS} days after completion.", order.status)
    for name in DIMENSIONS:
        if not 1 <= getattr(scores, name) <= 5:
            raise invalid(GigsErrorCode.INVALID_DELIVERY, name, "Give 1 to 5.")
    if len(scores.comment) > 2000:
        raise invalid(GigsErrorCode.INVALID_DELIVERY, "comment", "At most 2000 characters.")
    try:
        with transaction.atomic():
            feedback = GigFeedback.objects.create(
                order=order,
                party=party,
                quality=scores.quality,
                communication=scores.communication,
                timeliness=scores.timeliness,
                comment=scores.comment.strip(),
            )
    except IntegrityError:
        raise wrong_state("You gave your feedback on this order already.", order.status) from None
    events.emit("gig.feedback_given", event_payload(order, by=party))
    if _publish(order):
        cancel_deadline(key=_publish_key(order.pk))
    elif party == "buyer":
        # Nobody answered yet: the buyer's feedback is published when the window closes.
        schedule_deadline(
            key=_publish_key(order.pk), at=closes, task=PUBLISH_TASK, payload={"order_id": order.pk}
        )
    return feedback


def overall_stars(feedback: GigFeedback) -> int:
    """The mean of the three dimensions, rounded half up, as whole stars (1-5)."""
    total = feedback.quality + feedback.communication + feedback.timeliness
    return (2 * total + len(DIMENSIONS)) // (2 * len(DIMENSIONS))


def _publish_key(order_id: int) -> str:
    return deadline_key(order_id, "feedback-published")


def _is_visible(order: GigOrder, given: list[GigFeedback]) -> bool:
    closes = window_closes_at(order)
    return len(given) == 2 or (closes is not None and timezone.now() >= closes)


def _publish(order: GigOrder) -> bool:
    """Count the buyer's feedback in the seller's rating if it is visible now (idempotent)."""
    given = list(GigFeedback.objects.filter(order=order))
    buyers = next((item for item in given if item.party == "buyer"), None)
    if buyers is None or not _is_visible(order, given):
        return False
    count_module_rating(
        source=RATING_SOURCE,
        key=str(buyers.pk),
        seller_id=order.seller_id,
        stars=overall_stars(buyers),
    )
    return True


@transaction.atomic
def publish_feedback(*, order_id: int) -> bool:
    """The window closed (or both sides gave feedback): the buyer's feedback counts in the
    seller's rating. Running it again changes nothing."""
    return _publish(locked(order_id))


@transaction.atomic
def remove_feedback(*, feedback_id: int) -> None:
    """Remove a feedback (the marketplace's moderation); its stars leave the seller's rating."""
    feedback = GigFeedback.objects.filter(pk=feedback_id).first()
    if feedback is None:
        raise not_found(GigsErrorCode.ORDER_NOT_FOUND, "No such feedback.")
    locked(feedback.order_id)
    remove_module_rating(source=RATING_SOURCE, key=str(feedback.pk))
    feedback.delete()


def visible_feedback(order: GigOrder, *, viewer: str | None) -> list[GigFeedback]:
    """What ``viewer`` ("buyer", "seller", or None for the public) may read: their own, and
    the other side's once both gave theirs or the window closed."""
    given = list(order.feedback.all())
    is_open = _is_visible(order, given)
    return [item for item in given if is_open or item.party == viewer]


@dataclass(frozen=True)
class SellerStats:
    completed: int
    cancelled: int
    completion_rate: float | None  # completed / (completed + cancelled)
    on_time_rate: float | None  # first delivery by the due date, of the delivered orders
    ratings: dict[str, float | None]  # buyers' published feedback, average per dimension
    ratings_count: int


def seller_stats(*, seller_id: int) -> SellerStats:
    """Three aggregate queries, whatever the number of orders."""
    orders = GigOrder.objects.filter(seller_id=seller_id)
    counts = orders.aggregate(
        completed=Count("pk", filter=Q(status=OrderStatus.COMPLETED)),
        cancelled=Count("pk", filter=Q(status=OrderStatus.CANCELLED)),
    )
    first = (
        orders.filter(due_at__isnull=False)
        .annotate(first_at=Min("deliveries__submitted_at"))
        .filter(first_at__isnull=False)
    )
    timing = first.aggregate(
        delivered=Count("pk"), on_time=Count("pk", filter=Q(first_at__lte=F("due_at")))
    )
    now = timezone.now()
    answered = GigFeedback.objects.filter(order_id=OuterRef("order_id"), party="seller")
    published = GigFeedback.objects.filter(order__seller_id=seller_id, party="buyer").filter(
        Q(order__completed_at__lte=now - timedelta(days=FEEDBACK_DAYS)) | Q(Exists(answered))
    )
    averages = published.aggregate(count=Count("pk"), **{name: Avg(name) for name in DIMENSIONS})
    completed, cancelled = int(counts["completed"]), int(counts["cancelled"])
    closed = completed + cancelled
    delivered = int(timing["delivered"])
    return SellerStats(
        completed=completed,
        cancelled=cancelled,
        completion_rate=round(completed / closed, 4) if closed else None,
        on_time_rate=round(int(timing["on_time"]) / delivered, 4) if delivered else None,
        ratings={
            name: round(float(averages[name]), 2) if averages[name] is not None else None
            for name in DIMENSIONS
        },
        ratings_count=int(averages["count"]),
    )
