"""Secrets at rest (provisioned credentials, sellers' signing secrets, a marketplace's signing
key): Fernet (AES-128-CBC + HMAC-SHA256, from the cryptography library) under keys derived
with HKDF from ``SOUK_ENCRYPTION_KEY``, so the database alone never reveals them. Each
marketplace's schema is mixed into the derivation: a row copied into another tenant's schema
does not decrypt there.

``SOUK_ENCRYPTION_KEY`` is a comma-separated list, newest first (MultiFernet): new values are
encrypted under the first key, any listed key decrypts. To rotate, put a new key in front,
deploy, run ``manage.py rotate_encryption_key`` (re-encrypts every ``*_encrypted`` column of
every schema under the first key), then drop the old key. Production requires the setting;
development and tests fall back to ``SECRET_KEY``.
"""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from core.schema import current_schema_name

__all__ = ["ENCRYPTED_FIELD_SUFFIX", "InvalidToken", "decrypt", "encrypt", "rotate"]

# Model fields holding values of this module end with this; the rotation command finds them.
ENCRYPTED_FIELD_SUFFIX = "_encrypted"
# Kept from the first release (licensing): changing it would make stored values unreadable.
_SALT = b"souk-licensing-v1"


def configured_keys() -> tuple[str, ...]:
    configured = [key.strip() for key in settings.SOUK_ENCRYPTION_KEY.split(",") if key.strip()]
    return tuple(configured) or (settings.SECRET_KEY,)


@cache
def _fernet(secret: str, schema: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=schema.encode()).derive(
        secret.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _current() -> MultiFernet:
    schema = current_schema_name()
    return MultiFernet([_fernet(secret, schema) for secret in configured_keys()])


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Raises ``InvalidToken`` when the value was not encrypted here (or was altered)."""
    return _current().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """The same secret encrypted under the newest key (raises ``InvalidToken`` like decrypt)."""
    return _current().rotate(token.encode()).decode()
