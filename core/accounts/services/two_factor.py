"""Two-factor authentication with django-otp: TOTP apps plus single-use backup codes.

django-otp's devices throttle failed attempts themselves (growing delays) and a TOTP code is
accepted once only (``last_t``), so a replayed or expired code fails."""

from __future__ import annotations

import io
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import Role, User
from core.errors import ErrorKind

BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"


@dataclass(frozen=True)
class TotpEnrolment:
    device: TOTPDevice
    otpauth_url: str
    qr_svg: str


def has_two_factor(user: User) -> bool:
    return user.has_two_factor


def is_two_factor_required(user: User) -> bool:
    """Staff and operators always; when the marketplace's policy says so, everyone who acts
    as a seller: the seller role, the owner of a seller account (also while onboarding) and
    every member of a seller's team (teammates keep the buyer role)."""
    if user.role in {Role.STAFF, Role.OPERATOR} or user.is_support_agent:
        return True
    tenant = getattr(connection, "tenant", None)
    if not getattr(tenant, "seller_two_factor_required", False):
        return False
    return user.role == Role.SELLER or _acts_for_a_seller(user)


def _acts_for_a_seller(user: User) -> bool:
    """One query over the reverse relations core.sellers declares (``seller``,
    ``seller_memberships``), so accounts need not import the sellers app."""
    if user.pk is None:
        return False
    return (
        User.objects.filter(pk=user.pk)
        .filter(Q(seller__isnull=False) | Q(seller_memberships__isnull=False))
        .exists()
    )


@transaction.atomic
def start_totp_enrolment(*, user: User) -> TotpEnrolment:
    """A new unconfirmed device (replacing an unconfirmed one); confirmed by a first code."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise AccountError(
            AccountErrorCode.TWO_FACTOR_ALREADY_ENABLED,
            "Two-factor authentication is already on. Turn it off first to enrol a new app.",
            kind=ErrorKind.CONFLICT,
        )
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    url = device.config_url
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return TotpEnrolment(device=device, otpauth_url=url, qr_svg=buffer.getvalue().decode())


def confirm_totp_enrolment(*, user: User, code: str) -> list[str]:
    """Turns two-factor on; returns the backup codes, shown this once. A wrong code is
    counted (throttled) before the error is raised."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise AccountError(
            AccountErrorCode.TWO_FACTOR_NOT_ENABLED,
            "Start enrolment first.",
            kind=ErrorKind.CONFLICT,
        )
    with transaction.atomic():
        is_right = device.verify_token(_digits(code))
    if not is_right:
        raise AccountError(
            AccountErrorCode.OTP_INVALID,
            "That code is not right; check your app's clock and try the newest code.",
            details={"field": "code"},
            kind=ErrorKind.BAD_REQUEST,
        )
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        user.two_factor_enabled_at = timezone.now()
        user.save(update_fields=["two_factor_enabled_at"])
        return regenerate_backup_codes(user=user)


@transaction.atomic
def regenerate_backup_codes(*, user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify_second_factor(*, user: User, code: str) -> Device:
    """The device that accepted the code; an authenticator code or an unused backup code.

    django-otp locks the devices it checks (select_for_update), so this opens its own
    transaction; the error for a wrong code is raised after it commits, so the devices'
    failure counters (django-otp's growing delay) are kept, not rolled back with the error."""
    code = code.strip().replace(" ", "")
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(_digits(code) if isinstance(device, TOTPDevice) else code):
                return device
    raise AccountError(
        AccountErrorCode.OTP_INVALID,
        "That code is not right, was already used, or too many attempts were made; wait a "
        "moment and try a fresh code.",
        details={"field": "code"},
        kind=ErrorKind.BAD_REQUEST,
    )


@transaction.atomic
def disable_two_factor(*, user: User, password: str) -> None:
    if not user.check_password(password):
        raise AccountError(
            AccountErrorCode.PASSWORD_INCORRECT,
            "Your password is needed to turn two-factor authentication off.",
            details={"field": "password"},
            kind=ErrorKind.BAD_REQUEST,
        )
    if is_two_factor_required(user):
        raise AccountError(
            AccountErrorCode.TWO_FACTOR_REQUIRED,
            "Your role requires two-factor authentication; it cannot be turned off.",
            kind=ErrorKind.CONFLICT,
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    user.two_factor_enabled_at = None
    user.save(update_fields=["two_factor_enabled_at"])


def _digits(code: str) -> str:
    return "".join(char for char in code if char.isdigit())
