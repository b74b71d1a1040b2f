"""/healthz (the process is up), /readyz (its dependencies answer) and /metrics, on any host:
load balancers and Kubernetes probe the pod by IP, before any tenant is resolved."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from core.metrics import metrics_response

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    if not settings.REDIS_URL:
        return
    import redis

    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()


def check_storage() -> None:
    default_storage.exists("readyz-probe")


def check_search() -> None:
    if getattr(settings, "SOUK_SEARCH_BACKEND", "postgres") != "opensearch":
        return
    from opensearchpy import OpenSearch

    client = OpenSearch(getattr(settings, "OPENSEARCH_URL", ""), timeout=2)
    if not client.ping():
        raise ConnectionError("OpenSearch did not answer")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "search": check_search,
}


# /readyz answers from here for SOUK_READINESS_CACHE_SECONDS: it is public (probes come by IP,
# without credentials), so a flood of requests must not become a flood of database, Redis,
# storage and search round trips. At most one round of checks per interval per process.
_last_readiness: tuple[float, bool, dict[str, str]] | None = None
_readiness_lock = threading.Lock()


def cached_readiness() -> tuple[bool, dict[str, str]]:
    global _last_readiness
    interval = float(getattr(settings, "SOUK_READINESS_CACHE_SECONDS", 5))
    with _readiness_lock:
        now = time.monotonic()
        if _last_readiness is not None and now - _last_readiness[0] < interval:
            return _last_readiness[1], dict(_last_readiness[2])
        is_ready, checks = readiness()
        _last_readiness = (now, is_ready, checks)
        return is_ready, dict(checks)


def forget_readiness() -> None:
    global _last_readiness
    with _readiness_lock:
        _last_readiness = None


def readiness() -> tuple[bool, dict[str, str]]:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the reason is reported
            logger.warning("readiness check %s failed: %s", name, exc)
            results[name] = f"failing: {type(exc).__name__}"
        else:
            results[name] = "ok"
    return all(value == "ok" for value in results.values()), results


class HealthMiddleware:
    """Placed before the tenant middleware; answers its three paths on any host."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            is_ready, checks = cached_readiness()
            return JsonResponse(
                {"status": "ready" if is_ready else "not ready", "checks": checks},
                status=200 if is_ready else 503,
            )
        if request.path == "/metrics":
            return self._metrics(request)
        return self.get_response(request)

    @staticmethod
    def _metrics(request: HttpRequest) -> HttpResponse:
        token = getattr(settings, "METRICS_TOKEN", "")
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not token or not hmac.compare_digest(token, given):
            return JsonResponse(
                {
                    "error": {
                        "code": "forbidden",
                        "message": "Metrics need METRICS_TOKEN.",
                        "details": None,
                    }
                },
                status=403,
            )
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        return metrics_response()
