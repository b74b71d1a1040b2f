"""API keys for a seller's own systems (the partner API): prefix + secret, hashed, rotatable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from core.sellers.errors import SellerError, SellerErrorCode
from core.sellers.models import Seller, SellerApiKey, SellerStatus

KEY_PREFIX = "souk_sk_"
CACHE_SECONDS = 60


@dataclass(frozen=True)
class IssuedApiKey:
    key: SellerApiKey
    raw: str  # shown once


@dataclass(frozen=True)
class ApiKeyIdentity:
    key_id: int
    seller_id: int


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_key(*, seller: Seller, name: str, created_by: User) -> IssuedApiKey:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 80:
        raise SellerError(
            SellerErrorCode.INVALID_NAME,
            "Give the key a name of 1-80 characters.",
            details={"field": "name"},
            status=422,
        )
    prefix = secrets.token_hex(6)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = SellerApiKey.objects.create(
        seller=seller, name=name, prefix=prefix, key_hash=_hash(raw), created_by=created_by
    )
    return IssuedApiKey(key=key, raw=raw)


def _live_key(seller: Seller, key_id: int) -> SellerApiKey:
    key = seller.api_keys.filter(pk=key_id, revoked_at__isnull=True).first()
    if key is None:
        raise SellerError(SellerErrorCode.API_KEY_NOT_FOUND, "No such API key.", status=404)
    return key


def revoke_api_key(*, seller: Seller, key_id: int) -> SellerApiKey:
    key = _live_key(seller, key_id)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    cache.delete(f"sk:{key.key_hash}")
    return key


@transaction.atomic
def rotate_api_key(*, seller: Seller, key_id: int, created_by: User) -> IssuedApiKey:
    """A new secret under the same name; the old one stops working at once."""
    old = revoke_api_key(seller=seller, key_id=key_id)
    return create_api_key(seller=seller, name=old.name, created_by=created_by)


def identify_api_key(raw: str) -> ApiKeyIdentity | None:
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    key_hash = _hash(raw)
    cached: dict[str, Any] | None = cache.get(f"sk:{key_hash}")
    if cached is None:
        prefix = raw[len(KEY_PREFIX) :].split("_", 1)[0]
        key = (
            SellerApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True)
            .select_related("seller")
            .first()
        )
        if key is None or not hmac.compare_digest(key.key_hash, key_hash):
            return None
        if key.seller.status != SellerStatus.ACTIVE or not key.seller.is_verified:
            return None
        cached = {"key_id": key.pk, "seller_id": key.seller_id}
        cache.set(f"sk:{key_hash}", cached, CACHE_SECONDS)
        if cache.add(f"sk-used:{key.pk}", 1, 300):
            SellerApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return ApiKeyIdentity(key_id=cached["key_id"], seller_id=cached["seller_id"])
