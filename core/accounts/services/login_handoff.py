"""Single-use sign-in tickets across hosts (session cookies never cross hosts)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import LoginHandoff, User

HANDOFF_LIFETIME = timedelta(minutes=2)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_login_handoff(*, user: User) -> str:
    """Returns the raw token; only its hash is stored. Call in the user's schema."""
    token = secrets.token_urlsafe(32)
    LoginHandoff.objects.create(
        token_hash=_hash(token), user=user, expires_at=timezone.now() + HANDOFF_LIFETIME
    )
    return token


def redeem_login_handoff(*, token: str) -> User:
    """The user the ticket was issued for; the ticket is spent even if this races."""
    now = timezone.now()
    with transaction.atomic():
        spent = LoginHandoff.objects.filter(
            token_hash=_hash(token), used_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if spent != 1:
            raise AccountError(
                AccountErrorCode.HANDOFF_INVALID,
                "This sign-in link has expired or was already used.",
                status=400,
            )
        handoff = LoginHandoff.objects.select_related("user").get(token_hash=_hash(token))
    return handoff.user
