"""Signing in and out, with the second step for accounts that have two-factor on.

Password changes, suspension and deletion end other sessions by themselves: Django checks the
session's auth hash (derived from the password hash) and the account's is_active on every
request."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest
from django_otp import login as otp_login

from core.accounts import throttles
from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import User
from core.accounts.services.two_factor import has_two_factor, verify_second_factor
from core.accounts.validation import clean_email
from core.errors import ErrorKind
from core.ratelimit import client_ip

PENDING_LOGIN_KEY = "souk_pending_login"
PENDING_LOGIN_SECONDS = 300
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass(frozen=True)
class LoginOutcome:
    status: Literal["signed_in", "otp_required"]
    user: User


def check_credentials(*, request: HttpRequest, email: str, password: str) -> User:
    email = clean_email(email)
    user = authenticate(request, username=email, password=password)
    if isinstance(user, User):
        return user
    # Only someone who knows the password learns that the account is suspended.
    suspended = User.objects.filter(email=email, is_active=False, suspended_at__isnull=False)
    candidate = suspended.first()
    if candidate is not None and candidate.check_password(password):
        raise AccountError(
            AccountErrorCode.ACCOUNT_SUSPENDED,
            "This account is suspended. Contact the marketplace for help.",
            kind=ErrorKind.FORBIDDEN,
        )
    raise AccountError(
        AccountErrorCode.INVALID_CREDENTIALS,
        "The e-mail address or password is not right.",
        kind=ErrorKind.UNAUTHENTICATED,
    )


def sign_in_with_password(*, request: HttpRequest, email: str, password: str) -> LoginOutcome:
    """Rate-limited per IP and per account; only failures count towards a lockout."""
    throttles.throttle_login(ip=client_ip(request), email=email)
    user = check_credentials(request=request, email=email, password=password)
    throttles.forget_failed_logins(email=email)
    return begin_login(request=request, user=user)


def begin_login(*, request: HttpRequest, user: User) -> LoginOutcome:
    """Signs in, or - when the account has a second factor - remembers the half-done login
    in the session and asks for the code."""
    if has_two_factor(user):
        request.session.cycle_key()
        request.session[PENDING_LOGIN_KEY] = {"user": user.pk, "at": int(time.time())}
        return LoginOutcome(status="otp_required", user=user)
    login(request, user, backend=MODEL_BACKEND)
    return LoginOutcome(status="signed_in", user=user)


def pending_login_user(request: HttpRequest) -> User:
    pending = request.session.get(PENDING_LOGIN_KEY)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_LOGIN_SECONDS:
        raise AccountError(
            AccountErrorCode.NO_PENDING_LOGIN,
            "Sign in with your e-mail and password first (the code step expires after 5 minutes).",
            kind=ErrorKind.BAD_REQUEST,
        )
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        raise AccountError(
            AccountErrorCode.NO_PENDING_LOGIN, "Sign in again.", kind=ErrorKind.BAD_REQUEST
        )
    return user


def complete_login(*, request: HttpRequest, code: str) -> User:
    user = pending_login_user(request)
    throttles.throttle_otp(ip=client_ip(request), user=user)
    device = verify_second_factor(user=user, code=code)
    login(request, user, backend=MODEL_BACKEND)
    otp_login(request, device)
    request.session.pop(PENDING_LOGIN_KEY, None)
    return user


def log_out(*, request: HttpRequest) -> None:
    logout(request)
