"""Authentication for the APIs: browser sessions (+CSRF), bearer personal access tokens,
platform staff on the platform host (``PlatformStaffAuth``, kept in core beside the others so
the tenants router can name each operation's permission) and sellers' API keys for the
partner API (``SellerKeyAuth`` / ``seller_key_auth(permission)``, in core.sellers so a
module's partner router can name each operation's key permission)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie

from core.accounts.auth import BearerTokenAuth, PlatformStaffAuth, SessionUserAuth, user_auth
from core.sellers.auth import SellerKeyAuth, any_seller_key_auth, seller_key_auth

__all__ = [
    "BearerTokenAuth",
    "PlatformStaffAuth",
    "SellerKeyAuth",
    "SessionUserAuth",
    "VisitorSessionAuth",
    "any_seller_key_auth",
    "seller_key_auth",
    "shopper_auth",
    "user_auth",
]


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
