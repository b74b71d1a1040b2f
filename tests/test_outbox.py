"""The outbox: events commit with the change that caused them, are delivered after commit in
the schema that wrote them, and a failing consumer is retried without losing the event."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from core import events
from core.outbox.models import OutboxEvent
from tenants.tasks import dispatch_all_outboxes

seen: list[tuple[str, dict]] = []


@pytest.fixture
def recorder():
    seen.clear()
    handler = events.consumer("test.recorded")(lambda payload: seen.append(("ok", payload)))
    yield seen
    events._consumers["test.recorded"].remove(handler)


def test_an_event_is_written_with_the_change_and_rolled_back_with_it(tenant_a):
    with schema_context(tenant_a.schema_name):
        with transaction.atomic():
            events.emit("test.recorded", {"n": 1})
        try:
            with transaction.atomic():
                events.emit("test.recorded", {"n": 2})
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
        assert list(OutboxEvent.objects.values_list("payload", flat=True)) == [{"n": 1}]


def test_delivery_after_commit_runs_in_the_writing_schema(
    tenant_a, tenant_b, recorder, django_capture_on_commit_callbacks
):
    with schema_context(tenant_a.schema_name), django_capture_on_commit_callbacks(execute=True):
        events.emit("test.recorded", {"tenant": "a"})
    assert recorder == [("ok", {"tenant": "a"})]
    with schema_context(tenant_a.schema_name):
        assert OutboxEvent.objects.get().dispatched_at is not None
    with schema_context(tenant_b.schema_name):
        assert not OutboxEvent.objects.exists()


def test_a_failing_consumer_is_retried_and_nothing_is_lost(tenant_a, recorder):
    calls = {"n": 0}

    def flaky(payload):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("search cluster down")

    events.consumer("test.flaky")(flaky)
    try:
        with schema_context(tenant_a.schema_name):
            events.emit("test.flaky", {"id": 7})
            assert events.dispatch_pending() == 0
            event = OutboxEvent.objects.get()
            assert (event.attempts, event.dispatched_at) == (1, None)
            assert "search cluster down" in event.last_error
            assert events.dispatch_pending() == 1
            assert events.dispatch_pending() == 0  # delivered once
    finally:
        events._consumers["test.flaky"].remove(flaky)
    assert calls["n"] == 2


def test_beat_dispatches_every_tenant(tenant_a, tenant_b, recorder):
    for tenant in (tenant_a, tenant_b):
        with schema_context(tenant.schema_name):
            events.emit("test.recorded", {"tenant": tenant.slug})
    dispatch_all_outboxes.delay()
    assert sorted(p["tenant"] for _, p in recorder) == ["alpha-market", "beta-bazaar"]
