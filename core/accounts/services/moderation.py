"""Operators suspend and reinstate the people of their marketplace."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.accounts.emails import send_suspension_notice
from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import Role, User
from core.accounts.services.tokens import revoke_all_tokens
from core.errors import ErrorKind


def _check_target(actor: User, user: User) -> None:
    if actor.pk == user.pk:
        raise AccountError(
            AccountErrorCode.CANNOT_MODERATE_SELF,
            "You cannot suspend yourself.",
            kind=ErrorKind.CONFLICT,
        )
    if user.role == Role.OPERATOR and not actor.is_support_agent:
        raise AccountError(
            AccountErrorCode.FORBIDDEN_ROLE,
            "Operators are suspended by platform support, not by other operators.",
            kind=ErrorKind.FORBIDDEN,
        )


@transaction.atomic
def suspend_user(*, actor: User, user: User, reason: str) -> User:
    _check_target(actor, user)
    reason = " ".join(reason.split())[:300]
    if not reason:
        raise AccountError(
            AccountErrorCode.REASON_REQUIRED,
            "Say why the account is suspended; the user is told.",
            details={"field": "reason"},
            kind=ErrorKind.INVALID,
        )
    if user.suspended_at is not None:
        raise AccountError(
            AccountErrorCode.ALREADY_IN_STATE,
            "The account is already suspended.",
            kind=ErrorKind.CONFLICT,
        )
    user.suspended_at = timezone.now()
    user.suspended_reason = reason
    user.is_active = False
    user.save(update_fields=["suspended_at", "suspended_reason", "is_active"])
    revoke_all_tokens(user=user)
    send_suspension_notice(user=user, reason=reason)
    return user


@transaction.atomic
def reinstate_user(*, actor: User, user: User) -> User:
    _check_target(actor, user)
    if user.suspended_at is None:
        raise AccountError(
            AccountErrorCode.ALREADY_IN_STATE,
            "The account is not suspended.",
            kind=ErrorKind.CONFLICT,
        )
    user.suspended_at = None
    user.suspended_reason = ""
    user.is_active = True
    user.save(update_fields=["suspended_at", "suspended_reason", "is_active"])
    return user
