"""The seller's gig stats on their public profile (``/s/<slug>/``, the manifest's
``seller_profile_panel``): on-time delivery, completion, how fast they answer buyers, and the
buyers' published delivery feedback per dimension.

Three aggregate queries whatever the number of orders, messages or feedback (orders; feedback;
conversations), all in the current marketplace's schema, so another marketplace's orders are
out of reach. A figure is shown only once it rests on ``MIN_SAMPLE`` cases; with none to
show, the panel says there is not enough yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
)
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from core.conversations.models import Conversation, Message, MessageKind
from core.sellers.models import Seller
from modules.gigs.models import GigFeedback, GigOrder, OrderStatus
from modules.gigs.services.feedback import DIMENSIONS, FEEDBACK_DAYS

MIN_SAMPLE = 3  # cases a figure needs before it is shown
RESPONSE_DAYS = 90


class Median(Aggregate):
    """PostgreSQL's exact median of a duration."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


@dataclass(frozen=True)
class Figure:
    value: float | None  # None: not enough cases to show it
    sample: int


@dataclass(frozen=True)
class GigStats:
    orders: int
    on_time: Figure  # share of delivered orders first delivered by the due date
    completion: Figure  # completed / (completed + cancelled)
    response: timedelta | None  # median time to the first answer to a buyer
    response_sample: int
    ratings: dict[str, float | None]  # average 1-5 per dimension of published buyer feedback
    ratings_sample: int

    @property
    def has_any(self) -> bool:
        return any(
            (
                self.on_time.value is not None,
                self.completion.value is not None,
                self.response is not None,
                self.ratings_sample >= MIN_SAMPLE,
            )
        )


def _share(part: int, whole: int) -> Figure:
    return Figure(round(part / whole, 4) if whole >= MIN_SAMPLE else None, whole)


def _order_counts(seller_id: int) -> dict[str, Any]:
    first_delivery = Min("deliveries__submitted_at")
    return (
        GigOrder.objects.filter(seller_id=seller_id)
        .annotate(first_at=first_delivery)
        .aggregate(
            orders=Count("pk"),
            completed=Count("pk", filter=Q(status=OrderStatus.COMPLETED)),
            cancelled=Count("pk", filter=Q(status=OrderStatus.CANCELLED)),
            delivered=Count("pk", filter=Q(first_at__isnull=False, due_at__isnull=False)),
            on_time=Count("pk", filter=Q(first_at__isnull=False, first_at__lte=F("due_at"))),
        )
    )


def _ratings(seller_id: int) -> dict[str, Any]:
    """Buyers' feedback once visible: the seller answered it, or the blind window closed."""
    closed_before = timezone.now() - timedelta(days=FEEDBACK_DAYS)
    answered = GigFeedback.objects.filter(order_id=OuterRef("order_id"), party="seller")
    return (
        GigFeedback.objects.filter(order__seller_id=seller_id, party="buyer")
        .filter(Q(order__completed_at__lte=closed_before) | Q(Exists(answered)))
        .aggregate(count=Count("pk"), **{name: Avg(name) for name in DIMENSIONS})
    )


def _response(seller_id: int) -> dict[str, Any]:
    """The median time from a buyer's first message in a conversation (last 90 days) to the
    first message after it from the seller's side (owner or teammate; not the system)."""
    since = timezone.now() - timedelta(days=RESPONSE_DAYS)
    spoken = Message.objects.exclude(kind=MessageKind.SYSTEM).filter(
        conversation_id=OuterRef("pk"), removed_at__isnull=True
    )
    asked = spoken.filter(sender_id=OuterRef("buyer_id"), created_at__gte=since)
    answered = spoken.filter(created_at__gt=OuterRef("asked"), sender__isnull=False).exclude(
        sender_id=OuterRef("buyer_id")
    )
    return (
        Conversation.objects.filter(seller_id=seller_id)
        .annotate(asked=Subquery(asked.order_by("created_at").values("created_at")[:1]))
        .annotate(answered=Subquery(answered.order_by("created_at").values("created_at")[:1]))
        .filter(asked__isnull=False, answered__isnull=False)
        .aggregate(
            count=Count("pk"),
            median=Median(ExpressionWrapper(F("answered") - F("asked"), DurationField())),
        )
    )


def gig_stats(*, seller_id: int) -> GigStats:
    counts = _order_counts(seller_id)
    ratings = _ratings(seller_id)
    response = _response(seller_id)
    rated = int(ratings["count"])
    answered = int(response["count"])
    return GigStats(
        orders=int(counts["orders"]),
        on_time=_share(int(counts["on_time"]), int(counts["delivered"])),
        completion=_share(
            int(counts["completed"]), int(counts["completed"]) + int(counts["cancelled"])
        ),
        response=response["median"] if answered >= MIN_SAMPLE else None,
        response_sample=answered,
        ratings={
            name: round(float(ratings[name]), 1)
            if rated >= MIN_SAMPLE and ratings[name] is not None
            else None
            for name in DIMENSIONS
        },
        ratings_sample=rated,
    )


def _duration_text(duration: timedelta) -> str:
    minutes = max(1, round(duration.total_seconds() / 60))
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    if hours < 48:
        return f"{hours} hours"
    return f"{round(hours / 24)} days"


def seller_profile_panel(request: HttpRequest, seller: Seller) -> SafeString | None:
    """The stats box under the seller's summary; nothing for a seller who never had a gig
    order (a shop selling other things)."""
    stats = gig_stats(seller_id=seller.pk)
    if not stats.orders:
        return None
    context = {
        "stats": stats,
        "min_sample": MIN_SAMPLE,
        "response_text": _duration_text(stats.response) if stats.response else "",
        "on_time_percent": _percent(stats.on_time.value),
        "completion_percent": _percent(stats.completion.value),
        "ratings": [
            (name.title(), stats.ratings[name])
            for name in DIMENSIONS
            if stats.ratings[name] is not None
        ],
    }
    return SafeString(render_to_string("gigs/_seller_stats.html", context, request=request))


def _percent(share: float | None) -> int | None:
    return None if share is None else round(share * 100)
