"""Outbound webhooks as every module gets them: the test module beta declares one event type in
its manifest ("beta.pinged") and nothing else, and ``emit_webhook`` delivers it to the
seller's subscribed endpoints on a real HTTP server on loopback that verifies each signature -
logged, retried with backoff, replayable, requeued by the sweeper when its task was lost -
only where beta is on, and never to another seller or another marketplace's seller."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django_tenants.utils import schema_context

from core.integrations import registry
from core.integrations.errors import IntegrationError, IntegrationErrorCode
from core.integrations.models import CallKind, DeliveryStatus, IntegrationCall, WebhookDelivery
from core.integrations.registry import UnknownEventType
from core.integrations.services.calls import backoff_seconds, call_seller
from core.integrations.services.endpoints import create_endpoint
from core.integrations.services.webhooks import attempt_delivery, emit_webhook, replay_delivery
from core.integrations.tasks import prune_integration_log, retry_overdue_deliveries
from core.integrations.tests.integration_helpers import (
    add_endpoint,
    deliveries_of,
    logged_calls,
    secret_of,
    share_secret,
)
from core.integrations.tests.partner_server import Answer
from tenants.services.modules import set_module_enabled
from tests.catalog_helpers import make_seller

CORE_EVENTS = ["order.paid", "refund.created", "subscription.renewed", "subscription.cancelled"]
PING = {"service_id": 7, "by": "bea", "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)}
PING_DATA = {"service_id": 7, "by": "bea", "at": "2026-01-02T03:04:05Z"}


@pytest.fixture
def beta_market(tenant_b):
    """Beta Bazaar runs alpha and beta; Acme sells there."""
    return tenant_b, make_seller(tenant_b, "acme")


def _emit(tenant, seller, capture, *, execute=True, **overrides):
    with schema_context(tenant.schema_name), capture(execute=execute):
        return emit_webhook(
            seller=overrides.get("to", seller),
            event=overrides.get("event", "beta.pinged"),
            payload=overrides.get("payload", PING),
        )


# --- event types -----------------------------------------------------------------------------


def test_a_module_declares_its_event_types_in_its_manifest_and_they_count_where_it_is_on():
    pinged = registry.event_type("beta.pinged")

    assert (pinged.module_key, pinged.description) == (
        "beta",
        "Someone pinged one of your beta services.",
    )
    assert [e.name for e in registry.event_types(enabled={"alpha", "beta"})] == [
        *CORE_EVENTS,
        "beta.pinged",
    ]
    assert [e.name for e in registry.event_types(enabled={"alpha"})] == CORE_EVENTS
    assert registry.event_type("license.issued").module_key == "licensing"


@pytest.mark.parametrize(
    "event_types",
    [
        {"alpha.new": "fine", "beta.pinged": "beta's already"},
        {"alpha.new": "fine", "Alpha.Shouted": "upper case"},
        {"alpha.new": "fine", "alpha": "no dot"},
        {"alpha.new": "fine", "alpha..twice": "empty word"},
        {"alpha.new": "fine", "alpha." + "x" * 60: "longer than the column"},
    ],
)
def test_a_clashing_or_malformed_event_type_fails_at_start_up_and_registers_nothing(event_types):
    with pytest.raises(ImproperlyConfigured):
        registry.register_event_types("alpha", event_types)

    with pytest.raises(UnknownEventType):
        registry.event_type("alpha.new")
    assert registry.event_type("beta.pinged").module_key == "beta"


def test_an_unknown_event_type_is_a_programming_error(
    beta_market, django_capture_on_commit_callbacks
):
    tenant, seller = beta_market

    with pytest.raises(UnknownEventType):
        _emit(tenant, seller, django_capture_on_commit_callbacks, event="beta.unheard_of")


def test_endpoints_subscribe_only_to_event_types_of_modules_on_here(tenant_a, loopback_allowed):
    seller = make_seller(tenant_a, "plain")  # alpha-market runs alpha, not beta

    with schema_context(tenant_a.schema_name):
        with pytest.raises(IntegrationError) as refused:
            create_endpoint(seller=seller, url="http://127.0.0.1:9/", events=["beta.pinged"])
        endpoint = create_endpoint(seller=seller, url="http://127.0.0.1:9/", events=["order.paid"])

    assert refused.value.code == IntegrationErrorCode.INVALID_WEBHOOK
    assert refused.value.details == {"field": "events"}
    assert endpoint.events == ["order.paid"]


# --- delivering ------------------------------------------------------------------------------


def test_an_event_is_delivered_signed_to_the_sellers_endpoint_and_logged(
    beta_market, loopback_allowed, partner_server, django_capture_on_commit_callbacks
):
    tenant, seller = beta_market
    endpoint = add_endpoint(tenant, seller, partner_server, "/hooks", ["beta.pinged"])
    share_secret(tenant, seller, partner_server)

    created = _emit(tenant, seller, django_capture_on_commit_callbacks)

    (delivery,) = deliveries_of(tenant, endpoint)
    assert created == [delivery.pk]
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (
        DeliveryStatus.SUCCEEDED,
        1,
        None,
    )
    (received,) = partner_server.calls
    assert received.path == "/hooks"
    assert received.is_signature_valid is True
    assert received.json == {
        "id": delivery.event_id,
        "type": "beta.pinged",
        "created_at": delivery.created_at.isoformat(),
        "data": PING_DATA,
    }
    assert received.headers["souk-event-id"] == delivery.event_id
    assert received.headers["souk-event-type"] == "beta.pinged"
    (logged,) = logged_calls(tenant, seller)
    assert (logged.kind, logged.url, logged.response_status, logged.error) == (
        CallKind.WEBHOOK,
        partner_server.url("/hooks"),
        200,
        "",
    )
    assert (logged.is_success, logged.delivery_id) == (True, delivery.pk)
    assert json.loads(logged.request_body) == received.json
    assert json.loads(logged.response_body) == {"received": True}


def test_the_same_event_emitted_again_is_delivered_once(
    beta_market, loopback_allowed, partner_server, django_capture_on_commit_callbacks
):
    tenant, seller = beta_market
    endpoint = add_endpoint(tenant, seller, partner_server, "/hooks", ["beta.pinged"])
    share_secret(tenant, seller, partner_server)

    first = _emit(tenant, seller, django_capture_on_commit_callbacks)
    again = _emit(tenant, seller, django_capture_on_commit_callbacks)
    other = _emit(tenant, seller, django_capture_on_commit_callbacks, payload={"service_id": 8})

    assert (len(first), again, len(other)) == (1, [], 1)
    assert len(deliveries_of(tenant, endpoint)) == 2
    assert [call.json["data"] for call in partner_server.calls] == [PING_DATA, {"service_id": 8}]


def test_a_failed_attempt_waits_its_backoff_and_a_duplicated_task_sends_nothing(
    beta_market, loopback_allowed, partner_server, django_capture_on_commit_callbacks, settings
):
    settings.SOUK_INTEGRATION_RETRY_BASE_SECONDS = 30
    tenant, seller = beta_market
    endpoint = add_endpoint(tenant, seller, partner_server, "/hooks", ["beta.pinged"])
    share_secret(tenant, seller, partner_server)
    partner_server.script("/hooks", Answer(503, "busy"))
    (delivery_id,) = _emit(tenant, seller, django_capture_on_commit_callbacks, execute=False)

    with schema_context(tenant.schema_name):
        before = timezone.now()
        failed = attempt_delivery(delivery_id=delivery_id, attempt=1)
        waiting = WebhookDelivery.objects.get(pk=delivery_id)
        duplicate = attempt_delivery(delivery_id=delivery_id, attempt=1)
        retried = attempt_delivery(delivery_id=delivery_id, attempt=2)

    assert (failed.status, duplicate.status, retried.status) == ("pending", "skipped", "succeeded")
    assert failed.retry_in is not None and 30 <= failed.retry_in <= 33
    assert waiting.attempts == 1
    assert waiting.next_attempt_at is not None
    assert before + timedelta(seconds=30) <= waiting.next_attempt_at
    assert waiting.next_attempt_at <= timezone.now() + timedelta(seconds=33)
    assert [call.answered for call in partner_server.calls] == [503, 200]
    assert [(c.response_status, c.error) for c in logged_calls(tenant, seller)] == [
        (503, "HTTP 503"),
        (200, ""),
    ]
    (delivery,) = deliveries_of(tenant, endpoint)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)


def test_backoff_grows_fourfold_with_at_most_ten_percent_jitter_up_to_six_hours(settings):
    settings.SOUK_INTEGRATION_RETRY_BASE_SECONDS = 30

    for attempt, base in [(1, 30), (2, 120), (3, 480), (4, 1920), (5, 7680), (9, 21600)]:
        waits = {backoff_seconds(attempt) for _ in range(50)}
        assert base <= min(waits) and max(waits) <= base + base // 10, (attempt, waits)


def test_a_delivery_given_up_is_replayed_with_its_event_id_and_fresh_retries(
    beta_market, loopback_allowed, partner_server, django_capture_on_commit_callbacks, settings
):
    settings.SOUK_WEBHOOK_MAX_ATTEMPTS = 2
    tenant, seller = beta_market
    endpoint = add_endpoint(tenant, seller, partner_server, "/hooks", ["beta.pinged"])
    share_secret(tenant, seller, partner_server)
    partner_server.script("/hooks", Answer(500, "down"), Answer(500, "still down"))
    _emit(tenant, seller, django_capture_on_commit_callbacks)
    (given_up,) = deliveries_of(tenant, endpoint)

    with schema_context(tenant.schema_name), django_capture_on_commit_callbacks(execute=True):
        replay_delivery(delivery=given_up)

    assert (given_up.status, given_up.attempts) == (DeliveryStatus.FAILED, 2)
    (delivery,) = deliveries_of(tenant, endpoint)
    assert (delivery.pk, delivery.status, delivery.attempts) == (
        given_up.pk,
        DeliveryStatus.SUCCEEDED,
        1,
    )
    calls = partner_server.calls_to("/hooks")
    assert [call.answered for call in calls] == [500, 500, 200]
    assert {call.json["id"] for call in calls} == {delivery.event_id}
    assert calls[-1].is_signature_valid is True
    assert len(logged_calls(tenant, seller, CallKind.WEBHOOK)) == 3


def test_the_guard_refuses_a_private_address_when_a_delivery_is_sent(
    beta_market, loopback_allowed, partner_server, django_capture_on_commit_callbacks, settings
):
    settings.SOUK_WEBHOOK_MAX_ATTEMPTS = 1
    tenant, seller = beta_market
    endpoint = add_endpoint(tenant, seller, partner_server, "/hooks", ["beta.pinged"])
    settings.SOUK_WEBHOOKS_ALLOW_LOOPBACK = False  # production: 127.0.0.1 is private

    _emit(tenant, seller, django_capture_on_commit_callbacks)

    assert partner_server.calls == []
    (delivery,) = deliveries_of(tenant, endpoint)
    assert delivery.status == DeliveryStatus.FAILED
    (logged,) = logged_calls(tenant, seller)
    assert logged.response_status is None
    assert logged.error.startswith("127.0.0.1 resolves to 127.0.0.1, a private or reserved")


def test_a_call_of_a_kind_nobody_registered_is_refused_before_anything_is_sent(
    beta_market, loopback_allowed, partner_server
):
    tenant, seller = beta_market

    with schema_context(tenant.schema_name), pytest.raises(LookupError):
        call_seller(
            seller_id=seller.pk,
            kind="telepathy",
            url=partner_server.url("/hooks"),
            event_id="evt_1",
            event_type="beta.pinged",
            body={},
        )

    assert partner_server.calls == []
    assert logged_calls(tenant, seller) == []


# --- whose events ----------------------------------------------------------------------------


def test_only_the_seller_concerned_hears_of_an_event(
    beta_market, loopback_allowed, partner_server, django_capture_on_commit_callbacks
):
    tenant, acme = beta_market
    bolt = make_seller(tenant, "bolt")
    add_endpoint(tenant, acme, partner_server, "/acme", ["beta.pinged"])
    theirs = add_endpoint(tenant, bolt, partner_server, "/bolt", ["beta.pinged"])
    share_secret(tenant, acme, partner_server)

    _emit(tenant, acme, django_capture_on_commit_callbacks)

    assert [call.path for call in partner_server.calls] == ["/acme"]
    assert deliveries_of(tenant, theirs) == []
    assert logged_calls(tenant, bolt) == []


def test_a_seller_of_another_marketplace_never_hears_of_an_event(
    beta_market,
    make_tenant,
    loopback_allowed,
    partner_server,
    django_capture_on_commit_callbacks,
):
    tenant, acme = beta_market
    other = make_tenant("gamma-goods", modules=["alpha", "beta"]).tenant
    other_acme = make_seller(other, "acme")  # same slug; its own schema, its own ids
    mine = add_endpoint(tenant, acme, partner_server, "/mine", ["beta.pinged"])
    theirs = add_endpoint(other, other_acme, partner_server, "/theirs", ["beta.pinged"])
    partner_server.secret_for = {
        "/mine": secret_of(tenant, acme),
        "/theirs": secret_of(other, other_acme),
    }

    _emit(tenant, acme, django_capture_on_commit_callbacks)

    assert [call.path for call in partner_server.calls] == ["/mine"]
    assert deliveries_of(other, theirs) == []
    assert logged_calls(other, other_acme) == []

    _emit(other, other_acme, django_capture_on_commit_callbacks, payload={"service_id": 9})

    assert [call.path for call in partner_server.calls] == ["/mine", "/theirs"]
    assert all(call.is_signature_valid for call in partner_server.calls)
    assert secret_of(tenant, acme) != secret_of(other, other_acme)
    assert [d.payload for d in deliveries_of(tenant, mine)] == [PING_DATA]
    assert [d.payload for d in deliveries_of(other, theirs)] == [{"service_id": 9}]
    assert len(logged_calls(tenant, acme)) == len(logged_calls(other, other_acme)) == 1


def test_an_event_of_a_module_that_is_off_here_is_not_sent(
    beta_market, loopback_allowed, partner_server, django_capture_on_commit_callbacks
):
    tenant, seller = beta_market
    endpoint = add_endpoint(tenant, seller, partner_server, "/hooks", ["beta.pinged"])
    set_module_enabled(tenant=tenant, key="beta", is_enabled=False)

    while_off = _emit(tenant, seller, django_capture_on_commit_callbacks)

    assert while_off == []
    assert deliveries_of(tenant, endpoint) == []
    assert partner_server.calls == []
    assert logged_calls(tenant, seller) == []
    with schema_context(tenant.schema_name):
        assert [e.name for e in registry.event_types()] == CORE_EVENTS

    set_module_enabled(tenant=tenant, key="beta", is_enabled=True)
    share_secret(tenant, seller, partner_server)
    back_on = _emit(tenant, seller, django_capture_on_commit_callbacks)

    assert len(back_on) == 1
    assert [call.is_signature_valid for call in partner_server.calls] == [True]


# --- timers ----------------------------------------------------------------------------------


def test_the_sweeper_sends_deliveries_whose_task_was_lost(
    beta_market, loopback_allowed, partner_server
):
    tenant, seller = beta_market
    endpoint = add_endpoint(tenant, seller, partner_server, "/hooks", ["beta.pinged"])
    share_secret(tenant, seller, partner_server)
    with schema_context(tenant.schema_name):
        lost = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id="evt_lost",
            event_type="beta.pinged",
            payload={"service_id": 1},
            next_attempt_at=timezone.now() - timedelta(minutes=5),
        )
        WebhookDelivery.objects.create(  # its task is still due to run: left alone
            endpoint=endpoint,
            event_id="evt_queued",
            event_type="beta.pinged",
            payload={"service_id": 2},
            next_attempt_at=timezone.now(),
        )

        requeued = retry_overdue_deliveries()

    assert requeued == 1
    assert [call.json["id"] for call in partner_server.calls_to("/hooks")] == ["evt_lost"]
    statuses = [(d.pk, d.event_id, d.status) for d in deliveries_of(tenant, endpoint)]
    assert statuses[0] == (lost.pk, "evt_lost", "succeeded")
    assert statuses[1][1:] == ("evt_queued", "pending")


def test_the_integration_log_is_pruned_after_its_retention(beta_market, settings):
    settings.SOUK_INTEGRATION_LOG_DAYS = 30
    tenant, seller = beta_market
    with schema_context(tenant.schema_name):
        old = IntegrationCall.objects.create(seller=seller, kind=CallKind.API, url="GET /old")
        IntegrationCall.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - timedelta(days=31)
        )
        recent = IntegrationCall.objects.create(seller=seller, kind=CallKind.API, url="GET /new")

        deleted = prune_integration_log()

        assert list(IntegrationCall.objects.values_list("pk", flat=True)) == [recent.pk]
    assert deleted == 1
