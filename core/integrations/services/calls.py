"""Every call Souk makes to a seller's systems, and the integration log that records it.

``call_seller`` is the one way to call out: the body is POSTed as JSON, signed with the
seller's secret (``signing.py``), through the SSRF guard (``ssrf.py``), and the call is logged
as an ``IntegrationCall`` (request, answer, status, latency) whatever happens. Webhook
deliveries use it, and so do modules (licensing provisions accounts with it). Retries are the
caller's: ``backoff_seconds`` says how long to wait after a failed attempt, and callers claim
attempts by number so a duplicated task sends nothing twice (see ``webhooks.py``)."""

from __future__ import annotations

import http.client
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from core.integrations import registry, signing, ssrf
from core.integrations.errors import IntegrationError
from core.integrations.models import CallKind, IntegrationCall
from core.integrations.services.secrets import signing_secret

STORED_BODY_CHARS = 8000
# How long a claimed attempt may take before the sweeper may try again (> the call timeout).
CLAIM_SECONDS = 120
USER_AGENT = "Souk-Integrations/1"


# --- retries ---------------------------------------------------------------------------------


def retry_base_seconds() -> int:
    return int(getattr(settings, "SOUK_INTEGRATION_RETRY_BASE_SECONDS", 30))


def backoff_seconds(attempt: int) -> int:
    """Wait after failed attempt ``attempt`` (1-based): base x 4^(attempt-1), at most six
    hours, with up to 10 % jitter so endpoints that failed together do not retry together."""
    delay = min(retry_base_seconds() * 4 ** (attempt - 1), 6 * 3600)
    return delay + random.randint(0, delay // 10) if delay else 0


@dataclass(frozen=True)
class AttemptOutcome:
    """What a delivery (or a module's call) attempt came to; ``retry_in`` (seconds) when
    another attempt should be queued."""

    status: str
    retry_in: int | None = None


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
    kind: str,
    url: str,
    event_id: str,
    event_type: str,
    body: dict[str, Any],
    delivery_id: int | None = None,
    check: Callable[[str], str] | None = None,
    redact: Callable[[str], str] | None = None,
) -> CallResult:
    """POST ``body`` as JSON to ``url``, signed with the seller's secret, and log the call
    under ``kind`` (a ``CallKind`` or a kind a module registered). Success is a 2xx answer
    that ``check`` (given the answer's body) finds no fault with; ``redact`` rewrites the
    answer before it is logged. Never raises for the target's faults: they are the result."""
    if not registry.is_call_kind(kind):
        raise LookupError(f"call kind {kind!r} is not registered (register_call_kinds)")
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
    except IntegrationError as exc:  # the SSRF guard refused the target at send time
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
    IntegrationCall.objects.create(
        seller_id=seller_id,
        kind=kind,
        url=url[:500],
        request_body=_stored(raw.decode()),
        response_status=status,
        response_body=_stored(redact(text) if redact else text),
        error=error[:500],
        latency_ms=round((time.monotonic() - started) * 1000),
        is_success=not error,
        delivery_id=delivery_id,
    )
    return CallResult(is_success=not error, status=status, body=text, error=error)


def record_api_call(
    *, seller_id: int, method: str, path: str, status: int, latency_ms: int, error: str
) -> IntegrationCall:
    """A partner API request in the integration log (no bodies: they may hold credentials)."""
    return IntegrationCall.objects.create(
        seller_id=seller_id,
        kind=CallKind.API,
        url=f"{method} {path}"[:500],
        response_status=status,
        error=error[:500],
        latency_ms=latency_ms,
        is_success=status < 400,
    )
