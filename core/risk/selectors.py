"""Reads shared by the risk services and pages. Nothing here imports commerce: payouts
(core.payments) ask for assessments too."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.risk.models import ReviewStatus, RiskAssessment, RiskAttempt, RiskSettings

SETTINGS_CACHE_KEY = "risk:settings"
SETTINGS_CACHE_SECONDS = 300


def risk_settings() -> RiskSettings:
    """The marketplace's thresholds (made with defaults on first use), cached per tenant (the
    cache's key function prefixes the schema)."""
    found: RiskSettings | None = cache.get(SETTINGS_CACHE_KEY)
    if found is None:
        found, _ = RiskSettings.objects.get_or_create(pk=1)
        cache.set(SETTINGS_CACHE_KEY, found, SETTINGS_CACHE_SECONDS)
    return found


def forget_risk_settings() -> None:
    cache.delete(SETTINGS_CACHE_KEY)


def is_order_held(order_id: int) -> bool:
    """Whether the order's fulfilment waits for (or was refused by) a risk review."""
    return RiskAssessment.objects.filter(
        order_id=order_id, review_status__in=(ReviewStatus.PENDING, ReviewStatus.REJECTED)
    ).exists()


def review_queue() -> QuerySet[RiskAssessment]:
    """Assessments waiting for an operator, riskiest first."""
    return (
        RiskAssessment.objects.filter(review_status=ReviewStatus.PENDING)
        .select_related("buyer")
        .order_by("-score", "id")
    )


def recent_decisions(limit: int = 20) -> list[RiskAssessment]:
    return list(
        RiskAssessment.objects.filter(
            review_status__in=(ReviewStatus.APPROVED, ReviewStatus.REJECTED)
        )
        .select_related("decided_by")
        .order_by("-decided_at")[:limit]
    )


def checkout_outcomes_by_day(*, days: int) -> tuple[list[date], dict[str, list[int]]]:
    """Checkouts per outcome per day over the last ``days`` days (today included): one query."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    since = timezone.make_aware(datetime.combine(first, time.min))
    rows = (
        RiskAssessment.objects.filter(subject="checkout", created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day", "outcome")
        .annotate(count=Count("id"))
    )
    dates = [first + timedelta(days=offset) for offset in range(days)]
    counts: dict[str, list[int]] = {outcome: [0] * days for outcome in ("allow", "review", "block")}
    for row in rows:
        index = (row["day"] - first).days
        if 0 <= index < days and row["outcome"] in counts:
            counts[row["outcome"]][index] = int(row["count"])
    return dates, counts


def later_attempts(order_ids: set[int]) -> dict[int, int]:
    """How many times each order's buyer tried to pay again after its first charge failed."""
    counts = (
        RiskAttempt.objects.filter(order_id__in=order_ids)
        .values("order_id")
        .annotate(count=Count("id"))
        .values_list("order_id", "count")
    )
    return dict(counts)
