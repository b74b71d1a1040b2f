"""Prometheus metrics: requests by tenant and route, latency, task outcomes, outbox backlog
and the warm schema pool. Exposed at /metrics (see core/health.py).

Under gunicorn with several workers set PROMETHEUS_MULTIPROC_DIR (the chart does) so every
worker's samples are summed; without it the process's own registry is served."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from core.schema import current_schema_name

REQUESTS = Counter(
    "souk_http_requests_total", "HTTP requests", ["tenant", "route", "method", "status"]
)
LATENCY = Histogram(
    "souk_http_request_duration_seconds",
    "HTTP request latency",
    ["tenant", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
TASKS = Counter("souk_celery_tasks_total", "Celery task outcomes", ["task", "outcome"])
OUTBOX_PENDING = Gauge(
    "souk_outbox_pending_events",
    "Undelivered outbox events seen by the last dispatch",
    ["tenant"],
    multiprocess_mode="max",
)
OUTBOX_LAG = Gauge(
    "souk_outbox_lag_seconds",
    "Age of the oldest undelivered outbox event",
    ["tenant"],
    multiprocess_mode="max",
)
POOL_SIZE = Gauge(
    "souk_schema_pool_size",
    "Pre-migrated schemas waiting in the warm pool",
    multiprocess_mode="max",
)


def route_of(request: HttpRequest) -> str:
    """The URL pattern, not the path: bounded label cardinality."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return str(match.route or match.view_name or "unknown")[:120]


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        tenant = current_schema_name()
        route = route_of(request)
        REQUESTS.labels(tenant, route, request.method or "", str(response.status_code)).inc()
        LATENCY.labels(tenant, route).observe(time.perf_counter() - started)
        return response


# The warm pool belongs to the tenants app, which registers how to count it at start-up
# (TenantsConfig.ready), so core asks without importing tenants; read at scrape time.
PoolSizeProvider = Callable[[], int]
_pool_size_provider: PoolSizeProvider | None = None


def set_pool_size_provider(provider: PoolSizeProvider) -> None:
    global _pool_size_provider
    _pool_size_provider = provider


def metrics_response() -> HttpResponse:
    if _pool_size_provider is None:
        raise RuntimeError("no pool size provider registered (is 'tenants' installed?)")
    POOL_SIZE.set(_pool_size_provider())
    registry: Any
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
