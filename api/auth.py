"""Authentication for the APIs: browser sessions (+CSRF), bearer personal access tokens, and
platform staff on the platform host (``PlatformStaffAuth``, kept in core beside the others so
the tenants router can name each operation's permission)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, APIKeyHeader

from core.accounts.auth import BearerTokenAuth, PlatformStaffAuth, SessionUserAuth, user_auth
from core.sellers.services.api_keys import identify_api_key

__all__ = [
    "BearerTokenAuth",
    "PlatformStaffAuth",
    "SellerApiKeyAuth",
    "SessionUserAuth",
    "VisitorSessionAuth",
    "shopper_auth",
    "user_auth",
]


class SellerApiKeyAuth(APIKeyHeader):
    """``X-API-Key: souk_sk_...`` - a seller's key for their own systems (the partner API)."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        identity = identify_api_key(key or "")
        if identity is None:
            return None
        request.api_key_identity = identity  # type: ignore[attr-defined]
        return identity


class Visitor:
    """A shopper who has not signed in: they may fill a cart (kept in their session)."""

    def __bool__(self) -> bool:
        return True


class VisitorSessionAuth(APIKeyCookie):
    """Last in ``shopper_auth``: lets an anonymous browser (CSRF-checked) use its cart."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Visitor:
        return Visitor()


shopper_auth = [BearerTokenAuth(), SessionUserAuth(), VisitorSessionAuth()]
