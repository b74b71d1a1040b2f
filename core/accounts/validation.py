"""Checks of identity input: e-mail addresses, names and passwords."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import User
from core.errors import ErrorKind

# Characters that make a name display as something else: bidi overrides and invisible joiners.
_DECEPTIVE = {
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u180e",
}


def normalise_email(raw: str) -> str:
    """The one spelling of an address: NFKC (full-width and compatibility characters become
    plain ones), trimmed, lower-cased. Sign-in looks accounts up by it and the rate limits key
    on it, so variants of one address are one account and one bucket."""
    return unicodedata.normalize("NFKC", raw).strip().lower()


def clean_email(raw: str, *, field: str = "email") -> str:
    email = normalise_email(raw)
    if any(char in _DECEPTIVE or unicodedata.category(char) == "Cc" for char in email):
        raise AccountError(
            AccountErrorCode.INVALID_EMAIL,
            "The e-mail address contains invisible or control characters.",
            details={"field": field},
            kind=ErrorKind.INVALID,
        )
    try:
        validate_email(email)
    except ValidationError:
        raise AccountError(
            AccountErrorCode.INVALID_EMAIL,
            "Enter a valid e-mail address.",
            details={"field": field},
            kind=ErrorKind.INVALID,
        ) from None
    return email


def support_email_domain() -> str:
    """Platform support's identities inside a marketplace live under this domain, which no one
    can register: an account there is always a support agent made by the platform."""
    return f"support.{settings.PLATFORM_DOMAIN}".lower()


def support_agent_email(staff_id: int) -> str:
    return f"support+{staff_id}@{support_email_domain()}"


def is_reserved_email(email: str) -> bool:
    domain = email.rsplit("@", 1)[-1].lower().rstrip(".")
    reserved = support_email_domain()
    return domain == reserved or domain.endswith(f".{reserved}")


def clean_registrable_email(raw: str, *, field: str = "email") -> str:
    """An address a person may register with: valid, and not under the support domain."""
    email = clean_email(raw, field=field)
    if is_reserved_email(email):
        raise AccountError(
            AccountErrorCode.EMAIL_RESERVED,
            "Addresses under this domain are reserved for the platform's support staff.",
            details={"field": field},
            kind=ErrorKind.INVALID,
        )
    return email


def clean_name(raw: str, *, field: str = "full_name") -> str:
    name = " ".join(unicodedata.normalize("NFKC", raw).split())
    if len(name) > 150:
        raise AccountError(
            AccountErrorCode.INVALID_NAME,
            "Names can be at most 150 characters.",
            details={"field": field},
            kind=ErrorKind.INVALID,
        )
    if any(char in _DECEPTIVE or unicodedata.category(char) in {"Cc", "Cf"} for char in name):
        raise AccountError(
            AccountErrorCode.INVALID_NAME,
            "The name contains invisible, control or direction-changing characters.",
            details={"field": field},
            kind=ErrorKind.INVALID,
        )
    return name


def check_password_strength(password: str, *, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(
            AccountErrorCode.WEAK_PASSWORD,
            " ".join(exc.messages),
            details={"field": field, "problems": exc.messages},
            kind=ErrorKind.INVALID,
        ) from None
