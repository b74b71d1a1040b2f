"""Fault tests with real Celery workers on the test Redis: a worker is killed with SIGKILL in
the middle of an outbox delivery and of a fulfilment task; another worker finishes the work
and each effect happens exactly once.

Why it holds: tasks are acks_late with task_reject_on_worker_lost, so the broker hands an
unacknowledged task to the next worker (after the visibility timeout, 3 s here); the effect
and the "delivered" mark commit in one transaction, which the killed worker never commits;
and consumers and hooks are idempotent, so a second run cannot double anything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from django_tenants.utils import schema_context

from core.commerce.models import LineStatus, OrderLine
from core.commerce.services import capture
from core.commerce.services import cart as carts
from core.commerce.services.checkout import CheckoutInput, pay_order, place_order
from core.outbox.models import OutboxEvent
from core.payments.models import EntryKind, JournalEntry
from core.payments.providers.sandbox import SUCCESS_CARD
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.commerce_helpers import make_shop
from tests.fleet_helpers import TEST_POOL_SIZE, subprocess_database_url
from tests.testmodules.alpha.models import FulfilmentRecord

ROOT = Path(__file__).resolve().parent.parent
SLUG = "fault-shop"
SCHEMA = "t_fault_shop"


def _drop_tenant() -> None:
    Domain.objects.filter(tenant__slug=SLUG).delete()
    Tenant.objects.filter(slug=SLUG).delete()
    drop_schema(SCHEMA)


@pytest.fixture(scope="module")
def broker_url(redis_url: str) -> str:
    """A Redis database of its own for the workers' broker."""
    return redis_url.rsplit("/", 1)[0] + "/12"


@pytest.fixture(scope="module")
def committed_tenant(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    """Worker processes see only committed data: this tenant is committed and removed."""
    with django_db_blocker.unblock():
        _drop_tenant()
        tenant = provision_tenant(
            slug=SLUG, name="Fault Shop", owner_email="owner@fault.example", owner_password=None
        ).tenant
        use_public_schema()
    yield tenant
    with django_db_blocker.unblock():
        _drop_tenant()
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


class Workers:
    def __init__(self, broker: str, queue: str) -> None:
        self.broker, self.queue = broker, queue
        self.processes: list[subprocess.Popen[bytes]] = []
        self.log = open(f"/tmp/souk-fault-worker-{queue}.log", "wb")  # noqa: SIM115

    def start(self, *, slow_seconds: float) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "core.settings.test",
            "DATABASE_URL": subprocess_database_url(),
            "REDIS_URL": self.broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "CELERY_VISIBILITY_TIMEOUT": "3",
            # Look for unacknowledged tasks every second (kombu scans every 100 s by default,
            # which would outlast the test's patience, not the guarantee).
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "CELERY_UNACKED_RESTORE_THROTTLE": "1",
            "SOUK_TEST_SLOW_SECONDS": str(slow_seconds),
            "LOG_LEVEL": "WARNING",
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "core",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
                "-Q",
                self.queue,
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def workers(broker_url: str) -> Iterator[Workers]:
    pool = Workers(broker_url, queue=f"fault-{uuid.uuid4().hex[:8]}")
    yield pool
    pool.stop_all()
    redis.Redis.from_url(broker_url).delete(pool.queue)


def producer(broker: str) -> Celery:
    # Not the current app: shared tasks queued by later tests in this process must keep
    # going to Souk's app (eager in tests), not to this producer's broker with no worker.
    return Celery("fault-producer", broker=broker, set_as_current=False)


def wait_for(predicate: Any, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def effect_count(action: str, key: str) -> int:
    with schema_context(SCHEMA):
        return FulfilmentRecord.objects.filter(action=action, line_id=key).count()


def test_outbox_delivery_killed_midway_happens_exactly_once(
    committed_tenant, workers, broker_url, django_db_blocker
):
    key = uuid.uuid4().hex[:12]
    marker = redis.Redis.from_url(broker_url)
    with django_db_blocker.unblock():
        with schema_context(SCHEMA):
            # The row emit() writes, committed; its after-commit dispatch would run eagerly in
            # this test process, so the workers are sent the dispatch instead.
            event = OutboxEvent.objects.create(event_type="alpha.effect", payload={"key": key})
        first = workers.start(slow_seconds=60)
        producer(broker_url).send_task(
            "core.tasks.dispatch_outbox", queue=workers.queue, headers={"_schema_name": SCHEMA}
        )
        wait_for(
            lambda: marker.get(f"souk-fault:effect:{key}"),
            timeout=60,
            what="the first worker to start delivering",
        )
        workers.kill(first)  # mid-delivery: the effect is written but not committed
        assert effect_count("effect", key) == 0

        workers.start(slow_seconds=0)

        def delivered() -> bool:
            with schema_context(SCHEMA):
                return OutboxEvent.objects.get(pk=event.pk).dispatched_at is not None

        wait_for(delivered, timeout=60, what="the second worker to deliver the event")
        time.sleep(4)  # let any duplicate delivery arrive; there must be none
        assert effect_count("effect", key) == 1
        with schema_context(SCHEMA):
            assert OutboxEvent.objects.get(pk=event.pk).attempts == 1


def test_fulfilment_task_killed_midway_completes_once(
    committed_tenant, workers, broker_url, django_db_blocker, monkeypatch
):
    """A paid order's line handed to a worker that dies inside the module's hook: the next
    worker runs the hook and books the line's earnings, each exactly once."""
    # The test process must not fulfil the line itself after commit: the workers do.
    monkeypatch.setattr(capture, "_queue_fulfilment", lambda line_ids: None)
    marker = redis.Redis.from_url(broker_url)
    with django_db_blocker.unblock():
        shop = make_shop(committed_tenant, buyer_email=f"{uuid.uuid4().hex[:8]}@example.com")
        with schema_context(SCHEMA):
            cart = carts.get_or_create_cart(buyer=shop.buyer, token=None)
            carts.add_product(cart=cart, product_id=shop.editor.pk)
            order = place_order(
                buyer=shop.buyer,
                cart=cart,
                details=CheckoutInput(country="DE"),
                idempotency_key="f",
            )
            pay_order(order=order, payment_method=SUCCESS_CARD)
            line_id = OrderLine.objects.get(order=order).pk
        marker.delete(f"souk-fault:fulfil:{line_id}")
        first = workers.start(slow_seconds=60)
        producer(broker_url).send_task(
            "core.commerce.tasks.fulfil_order_line",
            args=[line_id],
            queue=workers.queue,
            headers={"_schema_name": SCHEMA},
        )
        wait_for(
            lambda: marker.get(f"souk-fault:fulfil:{line_id}"),
            timeout=60,
            what="the first worker to start the hook",
        )
        workers.kill(first)
        assert effect_count("fulfil", str(line_id)) == 0

        workers.start(slow_seconds=0)  # the broker hands it the unacknowledged task
        wait_for(
            lambda: effect_count("fulfil", str(line_id)) == 1,
            timeout=60,
            what="the redelivered task to complete",
        )
        time.sleep(4)
        assert effect_count("fulfil", str(line_id)) == 1
        with schema_context(SCHEMA):
            assert OrderLine.objects.get(pk=line_id).status == LineStatus.COMPLETED
            assert (
                JournalEntry.objects.filter(
                    kind=EntryKind.EARN, reference=f"line:{line_id}"
                ).count()
                == 1
            )
