"""Domain events through the outbox: ``emit()`` writes a row in the caller's transaction; after
commit a task delivers pending rows to the consumers registered for their type. A worker that
dies mid-delivery leaves the row pending, so it is delivered again: consumers are idempotent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.outbox.models import OutboxEvent

logger = logging.getLogger(__name__)

Consumer = Callable[[dict[str, Any]], None]
_consumers: dict[str, list[Consumer]] = defaultdict(list)
BATCH = 100
MAX_ATTEMPTS = 10


def consumer(event_type: str) -> Callable[[Consumer], Consumer]:
    """Register an idempotent handler for ``event_type`` (at import of the app's consumers)."""

    def register(handler: Consumer) -> Consumer:
        if handler not in _consumers[event_type]:
            _consumers[event_type].append(handler)
        return handler

    return register


def emit(event_type: str, payload: dict[str, Any]) -> OutboxEvent:
    event = OutboxEvent.objects.create(event_type=event_type, payload=payload)
    transaction.on_commit(_schedule_dispatch)
    return event


def _schedule_dispatch() -> None:
    from core.tasks import dispatch_outbox

    dispatch_outbox.delay()


def dispatch_pending(*, limit: int = BATCH) -> int:
    """Deliver up to ``limit`` pending events of the current schema; returns how many were
    delivered. Rows are locked (SKIP LOCKED) so concurrent dispatchers share the work."""
    delivered = 0
    with transaction.atomic():
        pending = list(
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
            .order_by("id")[:limit]
        )
        for event in pending:
            try:
                with transaction.atomic():
                    for handler in _consumers.get(event.event_type, []):
                        handler(event.payload)
            except Exception as exc:  # recorded, retried by the next dispatch
                logger.exception("outbox consumer failed for %s", event)
                event.attempts += 1
                event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                event.save(update_fields=["attempts", "last_error"])
                continue
            event.dispatched_at = timezone.now()
            event.attempts += 1
            event.save(update_fields=["dispatched_at", "attempts"])
            delivered += 1
    return delivered


def record_backlog() -> None:
    """The outbox gauges for this schema (one aggregate query)."""
    from django.db.models import Count, Min

    from core.metrics import OUTBOX_LAG, OUTBOX_PENDING
    from core.schema import current_schema_name

    backlog = OutboxEvent.objects.filter(dispatched_at__isnull=True).aggregate(
        pending=Count("id"), oldest=Min("created_at")
    )
    schema = current_schema_name()
    OUTBOX_PENDING.labels(schema).set(backlog["pending"])
    oldest = backlog["oldest"]
    OUTBOX_LAG.labels(schema).set((timezone.now() - oldest).total_seconds() if oldest else 0)
