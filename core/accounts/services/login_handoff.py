"""Single-use sign-in tickets across hosts (session cookies never cross hosts): the platform's
sign-up form hands the new operator to their storefront, and platform staff enter a tenant
as support."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import LoginHandoff, User
from core.errors import ErrorKind

HANDOFF_LIFETIME = timedelta(minutes=2)
SUPPORT_DEVICE_NAME = "Platform support session"
# The Django session of a support agent remembers which SupportSession it belongs to; the
# tenants app's SupportSessionMiddleware signs it out once that one is ended or expired.
SUPPORT_SESSION_KEY = "souk_support_session"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_login_handoff(
    *, user: User, is_two_factor_verified: bool = False, support_session_id: int | None = None
) -> str:
    """Returns the raw token; only its hash is stored. Call in the user's schema."""
    token = secrets.token_urlsafe(32)
    LoginHandoff.objects.create(
        token_hash=_hash(token),
        user=user,
        expires_at=timezone.now() + HANDOFF_LIFETIME,
        is_two_factor_verified=is_two_factor_verified,
        support_session_id=support_session_id,
    )
    return token


def _spend(token: str) -> LoginHandoff:
    now = timezone.now()
    with transaction.atomic():
        spent = LoginHandoff.objects.filter(
            token_hash=_hash(token), used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if spent != 1:
            raise AccountError(
                AccountErrorCode.HANDOFF_INVALID,
                "This sign-in link has expired or was already used.",
                kind=ErrorKind.BAD_REQUEST,
            )
        return LoginHandoff.objects.select_related("user").get(token_hash=_hash(token))


def sign_in_with_handoff(*, request: HttpRequest, token: str) -> User:
    """Spend the ticket and sign its user in on this host; a ticket issued after a second
    factor marks the session verified (support sessions, which also expire in an hour)."""
    handoff = _spend(token)
    user = handoff.user
    if not user.is_active:
        raise AccountError(AccountErrorCode.HANDOFF_INVALID, "This account cannot sign in.")
    if user.is_support_agent and handoff.support_session_id is None:
        # A support agent exists only for a support session; without one it cannot sign in.
        raise AccountError(AccountErrorCode.HANDOFF_INVALID, "This account cannot sign in.")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if user.is_support_agent:
        request.session[SUPPORT_SESSION_KEY] = handoff.support_session_id
    if handoff.is_two_factor_verified and user.is_support_agent:
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name=SUPPORT_DEVICE_NAME, defaults={"confirmed": True}
        )
        otp_login(request, device)
        request.session.set_expiry(3600)
    return user
