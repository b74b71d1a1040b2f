"""Account e-mails. Sent after the transaction commits, so a rolled-back change mails nobody."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import connection, transaction

from core.accounts.models import User


def _marketplace_name() -> str:
    tenant = getattr(connection, "tenant", None)
    return str(getattr(tenant, "name", "") or "Souk")


def send_account_mail(*, to: str, subject: str, body: str) -> None:
    name = _marketplace_name()
    transaction.on_commit(
        lambda: send_mail(f"[{name}] {subject}", body, None, [to], fail_silently=False)
    )


def send_verification_email(*, user: User, link: str) -> None:
    send_account_mail(
        to=user.email,
        subject="Confirm your e-mail address",
        body=f"Welcome! Confirm your e-mail address by opening this link:\n\n{link}\n\n"
        "The link works for 3 days. If you did not sign up, ignore this message.",
    )


def send_password_reset_email(*, user: User, link: str) -> None:
    send_account_mail(
        to=user.email,
        subject="Reset your password",
        body=f"Someone asked to reset the password of this account. To choose a new one, open:"
        f"\n\n{link}\n\nIf it was not you, ignore this message; your password is unchanged.",
    )


def send_lockout_notice(*, user: User, what: str) -> None:
    send_account_mail(
        to=user.email,
        subject="Too many attempts on your account",
        body=f"We paused {what} on your account after too many failed attempts. If this was "
        "not you, reset your password and turn on two-factor authentication.",
    )


def send_suspension_notice(*, user: User, reason: str) -> None:
    send_account_mail(
        to=user.email,
        subject="Your account has been suspended",
        body=f"Your account on this marketplace has been suspended.\n\nReason: {reason}\n\n"
        "Reply to this e-mail to contact the marketplace's operators.",
    )
