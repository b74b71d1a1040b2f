"""Payment providers behind one interface; ``get_provider()`` answers the configured one."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

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
    "get_provider",
]

PROVIDERS = {
    "sandbox": "core.payments.providers.sandbox.SandboxProvider",
    "stripe": "core.payments.providers.stripe.StripeProvider",
}


@cache
def _load(key: str) -> PaymentProvider:
    provider: PaymentProvider = import_string(PROVIDERS[key])()
    return provider


def get_provider(key: str | None = None) -> PaymentProvider:
    return _load(key or settings.SOUK_PAYMENT_PROVIDER)
