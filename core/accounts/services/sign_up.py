"""Sign-up and e-mail verification."""

from __future__ import annotations

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.accounts import throttles
from core.accounts.emails import send_verification_email
from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import Role, User
from core.accounts.validation import check_password_strength, clean_name, clean_registrable_email
from core.errors import ErrorKind
from core.schema import current_schema_name

VERIFICATION_SALT = "souk.accounts.verify-email"
VERIFICATION_MAX_AGE = 3 * 24 * 3600


def sign_up(*, email: str, password: str, full_name: str = "", base_url: str, ip: str) -> User:
    """A buyer account; sellers start as buyers and apply through onboarding."""
    throttles.throttle_sign_up(ip=ip)
    email = clean_registrable_email(email)
    full_name = clean_name(full_name)
    check_password_strength(password, user=User(email=email, full_name=full_name))
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password, full_name=full_name, role=Role.BUYER)
            send_verification_email(user=user, link=verification_link(user, base_url))
    except IntegrityError:
        raise AccountError(
            AccountErrorCode.EMAIL_TAKEN,
            "An account with this e-mail address already exists; sign in or reset your password.",
            details={"field": "email"},
            kind=ErrorKind.CONFLICT,
        ) from None
    return user


def make_verification_token(user: User) -> str:
    # The schema is part of the signed payload: a token from one marketplace means nothing on
    # another, even for a user with the same id there.
    return signing.dumps(
        {"u": user.pk, "e": user.email, "s": current_schema_name()}, salt=VERIFICATION_SALT
    )


def verification_link(user: User, base_url: str) -> str:
    return f"{base_url}/accounts/verify/{make_verification_token(user)}/"


def resend_verification(*, user: User, base_url: str) -> None:
    throttles.throttle_verification_mail(user=user)
    if not user.is_email_verified:
        send_verification_email(user=user, link=verification_link(user, base_url))


def verify_email(*, token: str) -> User:
    invalid = AccountError(
        AccountErrorCode.VERIFICATION_INVALID,
        "This confirmation link is invalid or has expired; ask for a new one.",
        details={"field": "token"},
        kind=ErrorKind.BAD_REQUEST,
    )
    try:
        payload = signing.loads(token, salt=VERIFICATION_SALT, max_age=VERIFICATION_MAX_AGE)
    except signing.BadSignature:
        raise invalid from None
    if not isinstance(payload, dict) or payload.get("s") != current_schema_name():
        raise invalid
    user_id, email = payload.get("u"), payload.get("e")
    if not isinstance(user_id, int) or not isinstance(email, str):
        raise invalid
    user = User.objects.filter(pk=user_id, email=email).first()
    if user is None:
        raise invalid
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user
