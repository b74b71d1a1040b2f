"""Profile changes, password changes and account deletion."""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import User
from core.accounts.services.tokens import revoke_all_tokens
from core.accounts.validation import check_password_strength, clean_name
from core.errors import ErrorKind


def update_profile(*, user: User, full_name: str) -> User:
    user.full_name = clean_name(full_name)
    user.save(update_fields=["full_name"])
    return user


def _require_password(user: User, password: str, field: str = "password") -> None:
    if not user.check_password(password):
        raise AccountError(
            AccountErrorCode.PASSWORD_INCORRECT,
            "Your current password is not right.",
            details={"field": field},
            kind=ErrorKind.BAD_REQUEST,
        )


def change_password(
    *,
    request: HttpRequest,
    user: User,
    current_password: str,
    new_password: str,
    keep_access_tokens: bool = False,
) -> User:
    """Other sessions end (their auth hash no longer matches); this one stays signed in.
    Personal access tokens are revoked too, unless the user explicitly keeps them: a changed
    password is often a suspected compromise, and a stolen token would outlive it."""
    _require_password(user, current_password, field="current_password")
    check_password_strength(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        if not keep_access_tokens:
            revoke_all_tokens(user=user)
    update_session_auth_hash(request, user)
    return user


@transaction.atomic
def delete_account(*, user: User, password: str) -> None:
    """Anonymise rather than delete: orders, reviews and the ledger keep pointing at this row,
    which no longer says who it was and can never sign in again."""
    _require_password(user, password)
    revoke_all_tokens(user=user)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.full_name = ""
    user.set_unusable_password()
    user.is_active = False
    user.deleted_at = timezone.now()
    user.two_factor_enabled_at = None
    user.save(
        update_fields=[
            "email",
            "full_name",
            "password",
            "is_active",
            "deleted_at",
            "two_factor_enabled_at",
        ]
    )
    _end_sessions(user)


def _end_sessions(user: User) -> None:
    """Database sessions are not indexed by user; this runs only on rare account events."""
    doomed = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(session_key__in=doomed).delete()
