"""Authentication for the APIs: browser sessions (+CSRF), bearer personal access tokens, and
platform staff on the platform host. Each sets ``request.principal``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, APIKeyHeader, HttpBearer, SessionAuth

from core.accounts.models import User
from core.accounts.principal import Principal
from core.accounts.services.tokens import identify_token
from core.sellers.services.api_keys import identify_api_key


def _is_verified(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


class SessionUserAuth(SessionAuth):
    """A signed-in browser session; ninja checks CSRF on unsafe methods."""

    openapi_scheme = "cookie"

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = super().authenticate(request, key)
        if not isinstance(user, User) or not user.is_active:
            return None
        request.principal = Principal(  # type: ignore[attr-defined]
            user=user, token=None, is_two_factor_verified=_is_verified(user)
        )
        return user


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer souk_pat_...`` - a personal access token of this marketplace."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        identity = identify_token(token)
        if identity is None:
            return None
        user = User.objects.filter(pk=identity.user_id, is_active=True).first()
        if user is None:
            return None
        request.user = user
        request.principal = Principal(  # type: ignore[attr-defined]
            user=user, token=identity, is_two_factor_verified=identity.is_two_factor_verified
        )
        return user


user_auth = [BearerTokenAuth(), SessionUserAuth()]


class SellerApiKeyAuth(APIKeyHeader):
    """``X-API-Key: souk_sk_...`` - a seller's key for their own systems (the partner API)."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        identity = identify_api_key(key or "")
        if identity is None:
            return None
        request.api_key_identity = identity  # type: ignore[attr-defined]
        return identity


class PlatformStaffAuth(SessionAuth):
    """Platform staff signed in on the platform host (session + CSRF) with a verified second
    factor (django-otp)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or not user.is_staff or not user.is_active or not _is_verified(user):
            return None
        return user


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
