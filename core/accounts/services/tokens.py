"""Personal access tokens: many per user, named, scoped, shown once, stored hashed, revocable,
optionally expiring. Lookups are cached briefly; revocation clears the cache at once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import PersonalAccessToken, TokenScope, User
from core.accounts.services.two_factor import has_two_factor
from core.errors import ErrorKind
from core.schema import current_schema_name

TOKEN_PREFIX = "souk_pat_"
CACHE_SECONDS = 60
LAST_USED_RESOLUTION_SECONDS = 300


@dataclass(frozen=True)
class IssuedToken:
    token: PersonalAccessToken
    raw: str  # shown to the user once, never stored


@dataclass(frozen=True)
class TokenIdentity:
    """What a request authenticated by a token may do."""

    token_id: int
    user_id: int
    scopes: frozenset[str]
    is_two_factor_verified: bool
    expires_at: datetime | None


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _cache_key(token_hash: str) -> str:
    return f"pat:{token_hash}"


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = sorted(set(scopes))
    unknown = [scope for scope in chosen if scope not in TokenScope.values]
    if unknown or not chosen:
        raise AccountError(
            AccountErrorCode.INVALID_SCOPE,
            f"Choose scopes from: {', '.join(TokenScope.values)}.",
            details={"field": "scopes", "unknown": unknown},
            kind=ErrorKind.INVALID,
        )
    return chosen


def create_token(
    *,
    user: User,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None,
    is_two_factor_verified: bool,
) -> IssuedToken:
    """A user with two-factor on can only make tokens from a verified session, so a token is
    never a way around the second factor."""
    if user.is_support_agent:
        raise AccountError(
            AccountErrorCode.NOT_FOR_SUPPORT_AGENTS,
            "Platform support cannot create access tokens; a token would outlive the support "
            "session.",
            kind=ErrorKind.FORBIDDEN,
        )
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise AccountError(
            AccountErrorCode.INVALID_TOKEN_NAME,
            "Give the token a name of 1-80 characters.",
            details={"field": "name"},
            kind=ErrorKind.INVALID,
        )
    chosen = clean_scopes(scopes)
    if has_two_factor(user) and not is_two_factor_verified:
        raise AccountError(
            AccountErrorCode.TWO_FACTOR_REQUIRED,
            "Verify your second factor in this session before creating a token.",
            kind=ErrorKind.FORBIDDEN,
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise AccountError(
            AccountErrorCode.INVALID_EXPIRY,
            "The expiry must be in the future.",
            details={"field": "expires_at"},
            kind=ErrorKind.INVALID,
        )
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    try:
        with transaction.atomic():
            token = PersonalAccessToken.objects.create(
                user=user,
                name=name,
                prefix=prefix,
                token_hash=_hash(raw),
                scopes=chosen,
                expires_at=expires_at,
                is_two_factor_verified=is_two_factor_verified,
            )
    except IntegrityError:
        raise AccountError(
            AccountErrorCode.TOKEN_NAME_TAKEN,
            f"You already have a token called '{name}'.",
            details={"field": "name"},
            kind=ErrorKind.CONFLICT,
        ) from None
    return IssuedToken(token=token, raw=raw)


def revoke_token(*, user: User, token_id: int) -> PersonalAccessToken:
    token = PersonalAccessToken.objects.filter(
        pk=token_id, user=user, revoked_at__isnull=True
    ).first()
    if token is None:
        raise AccountError(
            AccountErrorCode.TOKEN_NOT_FOUND, "No such token.", kind=ErrorKind.NOT_FOUND
        )
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    cache.delete(_cache_key(token.token_hash))
    return token


def revoke_all_tokens(*, user: User) -> int:
    """Every live token of the user stops working (password reset or change, deletion).
    The cached lookups are dropped now and again after commit, so a request that cached a
    token while the revocation was uncommitted cannot keep it alive for the cache's minute."""
    live = PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True)
    cache_keys = [
        _cache_key(token_hash) for token_hash in live.values_list("token_hash", flat=True)
    ]
    revoked = live.update(revoked_at=timezone.now())
    cache.delete_many(cache_keys)
    transaction.on_commit(lambda: cache.delete_many(cache_keys))
    return revoked


def identify_token(raw: str) -> TokenIdentity | None:
    """The token's identity, or None for unknown, revoked or expired tokens. Cached per tenant
    (tenant-aware cache keys) for a minute; revocation deletes the entry."""
    if not _is_token_shaped(raw):
        return None
    token_hash = _hash(raw)
    return _identity(raw, token_hash, cache.get(_cache_key(token_hash)))


def authenticate_token(raw: str) -> tuple[TokenIdentity, User] | None:
    """``identify_token`` and ``token_user`` together, in one cache round trip once this
    process has seen the token (a token's user never changes, so the process remembers whose
    it is and asks for the token's and the user's entries at once)."""
    if not _is_token_shaped(raw):
        return None
    token_hash = _hash(raw)
    seen = (current_schema_name(), token_hash)
    user_id = _user_of_token.get(seen)
    if user_id is None:
        identity = _identity(raw, token_hash, cache.get(_cache_key(token_hash)))
        user = token_user(identity) if identity is not None else None
    else:
        found = cache.get_many([_cache_key(token_hash), _user_cache_key(user_id)])
        identity = _identity(raw, token_hash, found.get(_cache_key(token_hash)))
        if identity is None:
            return None
        user = _usable(identity, found.get(_user_cache_key(user_id)))
    if identity is None or user is None:
        return None
    if len(_user_of_token) >= USERS_OF_TOKENS_KEPT:
        _user_of_token.clear()
    _user_of_token[seen] = identity.user_id
    return identity, user


# (schema, token hash) -> the token's user id, for ``authenticate_token``.
_user_of_token: dict[tuple[str, str], int] = {}
USERS_OF_TOKENS_KEPT = 100_000


def _is_token_shaped(raw: str) -> bool:
    return raw.startswith(TOKEN_PREFIX) and len(raw) <= 200


def _identity(raw: str, token_hash: str, cached: dict[str, Any] | None) -> TokenIdentity | None:
    if cached is None:
        prefix = raw[len(TOKEN_PREFIX) :].split("_", 1)[0]
        token = PersonalAccessToken.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
        if token is None or not hmac.compare_digest(token.token_hash, token_hash):
            return None
        cached = {
            "token_id": token.pk,
            "user_id": token.user_id,
            "scopes": list(token.scopes),
            "is_two_factor_verified": token.is_two_factor_verified,
            "expires_at": token.expires_at,
        }
        cache.set(_cache_key(token_hash), cached, CACHE_SECONDS)
    identity = TokenIdentity(
        token_id=cached["token_id"],
        user_id=cached["user_id"],
        scopes=frozenset(cached["scopes"]),
        is_two_factor_verified=cached["is_two_factor_verified"],
        expires_at=cached["expires_at"],
    )
    if identity.expires_at is not None and identity.expires_at <= timezone.now():
        return None
    _touch(token_hash, identity.token_id)
    return identity


def _user_cache_key(user_id: int) -> str:
    return f"pat-user:{user_id}"


def token_user(identity: TokenIdentity) -> User | None:
    """The active user a token acts for, or None (deactivated, deleted, a support agent).
    Cached beside the token for its minute, so a token request costs no query for its user;
    any save or deletion of the user drops the entry (``forget_user``) now and after commit."""
    return _usable(identity, cache.get(_user_cache_key(identity.user_id)))


def _usable(identity: TokenIdentity, cached: User | None) -> User | None:
    """The token's user from its cache entry (``cached``), or read and cached."""
    if cached is not None:
        return cached
    user = User.objects.filter(pk=identity.user_id, is_active=True).first()
    # Support agents act only through a support session (SupportSessionMiddleware), never
    # with a token that could outlive it, even one made before tokens were refused to them.
    if user is None or user.is_support_agent:
        return None
    cache.set(_user_cache_key(identity.user_id), user, CACHE_SECONDS)
    return user


def forget_user(user_id: int) -> None:
    """Drop the cached user now and again after commit, so a request that read the user
    while the change was uncommitted cannot keep the old row for the cache's minute."""
    key = _user_cache_key(user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def forget_changed_user(sender: type[User], instance: User, **kwargs: object) -> None:
    """The receiver of User's post_save and post_delete. A user just created has nothing
    cached under its new id, so there is nothing to forget."""
    if kwargs.get("created"):
        return
    forget_user(instance.pk)


# token hash -> when this process last recorded a use; spares a cache round trip per request.
_touched_here: dict[str, float] = {}


def _touch(token_hash: str, token_id: int) -> None:
    """last_used_at to within five minutes, without a write (or a cache call) per request.
    The memo is keyed by the token's hash: ids repeat across marketplaces' schemas."""
    now = time.monotonic()
    if (
        now - _touched_here.get(token_hash, -LAST_USED_RESOLUTION_SECONDS)
        < LAST_USED_RESOLUTION_SECONDS
    ):
        return
    _touched_here[token_hash] = now
    if cache.add(f"pat-used:{token_id}", 1, LAST_USED_RESOLUTION_SECONDS):
        PersonalAccessToken.objects.filter(pk=token_id).update(last_used_at=timezone.now())
