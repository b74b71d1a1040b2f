"""Probes, metrics and logs: /healthz and /readyz on any host, Prometheus metrics behind a
token, JSON log lines carrying tenant, request id and user id."""

from __future__ import annotations

import json
import logging

from django.test import Client

from core import health
from core.logging import JsonFormatter
from core.request_id import RequestContextFilter
from tests.accounts_helpers import make_user, sign_in


def test_healthz_answers_on_any_host_without_touching_the_database(
    client, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_reports_each_dependency(client, db):
    response = client.get("/readyz", HTTP_HOST="10.0.0.7")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {
            "database": "ok",
            "redis": response.json()["checks"]["redis"],
            "storage": "ok",
            "search": "ok",
        },
    }


def test_readyz_is_503_when_a_dependency_fails(client, db, monkeypatch, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz", HTTP_HOST="10.0.0.7")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == "failing: ConnectionError"
    assert response.json()["checks"]["database"] == "ok"


def test_metrics_need_the_token_and_count_requests_by_tenant_and_route(
    client_for, tenant_a, settings
):
    settings.METRICS_TOKEN = "scrape-me"
    client = client_for(tenant_a)
    client.get("/api/v1/marketplace")
    client.get("/p/no-such-product/")

    refused = Client().get("/metrics", HTTP_HOST="10.0.0.7")
    scraped = Client().get("/metrics", HTTP_HOST="10.0.0.7", HTTP_AUTHORIZATION="Bearer scrape-me")

    assert refused.status_code == 403
    text = scraped.content.decode()
    assert scraped.status_code == 200
    assert (
        'souk_http_requests_total{method="GET",route="api/v1/marketplace",status="200",tenant="t_alpha_market"}'
        in text
    )
    assert 'route="p/<slug:slug>/",status="404",tenant="t_alpha_market"' in text
    assert "souk_http_request_duration_seconds_bucket" in text
    assert "souk_schema_pool_size" in text


def test_json_log_lines_carry_tenant_request_and_user(client_for, tenant_a, settings, caplog):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    sign_in(client, "ann@example.com")
    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Capture()
    handler.addFilter(RequestContextFilter())
    logger = logging.getLogger("api.errors")
    logger.addHandler(handler)
    try:
        from unittest import mock

        with mock.patch("core.accounts.api.me_out", side_effect=RuntimeError("boom")):
            response = client.get("/api/v1/me", HTTP_X_REQUEST_ID="trace-abc-123")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 500
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["tenant"] == "t_alpha_market"
    assert line["request_id"] == "trace-abc-123"
    assert line["user_id"] != "-" and line["level"] == "ERROR"
    assert "RuntimeError: boom" in line["exception"]


def test_readiness_checks_are_the_documented_four():
    assert list(health.CHECKS) == ["database", "redis", "storage", "search"]


def test_task_outcomes_outbox_backlog_and_pool_size_are_exported(tenant_a, settings):
    from django_tenants.utils import schema_context

    from core.events import emit
    from core.tasks import dispatch_outbox

    settings.METRICS_TOKEN = "scrape-me"
    with schema_context(tenant_a.schema_name):
        emit("test.unhandled", {"n": 1})
        dispatch_outbox.delay()
    text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").content.decode()
    assert 'souk_celery_tasks_total{outcome="success",task="core.tasks.dispatch_outbox"}' in text
    assert 'souk_outbox_pending_events{tenant="t_alpha_market"} 0.0' in text
    assert 'souk_outbox_lag_seconds{tenant="t_alpha_market"} 0.0' in text
    assert "souk_schema_pool_size " in text


def test_a_flood_of_readyz_runs_the_checks_once_per_interval(client, db, settings, monkeypatch):
    settings.SOUK_READINESS_CACHE_SECONDS = 60
    health.forget_readiness()
    runs: list[str] = []
    counted = {name: (lambda name=name: runs.append(name)) for name in health.CHECKS}
    monkeypatch.setattr(health, "CHECKS", counted)

    answers = [client.get("/readyz", HTTP_HOST="10.0.0.7") for _ in range(50)]

    assert {answer.status_code for answer in answers} == {200}
    assert runs == ["database", "redis", "storage", "search"]
    health.forget_readiness()
