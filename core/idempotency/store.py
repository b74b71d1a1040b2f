"""``Idempotency-Key`` on money-moving POSTs: the first answer is stored under (user, scope,
key) with a fingerprint of the request body; a replay gets that answer back (marked with
``Idempotent-Replayed: true``), the same key with a different body is refused. The operations
themselves are idempotent by key in the database too (an order per key, a refund per key, a
payout per run), so even two concurrent first attempts move money once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse

from core.envelope import http_status
from core.errors import DomainError, ErrorKind
from core.idempotency.errors import IdempotencyError, IdempotencyErrorCode
from core.idempotency.models import IdempotentRequest

HEADER = "Idempotency-Key"


def idempotency_key(request: HttpRequest) -> str:
    key = request.headers.get(HEADER, "").strip()
    if not key or len(key) > 100 or not key.isprintable():
        raise IdempotencyError(
            IdempotencyErrorCode.IDEMPOTENCY_KEY_REQUIRED,
            f"Send an {HEADER} header (1-100 characters, e.g. a UUID) so a retry cannot pay twice.",
            details={"field": HEADER},
            kind=ErrorKind.BAD_REQUEST,
        )
    return key


def _fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _envelope(request: HttpRequest, error: DomainError) -> dict[str, Any]:
    return {
        "error": {"code": str(error.code), "message": error.message, "details": error.details},
        "request_id": getattr(request, "request_id", ""),
    }


def run_idempotent(
    request: HttpRequest,
    *,
    user_id: int,
    scope: str,
    body: Any,
    operation: Callable[[str], tuple[int, dict[str, Any]]],
    store_errors: tuple[ErrorKind, ...] = (ErrorKind.PAYMENT_FAILED,),
) -> JsonResponse:
    """Run ``operation(key)`` once per key; errors of a kind in ``store_errors`` (a declined
    card) are answers too and are replayed, others (bad input) may be retried."""
    key = idempotency_key(request)
    fingerprint = _fingerprint(body)
    stored = IdempotentRequest.objects.filter(user_id=user_id, scope=scope, key=key).first()
    if stored is not None and stored.status_code is not None:
        if stored.fingerprint != fingerprint:
            raise IdempotencyError(
                IdempotencyErrorCode.IDEMPOTENCY_KEY_REUSED,
                f"This {HEADER} was used for a different request.",
                details={"field": HEADER},
                kind=ErrorKind.INVALID,
            )
        response = JsonResponse(stored.response, status=stored.status_code, safe=False)
        response["Idempotent-Replayed"] = "true"
        return response
    try:
        status, payload = operation(key)
    except DomainError as error:
        if error.kind not in store_errors:
            raise
        status, payload = http_status(error), _envelope(request, error)
    _store(user_id, scope, key, fingerprint, status, payload)
    return JsonResponse(payload, status=status, safe=False)


def _store(user_id: int, scope: str, key: str, fingerprint: str, status: int, payload: Any) -> None:
    """Insert-once: of two concurrent first attempts, the first stored answer is kept."""
    table = IdempotentRequest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, scope, key, fingerprint, status_code, response, "
            "created_at) VALUES (%s, %s, %s, %s, %s, %s, now()) "
            "ON CONFLICT (user_id, scope, key) DO NOTHING",
            [user_id, scope, key, fingerprint, status, json.dumps(payload, default=str)],
        )
