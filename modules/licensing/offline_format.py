"""Offline licence files: a licence, its entitlements and expiry, bound to one machine and
signed with the marketplace's Ed25519 key, so the seller's software can trust it without
calling Souk.

A file is one line of text::

    base64url(payload JSON) "." base64url(Ed25519 signature)

(base64url without padding). The signature is over the ASCII bytes of the first part, exactly
as it appears in the file. The payload is a JSON object::

    {"format": "souk-license-file/1", "signing_key_id": 3, "license_id": 42,
     "key_sha256": "<sha256 of the licence key, hex>", "product": {"id": 7, "name": "..."},
     "entitlements": ["pro"], "max_machines": 2, "license_expires_at": null,
     "fingerprint": "<the machine>", "issued_at": "2025-11-25T10:00:00+00:00",
     "valid_until": "2025-12-25T10:00:00+00:00"}

The key itself is not in the file (a copied file must not be a way to activate more machines);
``key_sha256`` lets the software check the file belongs to the key its user entered.

This file needs nothing but the standard library and ``cryptography``: sellers may copy
``verify_license_file`` into their own software as it is, with the public key from
``GET /api/v1/licenses/public-key``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

FORMAT = "souk-license-file/1"
SIGNATURE_LENGTH = 64
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")


class InvalidLicenseFile(ValueError):
    """The file is not one Souk signed with this key, was altered, has lapsed, or belongs to
    another machine."""


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(part: str) -> bytes:
    """Strict base64url: only the alphabet, and the canonical encoding of what it decodes to
    (the unused low bits of the last character must be zero), so no two texts carry the same
    bytes and any changed character is a changed file."""
    if not _BASE64URL.match(part):
        raise InvalidLicenseFile("The licence file is not base64url text.")
    try:
        data = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise InvalidLicenseFile("The licence file is not base64url text.") from None
    if _encode(data) != part:
        raise InvalidLicenseFile("The licence file is not canonical base64url text.")
    return data


def encode_license_file(payload: dict[str, Any], private_key: Ed25519PrivateKey) -> str:
    """The signed file of ``payload`` (compact JSON with sorted keys)."""
    body = _encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{body}.{_encode(private_key.sign(body.encode('ascii')))}"


def verify_license_file(
    text: str,
    public_key_pem: str | bytes,
    *,
    now: datetime | None = None,
    fingerprint: str | None = None,
) -> dict[str, Any]:
    """The payload of a licence file, once its signature checks out with ``public_key_pem``
    and it is still within its ``valid_until`` (at ``now``, default: this machine's clock).
    With ``fingerprint``, the file must also be for that machine. Raises
    ``InvalidLicenseFile`` otherwise."""
    parts = text.strip().split(".")
    if len(parts) != 2:
        raise InvalidLicenseFile("A licence file is two base64url parts joined by a dot.")
    body, signature = parts[0], _decode(parts[1])
    payload_bytes = _decode(body)
    if len(signature) != SIGNATURE_LENGTH:
        raise InvalidLicenseFile("The signature is not an Ed25519 signature.")
    pem = public_key_pem.encode("ascii") if isinstance(public_key_pem, str) else public_key_pem
    public_key = load_pem_public_key(pem)
    if not isinstance(public_key, Ed25519PublicKey):
        raise InvalidLicenseFile("The public key is not an Ed25519 key.")
    try:
        public_key.verify(signature, body.encode("ascii"))
    except InvalidSignature:
        raise InvalidLicenseFile(
            "The signature does not match: altered, or signed by another key."
        ) from None
    try:
        payload = json.loads(payload_bytes.decode("utf-8"))
    except ValueError:  # a signed file always holds JSON; kept for defence in depth
        raise InvalidLicenseFile("The payload is not JSON.") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise InvalidLicenseFile(f"Not a {FORMAT} file.")
    current = now or datetime.now(UTC)
    try:
        valid_until = datetime.fromisoformat(str(payload["valid_until"]))
    except (KeyError, ValueError):
        raise InvalidLicenseFile("The file has no valid_until time.") from None
    if valid_until <= current:
        raise InvalidLicenseFile(f"The file lapsed at {payload['valid_until']}; check in again.")
    if fingerprint is not None and payload.get("fingerprint") != fingerprint:
        raise InvalidLicenseFile("The file is for another machine.")
    return payload
