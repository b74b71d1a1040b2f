"""Password reset by e-mail, without revealing which addresses have accounts."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from core.accounts import throttles
from core.accounts.emails import send_password_reset_email
from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import User
from core.accounts.services.tokens import revoke_all_tokens
from core.accounts.validation import check_password_strength, clean_email
from core.errors import ErrorKind


def request_password_reset(*, email: str, base_url: str, ip: str) -> None:
    """Mails a link if the address has an active account; silent otherwise."""
    throttles.throttle_password_reset(ip=ip, email=email)
    user = User.objects.filter(email=clean_email(email), is_active=True).first()
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    send_password_reset_email(user=user, link=f"{base_url}/accounts/reset/{uid}/{token}/")


def reset_password(*, uid: str, token: str, new_password: str) -> User:
    """The token is bound to the user's current password hash and last login, so it stops
    working once used (and it cannot cross marketplaces: hashes are salted per account)."""
    invalid = AccountError(
        AccountErrorCode.RESET_INVALID,
        "This reset link is invalid or was already used; ask for a new one.",
        details={"field": "token"},
        kind=ErrorKind.BAD_REQUEST,
    )
    try:
        user_id = int(urlsafe_base64_decode(uid).decode())
    except (ValueError, UnicodeDecodeError):
        raise invalid from None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        raise invalid
    check_password_strength(new_password, user=user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        # Other sessions end: their auth hash was derived from the old password hash.
        user.save(update_fields=["password"])
        # Whoever made the reset necessary may hold a token too: every token dies with it.
        revoke_all_tokens(user=user)
    return user
