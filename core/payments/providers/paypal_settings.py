"""The marketplace's PayPal app as its operators set it: whether buyers may pay with PayPal,
sandbox or live, the REST app's client id and secret (encrypted at rest) and the id PayPal gave
the webhook pointing at this marketplace (needed to verify deliveries)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core import crypto
from core.errors import ErrorKind
from core.payments.errors import PaymentError, PaymentErrorCode
from core.payments.models import PayPalAccount
from core.payments.providers.paypal_client import (
    LIVE_API_BASE,
    SANDBOX_API_BASE,
    PayPalCredentials,
    forget_tokens,
)

PROVIDER = "paypal"
SETTINGS_CACHE_KEY = "paypal-settings"
SETTINGS_CACHE_SECONDS = 300


@dataclass(frozen=True)
class PayPalSettings:
    is_enabled: bool
    is_live: bool
    client_id: str
    has_secret: bool
    webhook_id: str

    @property
    def is_complete(self) -> bool:
        return bool(self.client_id and self.has_secret and self.webhook_id)


def paypal_account() -> PayPalAccount | None:
    return PayPalAccount.objects.filter(pk=1).first()


def paypal_settings() -> PayPalSettings:
    """Cached per marketplace (the cache's key function prefixes the schema), so offering
    the choice at checkout costs no query; ``save_paypal_settings`` forgets it."""
    cached: PayPalSettings | None = cache.get(SETTINGS_CACHE_KEY)
    if cached is not None:
        return cached
    current = _settings_of(paypal_account())
    cache.set(SETTINGS_CACHE_KEY, current, SETTINGS_CACHE_SECONDS)
    return current


def _settings_of(account: PayPalAccount | None) -> PayPalSettings:
    if account is None:
        return PayPalSettings(False, False, "", False, "")
    return PayPalSettings(
        is_enabled=account.is_enabled,
        is_live=account.is_live,
        client_id=account.client_id,
        has_secret=bool(account.client_secret_encrypted),
        webhook_id=account.webhook_id,
    )


def is_paypal_enabled() -> bool:
    """Whether buyers of this marketplace may choose PayPal at checkout."""
    current = paypal_settings()
    return current.is_enabled and current.is_complete


def api_base(*, is_live: bool) -> str:
    """PayPal's live or sandbox API; ``PAYPAL_API_BASE`` points every marketplace at a local
    server instead (tests and development only)."""
    override: str = getattr(settings, "PAYPAL_API_BASE", "")
    return override or (LIVE_API_BASE if is_live else SANDBOX_API_BASE)


def paypal_approval_origins() -> tuple[str, ...]:
    """Where the checkout's answer may send the buyer to approve (CSP form-action): PayPal's
    site, or the local server playing it."""
    if not is_paypal_enabled():
        return ()
    override: str = getattr(settings, "PAYPAL_API_BASE", "")
    if override:
        parts = urlsplit(override)
        port = f":{parts.port}" if parts.port else ""
        return (f"{parts.scheme}://{(parts.hostname or '').lower()}{port}",)
    live = paypal_settings().is_live
    return ("https://www.paypal.com" if live else "https://www.sandbox.paypal.com",)


def _not_configured() -> PaymentError:
    return PaymentError(
        PaymentErrorCode.PROVIDER_UNAVAILABLE,
        "PayPal is not set up on this marketplace.",
        details={"field": "provider", "provider": PROVIDER},
        kind=ErrorKind.INVALID,
    )


def credentials() -> PayPalCredentials:
    account = paypal_account()
    if account is None or not (account.client_id and account.client_secret_encrypted):
        raise _not_configured()
    return PayPalCredentials(
        api_base=api_base(is_live=account.is_live),
        client_id=account.client_id,
        client_secret=crypto.decrypt(account.client_secret_encrypted),
    )


def webhook_id() -> str:
    account = paypal_account()
    return account.webhook_id if account is not None else ""


@transaction.atomic
def save_paypal_settings(
    *, is_enabled: bool, is_live: bool, client_id: str, client_secret: str, webhook_id: str
) -> PayPalSettings:
    """An empty ``client_secret`` keeps the stored one (forms never show it back). Turning
    PayPal on needs all three of client id, secret and webhook id."""
    account, _ = PayPalAccount.objects.select_for_update().get_or_create(pk=1)
    account.client_id = client_id.strip()
    account.webhook_id = webhook_id.strip()
    account.is_live = is_live
    if client_secret.strip():
        account.client_secret_encrypted = crypto.encrypt(client_secret.strip())
    missing = [
        field
        for field, value in (
            ("client_id", account.client_id),
            ("client_secret", account.client_secret_encrypted),
            ("webhook_id", account.webhook_id),
        )
        if not value
    ]
    if is_enabled and missing:
        raise PaymentError(
            PaymentErrorCode.PROVIDER_UNAVAILABLE,
            "PayPal needs the app's client id, secret and webhook id before it can be on.",
            details={"field": missing[0], "missing": missing},
            kind=ErrorKind.INVALID,
        )
    account.is_enabled = is_enabled
    account.save()
    cache.delete(SETTINGS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(SETTINGS_CACHE_KEY))
    transaction.on_commit(forget_tokens)
    return _settings_of(account)
