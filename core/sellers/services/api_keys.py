"""API keys for a seller's own systems (the partner API): prefix + secret, hashed, rotatable.

A key carries a set of team permissions chosen when it is made, never more than its creator
holds; partner endpoints check them (``require_key_permission``). A key lives no longer than
its creator's place on the team: removing the member revokes their keys, and narrowing their
permissions narrows their keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import User
from core.errors import ErrorKind
from core.sellers.errors import SellerError, SellerErrorCode
from core.sellers.models import Seller, SellerApiKey, SellerStatus, TeamPermission
from core.sellers.permissions import clean_permissions, held_permissions

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
    permissions: frozenset[str]


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _cache_key(key_hash: str) -> str:
    return f"sk:{key_hash}"


def create_api_key(
    *,
    seller: Seller,
    name: str,
    created_by: User,
    permissions: Iterable[str] | None = None,
) -> IssuedApiKey:
    """``permissions`` default to all the creator holds; asking for one they lack is refused
    (403), so a key is never a way around the team's permissions."""
    if created_by.is_support_agent:
        raise AccountError(
            AccountErrorCode.NOT_FOR_SUPPORT_AGENTS,
            "Platform support cannot create API keys; credentials would outlive the support "
            "session.",
            kind=ErrorKind.FORBIDDEN,
        )
    name = " ".join(name.split())
    if not 1 <= len(name) <= 80:
        raise SellerError(
            SellerErrorCode.INVALID_NAME,
            "Give the key a name of 1-80 characters.",
            details={"field": "name"},
            kind=ErrorKind.INVALID,
        )
    held = held_permissions(created_by, seller)
    chosen = sorted(held) if permissions is None else clean_permissions(permissions)
    if not chosen:
        raise SellerError(
            SellerErrorCode.INVALID_PERMISSION,
            "Choose at least one permission for the key.",
            details={"field": "permissions"},
            kind=ErrorKind.INVALID,
        )
    lacking = sorted(set(chosen) - held)
    if lacking:
        raise SellerError(
            SellerErrorCode.PERMISSION_DENIED,
            f"A key can carry only permissions you hold; you lack: {', '.join(lacking)}.",
            details={"field": "permissions", "lacking": lacking},
            kind=ErrorKind.FORBIDDEN,
        )
    prefix = secrets.token_hex(6)
    raw = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = SellerApiKey.objects.create(
        seller=seller,
        name=name,
        prefix=prefix,
        key_hash=_hash(raw),
        created_by=created_by,
        permissions=chosen,
    )
    return IssuedApiKey(key=key, raw=raw)


def _live_key(seller: Seller, key_id: int) -> SellerApiKey:
    key = seller.api_keys.filter(pk=key_id, revoked_at__isnull=True).first()
    if key is None:
        raise SellerError(
            SellerErrorCode.API_KEY_NOT_FOUND, "No such API key.", kind=ErrorKind.NOT_FOUND
        )
    return key


def revoke_api_key(*, seller: Seller, key_id: int) -> SellerApiKey:
    key = _live_key(seller, key_id)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    cache.delete(_cache_key(key.key_hash))
    return key


@transaction.atomic
def rotate_api_key(*, seller: Seller, key_id: int, created_by: User) -> IssuedApiKey:
    """A new secret under the same name and permissions; the old one stops working at once.
    The rotator becomes the creator, so they must hold every permission the key carries."""
    old = revoke_api_key(seller=seller, key_id=key_id)
    return create_api_key(
        seller=seller, name=old.name, created_by=created_by, permissions=old.permissions
    )


def revoke_api_keys_created_by(*, seller: Seller, user: User) -> int:
    """When a teammate leaves the team, the keys they made stop working at once."""
    keys = list(seller.api_keys.filter(created_by=user, revoked_at__isnull=True))
    SellerApiKey.objects.filter(pk__in=[key.pk for key in keys]).update(revoked_at=timezone.now())
    cache.delete_many([_cache_key(key.key_hash) for key in keys])
    return len(keys)


def narrow_api_keys_created_by(*, seller: Seller, user: User, permissions: Iterable[str]) -> None:
    """A teammate's keys never carry more than the teammate now holds."""
    allowed = set(permissions)
    for key in seller.api_keys.filter(created_by=user, revoked_at__isnull=True):
        narrowed = sorted(set(key.permissions) & allowed)
        if narrowed != sorted(key.permissions):
            key.permissions = narrowed
            key.save(update_fields=["permissions"])
            cache.delete(_cache_key(key.key_hash))


def identify_api_key(raw: str) -> ApiKeyIdentity | None:
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    key_hash = _hash(raw)
    cached: dict[str, Any] | None = cache.get(_cache_key(key_hash))
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
        cached = {
            "key_id": key.pk,
            "seller_id": key.seller_id,
            "permissions": list(key.permissions),
        }
        cache.set(_cache_key(key_hash), cached, CACHE_SECONDS)
        if cache.add(f"sk-used:{key.pk}", 1, 300):
            SellerApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return ApiKeyIdentity(
        key_id=cached["key_id"],
        seller_id=cached["seller_id"],
        permissions=frozenset(cached.get("permissions", ())),
    )


def require_key_permission(identity: ApiKeyIdentity, permission: TeamPermission) -> None:
    """Every partner endpoint names the team permission it needs; the key must carry it."""
    if permission not in identity.permissions:
        raise SellerError(
            SellerErrorCode.PERMISSION_DENIED,
            f"This API key lacks the '{permission}' permission.",
            details={"required_permission": str(permission)},
            kind=ErrorKind.FORBIDDEN,
        )
