"""Secrets at rest (provisioned credentials, sellers' signing secrets, the marketplace's
signing key): Fernet (AES-128-CBC + HMAC-SHA256, from the cryptography library) under a key
derived from ``SOUK_ENCRYPTION_KEY`` (falling back to ``SECRET_KEY``) with HKDF, so the
database alone never reveals them. Each marketplace's schema is mixed into the derivation:
a row copied into another tenant's schema does not decrypt there."""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from core.schema import current_schema_name

__all__ = ["InvalidToken", "decrypt", "encrypt"]


@cache
def _fernet(secret: str, schema: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"souk-licensing-v1",
        info=schema.encode(),
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _current() -> Fernet:
    secret = getattr(settings, "SOUK_ENCRYPTION_KEY", "") or settings.SECRET_KEY
    return _fernet(secret, current_schema_name())


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Raises ``InvalidToken`` when the value was not encrypted here (or was altered)."""
    return _current().decrypt(token.encode()).decode()
