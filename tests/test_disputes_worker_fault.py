"""A real Celery worker is killed with SIGKILL in the middle of the sweep that had claimed a
dispute's "respond by" deadline (another deadline of the same batch, fired first, is slow and
the worker dies inside it): nothing of the default outcome is committed; once the claims'
lease is over the next sweep fires it, and the buyer is refunded exactly once. Runs real
workers on the test Redis like tests/test_deadlines_worker_fault.py, whose worker pool and
fixtures it shares."""

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

from core.accounts.models import User
from core.commerce.models import LineStatus, OrderLine, Refund
from core.commerce.services import cart as carts
from core.commerce.services.checkout import CheckoutInput, pay_order, place_order
from core.commerce.services.fulfilment import fulfil_line
from core.deadlines import conf
from core.deadlines.models import Deadline, DeadlineStatus
from core.deadlines.services import schedule_deadline
from core.disputes import services
from core.disputes.models import Dispute, DisputeStatus
from core.payments.models import EntryKind, JournalEntry
from core.payments.providers.sandbox import SUCCESS_CARD
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests import test_worker_faults
from tests.accounts_helpers import make_user
from tests.catalog_helpers import make_product, make_seller
from tests.fleet_helpers import TEST_POOL_SIZE
from tests.test_worker_faults import Workers, producer, wait_for

SLUG = "dispute-fault"
SCHEMA = "t_dispute_fault"
SWEEP = "core.deadlines.tasks.sweep_deadlines"

broker_url = test_worker_faults.broker_url
workers = test_worker_faults.workers


def _drop_tenant() -> None:
    Domain.objects.filter(tenant__slug=SLUG).delete()
    Tenant.objects.filter(slug=SLUG).delete()
    drop_schema(SCHEMA)


@pytest.fixture
def committed_tenant(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        _drop_tenant()
        tenant = provision_tenant(
            slug=SLUG,
            name="Dispute Fault",
            owner_email="o@dispute-fault.example",
            owner_password=None,
            modules=["alpha", "beta"],
        ).tenant
        use_public_schema()
    yield tenant
    with django_db_blocker.unblock():
        _drop_tenant()
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


def _disputed_line(tenant: Tenant) -> Dispute:
    consultant = make_seller(tenant, "sage", "Sage Advice", product_types=("software", "service"))
    audit = make_product(tenant, consultant, "Security Audit", price=10_000, product_type="service")
    buyer: User = make_user(tenant, "buyer@dispute-fault.example")
    with schema_context(tenant.schema_name):
        cart = carts.get_or_create_cart(buyer=buyer, token=None)
        carts.add_product(cart=cart, product_id=audit.pk, quantity=1)
        order = place_order(
            buyer=buyer,
            cart=cart,
            details=CheckoutInput(country="DE"),
            idempotency_key=uuid.uuid4().hex,
        )
        pay_order(order=order, payment_method=SUCCESS_CARD)
        line = OrderLine.objects.get(order=order)
        if line.status == LineStatus.FULFILLING:
            fulfil_line(line_id=line.pk)
        return services.open_dispute(
            user=buyer, order_line_id=line.pk, kind="delivery", reason="Nothing arrived"
        )


def test_a_worker_killed_in_the_sweep_that_claimed_a_default_outcome_refunds_once(
    committed_tenant, workers: Workers, broker_url, django_db_blocker
):
    marker = redis.Redis.from_url(broker_url)
    slow_key = f"slow:{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        dispute = _disputed_line(committed_tenant)
        respond_key = services.respond_key(dispute.pk)
        now = timezone.now()
        with schema_context(SCHEMA):
            # The seller's time is up; a slow deadline of the same sweep comes first.
            schedule_deadline(
                key=respond_key,
                at=now - timedelta(minutes=1),
                task=services.RESPOND_TASK,
                payload={"dispute_id": dispute.pk},
            )
            schedule_deadline(
                key=slow_key, at=now - timedelta(minutes=2), task="alpha.count", payload={}
            )
        first = workers.start(slow_seconds=60)
        producer(broker_url).send_task(SWEEP, queue=workers.queue, headers={"_schema_name": SCHEMA})
        wait_for(
            lambda: marker.get(f"souk-fault:deadline:{slow_key}"),
            timeout=60,
            what="the first worker to enter the slow handler",
        )
        workers.kill(first)

        with schema_context(SCHEMA):
            claimed = Deadline.objects.get(key=respond_key)
            assert (claimed.status, claimed.attempts) == (DeadlineStatus.RUNNING, 1)
            assert Dispute.objects.get(pk=dispute.pk).status == DisputeStatus.PENDING
            assert Refund.objects.count() == 0
            # The lease passes (moved back rather than waited for).
            Deadline.objects.filter(key__in=[respond_key, slow_key]).update(
                claimed_at=F("claimed_at") - conf.lease()
            )
        workers.start(slow_seconds=0)
        producer(broker_url).send_task(SWEEP, queue=workers.queue, headers={"_schema_name": SCHEMA})

        def resolved() -> bool:
            with schema_context(SCHEMA):
                return Dispute.objects.get(pk=dispute.pk).status == DisputeStatus.RESOLVED

        wait_for(resolved, timeout=60, what="the default outcome")
        time.sleep(4)  # let any duplicate run arrive; there must be none
        with schema_context(SCHEMA):
            fired = Deadline.objects.get(key=respond_key)
            assert (fired.status, fired.attempts) == (DeadlineStatus.FIRED, 2)
            decided = Dispute.objects.get(pk=dispute.pk)
            assert decided.is_default_outcome and decided.decided_by_id is None
            assert decided.refund_to_buyer == decided.frozen_amount == 9000
            assert Refund.objects.count() == 1
            assert Refund.objects.get().amount == 10_000  # the full line
            assert JournalEntry.objects.filter(kind=EntryKind.DISPUTE_RESOLUTION).count() == 1
        use_public_schema()
