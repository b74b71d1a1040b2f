"""The alpha module's fulfilment hooks and an outbox consumer, idempotent per order line /
event as the contract requires. ``SOUK_TEST_SLOW_SECONDS`` (read by the fault tests' worker
processes) makes them pause after doing their work, inside the transaction, after leaving a
marker in Redis so the test knows when to kill the worker."""

from __future__ import annotations

import os
import time
from typing import Any

from core.events import consumer
from core.registry.manifest import OrderLineLike
from tests.testmodules.alpha.models import FulfilmentRecord


def _pause_for_fault_tests(marker: str) -> None:
    seconds = float(os.environ.get("SOUK_TEST_SLOW_SECONDS", "0"))
    if seconds <= 0:
        return
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).set(f"souk-fault:{marker}", "started", ex=300)
    time.sleep(seconds)


def fulfil(order_line: OrderLineLike) -> None:
    FulfilmentRecord.objects.get_or_create(line_id=str(order_line.pk), action="fulfil")
    _pause_for_fault_tests(f"fulfil:{order_line.pk}")


def revoke(order_line: OrderLineLike) -> None:
    FulfilmentRecord.objects.get_or_create(line_id=str(order_line.pk), action="revoke")


@consumer("alpha.effect")
def record_effect(payload: dict[str, Any]) -> None:
    FulfilmentRecord.objects.get_or_create(line_id=str(payload["key"]), action="effect")
    _pause_for_fault_tests(f"effect:{payload['key']}")
