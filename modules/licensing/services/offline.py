"""Offline licence files (format: ``modules/licensing/offline_format.py``) signed with the
marketplace's Ed25519 key, and that key's public half for sellers to build into their
software.

Each marketplace (schema) has its own key, made on first use; its private half is stored
encrypted (``crypto.py``, derived per schema), so neither a database dump nor a row copied to
another schema can sign. A file is issued only for a machine the licence currently validates
on, and lapses after ``offline_file_days`` (or when the licence expires, if sooner), so the
software must check in again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import crypto
from core.catalog.models import Product
from core.errors import ErrorKind
from core.schema import current_schema_name
from modules.licensing.errors import LicensingError, LicensingErrorCode
from modules.licensing.keys import normalise_key
from modules.licensing.models import SigningKey
from modules.licensing.offline_format import FORMAT, encode_license_file
from modules.licensing.services.validation import (
    ValidationCode,
    licensing_settings,
    validate_license,
)


@dataclass(frozen=True)
class LicenseFile:
    text: str
    payload: dict[str, Any]
    signing_key_id: int
    valid_until: datetime


def signing_key() -> SigningKey:
    """The marketplace's active signing key, made on first use (two first uses at once agree
    on one: the second insert meets the one-active constraint and reads the first's)."""
    existing = SigningKey.objects.filter(is_active=True).first()
    if existing is not None:
        return existing
    private_key = Ed25519PrivateKey.generate()
    private_pem = private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    public_pem = private_key.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    try:
        with transaction.atomic():
            return SigningKey.objects.create(
                public_key_pem=public_pem.decode("ascii"),
                private_key_encrypted=crypto.encrypt(private_pem.decode("ascii")),
                is_active=True,
            )
    except IntegrityError:
        return SigningKey.objects.get(is_active=True)


@lru_cache(maxsize=256)
def _private_key(encrypted: str, schema: str) -> Ed25519PrivateKey:
    # ``schema`` is part of the cache key: decryption depends on the current schema.
    key = load_pem_private_key(crypto.decrypt(encrypted).encode("ascii"), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError("The stored signing key is not an Ed25519 key.")
    return key


def _refusal(code: ValidationCode, detail: str) -> LicensingError:
    details = {"code": str(code), "detail": detail}
    if code is ValidationCode.NOT_FOUND:
        return LicensingError(
            LicensingErrorCode.LICENSE_NOT_FOUND, detail, details=details, kind=ErrorKind.NOT_FOUND
        )
    if code in {ValidationCode.NO_MACHINE, ValidationCode.FINGERPRINT_SCOPE_MISMATCH}:
        return LicensingError(
            LicensingErrorCode.MACHINE_NOT_FOUND,
            "Activate this machine before asking for its licence file.",
            details=details,
            kind=ErrorKind.NOT_FOUND,
        )
    if code is ValidationCode.TOO_MANY_MACHINES:
        return LicensingError(
            LicensingErrorCode.TOO_MANY_MACHINES, detail, details=details, kind=ErrorKind.CONFLICT
        )
    return LicensingError(
        LicensingErrorCode.LICENSE_NOT_ACTIVE,
        f"No licence file: {detail}",
        details=details,
        kind=ErrorKind.CONFLICT,
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def issue_license_file(
    *, key: str, fingerprint: str, ip_address: str | None = None, now: datetime | None = None
) -> LicenseFile:
    """A signed file for the machine ``fingerprint``, which the licence must validate on now
    (a floating licence takes a free seat for it, as validation does)."""
    now = (now or timezone.now()).replace(microsecond=0)
    validation = validate_license(key=key, fingerprint=fingerprint, ip_address=ip_address, now=now)
    if not validation.is_valid or validation.license is None or validation.machine is None:
        raise _refusal(validation.code, validation.detail)
    state = validation.license
    valid_until = now + timedelta(days=licensing_settings().offline_file_days)
    if state.expires_at is not None:
        valid_until = min(valid_until, state.expires_at)
    product = Product.objects.only("id", "name").get(pk=state.product_id)
    stored_key = normalise_key(key) or key
    key_row = signing_key()
    payload: dict[str, Any] = {
        "format": FORMAT,
        "signing_key_id": key_row.pk,
        "license_id": state.id,
        "key_sha256": hashlib.sha256(stored_key.encode("ascii")).hexdigest(),
        "product": {"id": product.pk, "name": product.name},
        "entitlements": state.entitlements,
        "max_machines": state.max_machines,
        "license_expires_at": _iso(state.expires_at),
        "fingerprint": fingerprint,
        "issued_at": _iso(now),
        "valid_until": _iso(valid_until),
    }
    text = encode_license_file(
        payload, _private_key(key_row.private_key_encrypted, current_schema_name())
    )
    return LicenseFile(text, payload, key_row.pk, valid_until)
