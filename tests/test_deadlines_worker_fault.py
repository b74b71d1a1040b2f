"""A real Celery worker is killed with SIGKILL inside a deadline's handler; once the claim's
lease is over the next sweep (the broker's redelivery of the killed one, and the next beat
tick) fires it, and its effect happens exactly once. Runs real workers on the test Redis like
tests/test_worker_faults.py, whose worker pool and fixtures it shares."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import schema_context

from core.deadlines import conf
from core.deadlines.models import Deadline, DeadlineStatus
from core.deadlines.services import schedule_deadline
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests import test_worker_faults
from tests.fleet_helpers import TEST_POOL_SIZE
from tests.test_worker_faults import Workers, producer, wait_for
from tests.testmodules.alpha.models import AlphaItem

SLUG = "deadline-fault"
SCHEMA = "t_deadline_fault"
SWEEP = "core.deadlines.tasks.sweep_deadlines"

# The fault tests' fixtures: a broker database of their own and a pool of worker processes.
broker_url = test_worker_faults.broker_url
workers = test_worker_faults.workers


def _drop_tenant() -> None:
    Domain.objects.filter(tenant__slug=SLUG).delete()
    Tenant.objects.filter(slug=SLUG).delete()
    drop_schema(SCHEMA)


@pytest.fixture
def committed_tenant(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    """Worker processes see only committed data: this tenant is committed and removed."""
    with django_db_blocker.unblock():
        _drop_tenant()
        tenant = provision_tenant(
            slug=SLUG, name="Deadline Fault", owner_email="o@fault.example", owner_password=None
        ).tenant
        use_public_schema()
    yield tenant
    with django_db_blocker.unblock():
        _drop_tenant()
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


def runs(key: str) -> int:
    with schema_context(SCHEMA):
        return AlphaItem.objects.filter(name=key).count()


def deadline(key: str) -> Deadline:
    with schema_context(SCHEMA):
        return Deadline.objects.get(key=key)


def test_a_worker_killed_inside_a_deadline_handler_fires_it_once_after_the_lease(
    committed_tenant, workers: Workers, broker_url, django_db_blocker
):
    key = f"order:{uuid.uuid4().hex[:8]}:auto-accept"
    marker = redis.Redis.from_url(broker_url)
    with django_db_blocker.unblock():
        with schema_context(SCHEMA):
            schedule_deadline(
                key=key, at=timezone.now() - timedelta(minutes=1), task="alpha.count", payload={}
            )
        first = workers.start(slow_seconds=60)
        producer(broker_url).send_task(SWEEP, queue=workers.queue, headers={"_schema_name": SCHEMA})
        wait_for(
            lambda: marker.get(f"souk-fault:deadline:{key}"),
            timeout=60,
            what="the first worker to enter the handler",
        )
        workers.kill(first)  # mid-handler: its write and the fire are never committed

        claimed = deadline(key)
        assert (claimed.status, claimed.attempts) == (DeadlineStatus.RUNNING, 1)
        assert runs(key) == 0

        # The lease passes (moved back rather than waited for).
        with schema_context(SCHEMA):
            Deadline.objects.filter(key=key).update(claimed_at=F("claimed_at") - conf.lease())
        workers.start(slow_seconds=0)  # gets the killed sweep again (acks_late)
        producer(broker_url).send_task(  # and the beat's next tick
            SWEEP, queue=workers.queue, headers={"_schema_name": SCHEMA}
        )

        wait_for(lambda: runs(key) == 1, timeout=60, what="the deadline to fire again")
        time.sleep(4)  # let any duplicate run arrive; there must be none
        assert runs(key) == 1
        fired = deadline(key)
        assert (fired.status, fired.attempts) == (DeadlineStatus.FIRED, 2)
