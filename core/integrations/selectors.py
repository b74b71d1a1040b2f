"""Reads of the integrations: the health figures the partner API and the dashboard show, and
who listens to an event (so an outbox consumer can skip working out what each seller is told
when nobody is listening)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Aggregate, Count, FloatField, Q
from django.utils import timezone

from core.integrations import registry
from core.integrations.models import (
    DeliveryStatus,
    IntegrationCall,
    WebhookDelivery,
    WebhookEndpoint,
)
from core.sellers.models import Seller

LAST_ERRORS = 10
API_DOCS = {"api_docs": "/api/v1/docs", "openapi": "/api/v1/openapi.json"}


class Percentile95(Aggregate):
    """PostgreSQL's ``percentile_cont(0.95)`` (FILTER works as for any aggregate)."""

    function = "percentile_cont"
    template = "%(function)s(0.95) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def sellers_subscribed_to(event: str) -> frozenset[int]:
    """Sellers with an active endpoint subscribed to ``event`` (one query)."""
    return frozenset(
        WebhookEndpoint.objects.filter(is_active=True, events__contains=[event])
        .values_list("seller_id", flat=True)
        .distinct()
    )


def _window_stats(seller: Seller, since: datetime, kinds: list[str]) -> dict[str, dict[str, Any]]:
    rows = (
        IntegrationCall.objects.filter(seller=seller, created_at__gte=since)
        .values("kind")
        .annotate(
            calls=Count("id"),
            succeeded=Count("id", filter=Q(is_success=True)),
            p95=Percentile95("latency_ms"),
        )
    )
    stats = {
        kind: {"calls": 0, "succeeded": 0, "success_rate": None, "p95_latency_ms": None}
        for kind in kinds
    }
    for row in rows:
        calls = int(row["calls"])
        stats[row["kind"]] = {
            "calls": calls,
            "succeeded": int(row["succeeded"]),
            "success_rate": round(row["succeeded"] / calls, 4) if calls else None,
            "p95_latency_ms": round(row["p95"]) if row["p95"] is not None else None,
        }
    return stats


def integration_health(*, seller: Seller, now: datetime | None = None) -> dict[str, Any]:
    """Partner API and outbound-call health over the last 24 hours and 7 days (per call kind:
    core's and those of the modules on here, each reported even with no calls), the last
    errors, and the deliveries waiting to be retried or given up."""
    now = now or timezone.now()
    kinds = [spec.kind for spec in registry.call_kinds()]
    last_errors = IntegrationCall.objects.filter(seller=seller, is_success=False).order_by(
        "-created_at", "-id"
    )[:LAST_ERRORS]
    return {
        "generated_at": now,
        "windows": {
            "24h": _window_stats(seller, now - timedelta(hours=24), kinds),
            "7d": _window_stats(seller, now - timedelta(days=7), kinds),
        },
        "last_errors": [
            {
                "id": call.pk,
                "kind": call.kind,
                "url": call.url,
                "response_status": call.response_status,
                "error": call.error,
                "latency_ms": call.latency_ms,
                "at": call.created_at,
            }
            for call in last_errors
        ],
        "pending_deliveries": WebhookDelivery.objects.filter(
            endpoint__seller=seller, status=DeliveryStatus.PENDING
        ).count(),
        "failed_deliveries_7d": WebhookDelivery.objects.filter(
            endpoint__seller=seller,
            status=DeliveryStatus.FAILED,
            created_at__gte=now - timedelta(days=7),
        ).count(),
        "docs": dict(API_DOCS),
    }
