"""Outbound webhooks: ``emit_webhook`` turns an event into one ``WebhookDelivery`` per active
endpoint of the seller subscribed to it - never another seller's, and nothing for an event of
a module that is off here - and the ``deliver_webhook`` task sends each one with
``call_seller`` (signed, SSRF-guarded, logged), retried with exponential backoff.

Deliveries are rows written in the caller's transaction (an outbox consumer's, typically) and
queued after commit; a delivery whose task was lost is queued again by the sweeper. Attempts
are claimed in a short transaction (the row's ``attempts`` must be what the task expects), so
a duplicated task sends nothing twice and no lock is held during a call."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core.integrations import registry
from core.integrations.models import CallKind, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from core.integrations.selectors import sellers_subscribed_to
from core.integrations.services.calls import (
    CLAIM_SECONDS,
    AttemptOutcome,
    backoff_seconds,
    call_seller,
)
from core.sellers.models import Seller

logger = logging.getLogger(__name__)

# What each concerned seller is told of an event: seller id -> data (absent: told nothing).
Audience = Callable[[dict[str, Any]], Mapping[int, Mapping[str, Any]]]


def webhook_max_attempts() -> int:
    return int(getattr(settings, "SOUK_WEBHOOK_MAX_ATTEMPTS", 6))


def event_id_of(event_type: str, payload: Mapping[str, Any]) -> str:
    """A stable id for an event: the same event emitted again (an outbox consumer is retried)
    gets the same id, so no endpoint hears of it twice."""
    canonical = json.dumps(
        [event_type, payload], sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder
    )
    return "evt_" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def emit_webhook(
    *,
    seller: Seller | int,
    event: str,
    payload: Mapping[str, Any],
    event_id: str | None = None,
) -> list[int]:
    """Deliver ``event`` with ``payload`` (its ``data``) to the seller's (a ``Seller`` or its
    id) active endpoints subscribed to it, after the caller's transaction commits; returns
    the new deliveries' ids. ``event`` must be a registered event type (``UnknownEventType``
    otherwise); nothing is sent while its module is off on this marketplace.

    Idempotent by ``event_id`` per endpoint: an id already delivered to an endpoint adds
    nothing. By default the id is derived from the seller, the event and the payload, so a
    consumer that runs twice sends once; pass an id when one event reaches several sellers
    and they should share it, or when two equal payloads are two events."""
    if not registry.is_event_type_on(event):
        return []
    seller_id = seller if isinstance(seller, int) else seller.pk
    endpoint_ids = list(
        WebhookEndpoint.objects.filter(
            seller_id=seller_id, is_active=True, events__contains=[event]
        ).values_list("pk", flat=True)
    )
    if not endpoint_ids:  # the common case: one query and nothing else
        return []
    data = json.loads(json.dumps(dict(payload), cls=DjangoJSONEncoder))
    event_id = event_id or event_id_of(event, {"seller_id": seller_id, "data": data})
    created: list[int] = []
    for endpoint_id in endpoint_ids:
        delivery, is_new = WebhookDelivery.objects.get_or_create(
            endpoint_id=endpoint_id,
            event_id=event_id,
            defaults={"event_type": event, "payload": data, "next_attempt_at": timezone.now()},
        )
        if is_new:
            created.append(delivery.pk)
    if created:
        transaction.on_commit(lambda: _queue_deliveries(created))
    return created


def emit_webhook_to_audience(
    *, event: str, payload: dict[str, Any], audience: Audience
) -> list[int]:
    """``emit_webhook`` for an outbox event that concerns several sellers: ``audience``
    works out what each one hears - only when some seller listens to ``event`` - and every
    delivery shares the id derived from ``payload``, so the outbox delivering the event again
    adds nothing."""
    if not registry.is_event_type_on(event):
        return []
    listeners = sellers_subscribed_to(event)
    if not listeners:
        return []
    event_id = event_id_of(event, payload)
    created: list[int] = []
    for seller_id, data in audience(payload).items():
        if seller_id in listeners:
            created += emit_webhook(seller=seller_id, event=event, payload=data, event_id=event_id)
    return created


def webhook_publisher(event: str, audience: Audience) -> Callable[[dict[str, Any]], None]:
    """An outbox consumer that sends ``event`` to its audience: register it with
    ``core.events.consumer(event)(webhook_publisher(event, audience))``."""

    def publish(payload: dict[str, Any]) -> None:
        emit_webhook_to_audience(event=event, payload=payload, audience=audience)

    publish.__name__ = publish.__qualname__ = f"publish_{event.replace('.', '_')}"
    return publish


def _queue_deliveries(delivery_ids: list[int]) -> None:
    from core.integrations.tasks import deliver_webhook  # the tasks import this module

    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id, 1)


def replay_delivery(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (same event id, fresh signature) with a fresh set of retries."""
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        locked.status = DeliveryStatus.PENDING
        locked.attempts = 0
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["status", "attempts", "next_attempt_at"])
        transaction.on_commit(lambda: _queue_deliveries([locked.pk]))
    return locked


# --- delivering ------------------------------------------------------------------------------


def _claim(delivery_id: int, attempt: int) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, attempts=attempt - 1)
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts = attempt
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=CLAIM_SECONDS)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        return delivery


def webhook_body(delivery: WebhookDelivery) -> dict[str, Any]:
    """What the endpoint receives: ``{"id", "type", "created_at", "data"}``."""
    return {
        "id": delivery.event_id,
        "type": delivery.event_type,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }


def attempt_delivery(*, delivery_id: int, attempt: int) -> AttemptOutcome:
    """Attempt number ``attempt`` of a delivery (nothing when another worker has it, or it was
    delivered, or the endpoint was switched off)."""
    delivery = _claim(delivery_id, attempt)
    if delivery is None:
        return AttemptOutcome("skipped")
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None
        )
        return AttemptOutcome(DeliveryStatus.FAILED)
    result = call_seller(
        seller_id=endpoint.seller_id,
        kind=CallKind.WEBHOOK,
        url=endpoint.url,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        body=webhook_body(delivery),
        delivery_id=delivery.pk,
    )
    if result.is_success:
        status, retry_in, next_at = DeliveryStatus.SUCCEEDED, None, None
    elif attempt < webhook_max_attempts():
        retry_in = backoff_seconds(attempt)
        status, next_at = DeliveryStatus.PENDING, timezone.now() + timedelta(seconds=retry_in)
    else:
        status, retry_in, next_at = DeliveryStatus.FAILED, None, None
        logger.warning("webhook delivery %s failed %s times: %s", delivery.pk, attempt, result)
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempt).update(
        status=status, next_attempt_at=next_at
    )
    return AttemptOutcome(status, retry_in)


def overdue_deliveries(*, grace_seconds: int = 60) -> list[tuple[int, int]]:
    """(delivery id, next attempt) of pending deliveries whose queued attempt was lost (a
    worker died, the broker forgot): the sweeper queues them again."""
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    rows = WebhookDelivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=cutoff
    ).values_list("pk", "attempts")[:500]
    return [(pk, attempts + 1) for pk, attempts in rows]
