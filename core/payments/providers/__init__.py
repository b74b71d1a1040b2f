"""Payment providers behind one interface; ``get_provider()`` answers the configured one."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from core.errors import ErrorKind
from core.payments.errors import PaymentError, PaymentErrorCode
from core.payments.providers.base import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    PaymentEvent,
    PaymentEventKind,
    PaymentProvider,
    RefundResult,
    TransferResult,
)

__all__ = [
    "ChargeRequest",
    "ChargeResult",
    "ChargeStatus",
    "PaymentEvent",
    "PaymentEventKind",
    "PaymentProvider",
    "RefundResult",
    "TransferResult",
    "checkout_providers",
    "choose_checkout_provider",
    "get_provider",
]

PROVIDERS = {
    "sandbox": "core.payments.providers.sandbox.SandboxProvider",
    "stripe": "core.payments.providers.stripe.StripeProvider",
    "paypal": "core.payments.providers.paypal.PayPalProvider",
}
# What buyers see for each provider they may choose at checkout.
PROVIDER_LABELS = {"sandbox": "Card (test mode)", "stripe": "Card", "paypal": "PayPal"}


@cache
def _load(key: str) -> PaymentProvider:
    provider: PaymentProvider = import_string(PROVIDERS[key])()
    return provider


def get_provider(key: str | None = None) -> PaymentProvider:
    return _load(key or settings.SOUK_PAYMENT_PROVIDER)


def checkout_providers() -> tuple[str, ...]:
    """The providers a buyer of this marketplace may pay with, the default first: the
    deployment's card provider, then PayPal when the marketplace's operators turned it on."""
    from core.payments.providers.paypal_settings import is_paypal_enabled

    default = settings.SOUK_PAYMENT_PROVIDER
    return (default, "paypal") if default != "paypal" and is_paypal_enabled() else (default,)


def choose_checkout_provider(requested: str, *, is_recurring: bool) -> str:
    """The provider a checkout pays with (empty: the default). An unknown or disabled choice,
    or PayPal for a cart with a subscription (renewals need a card kept at the provider), is a
    field error on ``provider``."""
    offered = checkout_providers()
    key = requested.strip().lower() or offered[0]
    if key not in offered:
        raise PaymentError(
            PaymentErrorCode.PROVIDER_UNAVAILABLE,
            f"Choose one of: {', '.join(offered)}.",
            details={"field": "provider", "offered": list(offered)},
            kind=ErrorKind.INVALID,
        )
    if is_recurring and key == "paypal":
        raise PaymentError(
            PaymentErrorCode.PROVIDER_UNAVAILABLE,
            "Subscriptions are paid by card: PayPal cannot renew them here.",
            details={"field": "provider", "offered": [offered[0]]},
            kind=ErrorKind.INVALID,
        )
    return key
