"""Abuse limits on the identity endpoints (pages and API alike), per IP and per account.
Rates are settings (``SOUK_RATES``) so an operator of the platform can tune them.

IP buckets key on ``ratelimit.ip_bucket_key`` (an IPv6 client per /64); account buckets on
the e-mail as sign-in reads it (``normalise_email``), so a full-width or upper-case variant of
an address is the same bucket as the address."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from core import ratelimit
from core.accounts.emails import send_lockout_notice
from core.accounts.models import User
from core.accounts.validation import normalise_email

DEFAULT_RATES = {
    "login_ip": "30/10m",
    "login_account": "10/15m",
    "otp_ip": "30/10m",
    "otp_account": "6/5m",
    "password_reset_ip": "10/h",
    "password_reset_email": "3/h",
    "signup_ip": "10/h",
    "verification_mail": "3/h",
    # Team invitations mail any address: per inviting user, and per seller for all its people.
    "team_invitation_user": "10/h",
    "team_invitation_seller": "30/d",
    "signup_tenant": "300/h",
    # The platform's "open your marketplace" form: each one takes a warm-pool schema.
    "open_marketplace_ip": "5/h",
    "open_marketplace_all": "60/h",
    "owner_verification_mail": "3/h",
    "api_principal": "600/m",
    "api_anonymous_ip": "300/m",
    "api_tenant": "6000/m",
}


def rate(name: str) -> ratelimit.Rate:
    configured: dict[str, str] = getattr(settings, "SOUK_RATES", {})
    return ratelimit.Rate.parse(configured.get(name, DEFAULT_RATES[name]))


def throttle_login(*, ip: str, email: str) -> None:
    ratelimit.check(scope="login_ip", key=ratelimit.ip_bucket_key(ip), rate=rate("login_ip"))
    try:
        ratelimit.check(
            scope="login_account", key=normalise_email(email), rate=rate("login_account")
        )
    except ratelimit.RateLimited:
        _notify_lockout(email, what="signing in")
        raise


def forget_failed_logins(*, email: str) -> None:
    """A successful sign-in clears the account's bucket: only failures add up to a lockout."""
    ratelimit.reset(scope="login_account", key=normalise_email(email))


def throttle_verification_mail(*, user: User) -> None:
    ratelimit.check(scope="verification_mail", key=str(user.pk), rate=rate("verification_mail"))


def throttle_otp(*, ip: str, user: User) -> None:
    ratelimit.check(scope="otp_ip", key=ratelimit.ip_bucket_key(ip), rate=rate("otp_ip"))
    try:
        ratelimit.check(scope="otp_account", key=str(user.pk), rate=rate("otp_account"))
    except ratelimit.RateLimited:
        _notify_lockout(user.email, what="two-factor codes")
        raise


def throttle_password_reset(*, ip: str, email: str) -> None:
    ratelimit.check_in_order(
        ratelimit.Bucket(
            scope="password_reset_ip",
            key=ratelimit.ip_bucket_key(ip),
            rate=rate("password_reset_ip"),
        ),
        ratelimit.Bucket(
            scope="password_reset_email",
            key=normalise_email(email),
            rate=rate("password_reset_email"),
        ),
    )


def throttle_sign_up(*, ip: str) -> None:
    ratelimit.check_in_order(
        ratelimit.Bucket(
            scope="signup_ip", key=ratelimit.ip_bucket_key(ip), rate=rate("signup_ip")
        ),
        ratelimit.Bucket(scope="signup_tenant", key="all", rate=rate("signup_tenant")),
    )


def _notify_lockout(email: str, *, what: str) -> None:
    """One notice per account per hour, however long the attack goes on."""
    user = User.objects.filter(email=normalise_email(email), is_active=True).first()
    if user is not None and cache.add(f"lockout-notice:{user.pk}:{hash(what)}", 1, 3600):
        send_lockout_notice(user=user, what=what)
