"""Authentication for the APIs. Identity (tokens, API keys) grows in the identity issue."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import SessionAuth


class PlatformStaffAuth(SessionAuth):
    """Platform staff signed in on the platform host (session + CSRF) with a verified second
    factor (django-otp)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or not user.is_staff or not user.is_active:
            return None
        is_verified = getattr(user, "is_verified", None)
        if is_verified is None or not is_verified():
            return None
        return user
