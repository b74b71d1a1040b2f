"""Sellers' webhooks and every signed call Souk makes to a seller's systems.

A seller has one signing secret (``SellerIntegration``, encrypted at rest) and up to
``MAX_ENDPOINTS`` endpoints, each subscribed to some of ``WEBHOOK_EVENTS``. The outbox
consumers (``consumers_integration``) hand each event to ``publish``, which makes one
``WebhookDelivery`` per subscribed endpoint of the seller the event concerns - never another
seller's - and the ``deliver_webhook`` task sends it: signed (``signing.py``), through the SSRF
guard (``ssrf.py``), logged as an ``IntegrationCall``, retried with exponential backoff.

Attempts are claimed in a short transaction (the row's ``attempts`` must be what the task
expects), so a duplicated task sends nothing twice and no lock is held during a call."""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core import crypto
from core.registry.enablement import enabled_module_keys
from core.sellers.models import Seller
from modules.licensing import signing, ssrf
from modules.licensing.errors import LicensingError, LicensingErrorCode
from modules.licensing.models import (
    CallKind,
    DeliveryStatus,
    IntegrationCall,
    SellerIntegration,
    WebhookDelivery,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)

MODULE_KEY = "licensing"
WEBHOOK_EVENTS = (
    "order.paid",
    "license.issued",
    "license.suspended",
    "license.revoked",
    "license.expired",
    "subscription.renewed",
    "subscription.cancelled",
    "refund.created",
)
MAX_ENDPOINTS = 10
SECRET_PREFIX = "whsec_"
STORED_BODY_CHARS = 8000
# How long a claimed attempt may take before the sweeper may try again (> the call timeout).
CLAIM_SECONDS = 120
USER_AGENT = "Souk-Integrations/1"


# --- retries ---------------------------------------------------------------------------------


def retry_base_seconds() -> int:
    return int(getattr(settings, "SOUK_INTEGRATION_RETRY_BASE_SECONDS", 30))


def webhook_max_attempts() -> int:
    return int(getattr(settings, "SOUK_WEBHOOK_MAX_ATTEMPTS", 6))


def backoff_seconds(attempt: int) -> int:
    """Wait after failed attempt ``attempt`` (1-based): base x 4^(attempt-1), at most six
    hours, with up to 10 % jitter so endpoints that failed together do not retry together."""
    delay = min(retry_base_seconds() * 4 ** (attempt - 1), 6 * 3600)
    return delay + random.randint(0, delay // 10) if delay else 0


@dataclass(frozen=True)
class AttemptOutcome:
    """What a delivery or provisioning attempt came to; ``retry_in`` (seconds) when another
    attempt should be queued."""

    status: str
    retry_in: int | None = None


# --- the signing secret ----------------------------------------------------------------------


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signing_secret(*, seller_id: int) -> str:
    """The seller's secret, made on first use."""
    integration = SellerIntegration.objects.filter(seller_id=seller_id).first()
    if integration is None:
        integration, _ = SellerIntegration.objects.get_or_create(
            seller_id=seller_id,
            defaults={"signing_secret_encrypted": crypto.encrypt(_new_secret())},
        )
    return crypto.decrypt(integration.signing_secret_encrypted)


@transaction.atomic
def rotate_signing_secret(*, seller: Seller) -> str:
    """A new secret, used from the next call on; the old one stops verifying at once."""
    secret = _new_secret()
    integration, created = SellerIntegration.objects.select_for_update().get_or_create(
        seller=seller, defaults={"signing_secret_encrypted": crypto.encrypt(secret)}
    )
    if not created:
        integration.signing_secret_encrypted = crypto.encrypt(secret)
        integration.rotated_at = timezone.now()
        integration.save(update_fields=["signing_secret_encrypted", "rotated_at"])
    return secret


# --- endpoints -------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> LicensingError:
    return LicensingError(
        LicensingErrorCode.INVALID_WEBHOOK, message, details={"field": field}, status=422
    )


def _clean_events(events: list[str]) -> list[str]:
    chosen = list(dict.fromkeys(event.strip() for event in events))
    unknown = [event for event in chosen if event not in WEBHOOK_EVENTS]
    if unknown:
        raise _invalid(
            "events", f"Unknown event {unknown[0][:60]!r}; choose from {', '.join(WEBHOOK_EVENTS)}."
        )
    if not chosen:
        raise _invalid("events", "Choose at least one event.")
    return chosen


def create_endpoint(
    *, seller: Seller, url: str, events: list[str], is_active: bool = True
) -> WebhookEndpoint:
    cleaned_events = _clean_events(events)
    url = url.strip()
    ssrf.check_url(url)
    with transaction.atomic():
        Seller.objects.select_for_update().filter(pk=seller.pk).first()
        if WebhookEndpoint.objects.filter(seller=seller).count() >= MAX_ENDPOINTS:
            raise _invalid("url", f"A seller has at most {MAX_ENDPOINTS} webhook endpoints.")
        endpoint = WebhookEndpoint.objects.create(
            seller=seller, url=url, events=cleaned_events, is_active=is_active
        )
    signing_secret(seller_id=seller.pk)  # the secret exists before the first delivery
    return endpoint


def update_endpoint(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: list[str] | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    fields = []
    if url is not None:
        endpoint.url = url.strip()
        ssrf.check_url(endpoint.url)
        fields.append("url")
    if events is not None:
        endpoint.events = _clean_events(events)
        fields.append("events")
    if is_active is not None:
        endpoint.is_active = is_active
        fields.append("is_active")
    if fields:
        endpoint.save(update_fields=fields)
    return endpoint


def delete_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """Its deliveries go with it; their calls stay in the integration log."""
    endpoint.delete()


def sellers_endpoint(*, seller: Seller, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, seller=seller).first()
    if endpoint is None:
        raise LicensingError(
            LicensingErrorCode.INVALID_WEBHOOK, "No such webhook endpoint.", status=404
        )
    return endpoint


def sellers_delivery(*, seller: Seller, delivery_id: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.filter(pk=delivery_id, endpoint__seller=seller)
        .select_related("endpoint")
        .first()
    )
    if delivery is None:
        raise LicensingError(
            LicensingErrorCode.INVALID_WEBHOOK, "No such webhook delivery.", status=404
        )
    return delivery


# --- events to deliveries --------------------------------------------------------------------


def event_id_of(event_type: str, payload: dict[str, Any]) -> str:
    """A stable id for an outbox event: the same event delivered again by the outbox (its
    consumers are retried) gets the same id, so no endpoint hears of it twice."""
    canonical = json.dumps(
        [event_type, payload], sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder
    )
    return "evt_" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


Audience = Callable[[dict[str, Any]], dict[int, dict[str, Any]]]


def publish(*, event_type: str, payload: dict[str, Any], audience: Audience) -> list[int]:
    """Deliveries of an outbox event to the endpoints of the seller(s) it concerns, queued
    after commit; returns their ids. ``audience`` says what each concerned seller is told
    (seller id -> data; a seller not in it hears nothing). Idempotent: the event's id is
    unique per endpoint."""
    if event_type not in WEBHOOK_EVENTS or MODULE_KEY not in enabled_module_keys():
        return []
    candidates = list(
        WebhookEndpoint.objects.filter(is_active=True, events__contains=[event_type]).only(
            "pk", "seller_id"
        )
    )
    if not candidates:  # the common case: one query and nothing else
        return []
    data_by_seller = audience(payload)
    event_id = event_id_of(event_type, payload)
    created: list[int] = []
    for endpoint in candidates:
        data = data_by_seller.get(endpoint.seller_id)
        if data is None:
            continue
        delivery, is_new = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            event_id=event_id,
            defaults={"event_type": event_type, "payload": data, "next_attempt_at": timezone.now()},
        )
        if is_new:
            created.append(delivery.pk)
    if created:
        transaction.on_commit(lambda: _queue_deliveries(created))
    return created


def _queue_deliveries(delivery_ids: list[int]) -> None:
    from modules.licensing.tasks_integration import deliver_webhook

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


# --- signed calls ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CallResult:
    is_success: bool
    status: int | None
    body: str
    error: str


def _stored(text: str) -> str:
    return text if len(text) <= STORED_BODY_CHARS else text[:STORED_BODY_CHARS] + "..."


def call_seller(
    *,
    seller_id: int,
    kind: CallKind,
    url: str,
    event_id: str,
    event_type: str,
    body: dict[str, Any],
    delivery_id: int | None = None,
    check: Callable[[str], str] | None = None,
    redact: Callable[[str], str] | None = None,
) -> CallResult:
    """POST ``body`` as JSON to ``url``, signed with the seller's secret, and log the call.
    Success is a 2xx answer that ``check`` (given the answer's body) finds no fault with;
    ``redact`` rewrites the answer before it is logged."""
    raw = json.dumps(body, separators=(",", ":"), cls=DjangoJSONEncoder).encode()
    timestamp = int(time.time())
    secret = signing_secret(seller_id=seller_id)
    headers = {
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature_header(secret, timestamp, raw),
        "Souk-Event-Id": event_id,
        "Souk-Event-Type": event_type,
        "User-Agent": USER_AGENT,
    }
    status: int | None = None
    text = error = ""
    started = time.monotonic()
    try:
        response = ssrf.post_json(url, body=raw, headers=headers)
    except LicensingError as exc:  # the SSRF guard refused the target at send time
        error = exc.message
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}".rstrip(": ")
    else:
        status, text = response.status, response.body
        if 300 <= status < 400:
            error = f"HTTP {status}: redirects are not followed"
        elif not 200 <= status < 300:
            error = f"HTTP {status}"
        elif check is not None:
            error = check(text)
    latency_ms = round((time.monotonic() - started) * 1000)
    IntegrationCall.objects.create(
        seller_id=seller_id,
        kind=kind,
        url=url[:500],
        request_body=_stored(raw.decode()),
        response_status=status,
        response_body=_stored(redact(text) if redact else text),
        error=error[:500],
        latency_ms=latency_ms,
        is_success=not error,
        delivery_id=delivery_id,
    )
    return CallResult(is_success=not error, status=status, body=text, error=error)


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
