"""Signatures of Souk's calls to a seller's systems (webhooks and every module's partner
calls, e.g. licensing's account provisioning).

Souk sends two headers with every call:

    Souk-Timestamp: 1764043200
    Souk-Signature: v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

The signature is HMAC-SHA256, keyed with the seller's signing secret, over the timestamp, a
dot and the raw request body (``f"{timestamp}.{body}"``), in lower-case hex. A header may
carry several ``v1=`` values separated by commas; one match is enough.

This file depends on nothing but the standard library: sellers may copy ``verify_signature``
into their own software as it is. Verify against the raw bytes received (not re-serialised
JSON), and refuse a timestamp far from your clock, so a recorded call cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "Souk-Timestamp"
SIGNATURE_HEADER = "Souk-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def compute_signature(secret: str, timestamp: int | str, body: str | bytes) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under ``secret``."""
    message = str(timestamp).encode() + b"." + _as_bytes(body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int | str, body: str | bytes) -> str:
    """The value of the ``Souk-Signature`` header."""
    return f"{SCHEME}={compute_signature(secret, timestamp, body)}"


def verify_signature(
    secret: str,
    timestamp: int | str | None,
    body: str | bytes,
    header: str | None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether ``header`` (the ``Souk-Signature`` value) signs ``body`` sent at ``timestamp``
    (the ``Souk-Timestamp`` value) with ``secret``, and the timestamp is within ``tolerance``
    seconds of ``now`` (default: this machine's clock), in either direction."""
    if not secret or not timestamp or not header:
        return False
    try:
        sent_at = int(str(timestamp).strip())
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        return False
    expected = compute_signature(secret, sent_at, body)
    for part in header.split(","):
        scheme, _, value = part.strip().partition("=")
        if scheme == SCHEME and hmac.compare_digest(value.strip().lower(), expected):
            return True
    return False
