"""PayPal test fixtures: the local server playing PayPal's API (tests/paypal_server.py), a
marketplace with its PayPal app turned on, and the steps a buyer takes (checkout with PayPal,
approve at PayPal, come back) and PayPal takes (webhook deliveries)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from core.commerce.models import Payment
from core.payments.providers.paypal_client import forget_tokens
from core.payments.providers.paypal_settings import save_paypal_settings
from tenants.models import Tenant
from tests.accounts_helpers import call
from tests.paypal_server import PayPalServer

WEBHOOK_PATH = "/api/v1/payments/paypal/webhook"


@pytest.fixture(scope="session")
def paypal_server() -> Iterator[PayPalServer]:
    server = PayPalServer()
    yield server
    server.close()


@pytest.fixture
def paypal(paypal_server: PayPalServer, settings: Any) -> Iterator[PayPalServer]:
    paypal_server.reset()
    forget_tokens()
    settings.PAYPAL_API_BASE = paypal_server.url
    yield paypal_server
    forget_tokens()


@dataclass(frozen=True)
class PayPalApp:
    client_id: str
    webhook_id: str


def enable_paypal(tenant: Tenant, server: PayPalServer, *, is_enabled: bool = True) -> PayPalApp:
    client_id, secret = server.add_app()
    webhook_id = f"WH{uuid.uuid4().hex[:15].upper()}"
    with schema_context(tenant.schema_name):
        save_paypal_settings(
            is_enabled=is_enabled,
            is_live=False,
            client_id=client_id,
            client_secret=secret,
            webhook_id=webhook_id,
        )
    return PayPalApp(client_id, webhook_id)


def paypal_checkout(client: Client, *, key: str | None = None, **extra: Any) -> Any:
    body = {"country": "DE", "payment_method": "", "provider": "paypal", **extra}
    return call(client, "post", "/checkout", body, **{"Idempotency-Key": key or uuid.uuid4().hex})


def paypal_order_id(response: Any) -> str:
    url = response.json()["payment"]["action_url"]
    return str(url.rsplit("token=", 1)[1])


def come_back(client: Client, token: str) -> Any:
    return client.get(f"/checkout/paypal/return/?token={token}&PayerID=BUYERPAYER1")


def deliver(
    client: Client, server: PayPalServer, body: bytes, *, webhook_id: str, tamper: bool = False
) -> Any:
    headers = server.signed_headers(body, webhook_id=webhook_id)
    if tamper:
        body = body.replace(b'"value": "', b'"value": "9')
    meta: dict[str, Any] = headers  # WSGI environ keys, as the Client's **extra takes them
    return client.post(WEBHOOK_PATH, body, content_type="application/json", **meta)


def payment_of(tenant: Tenant, order_id: int) -> Payment:
    with schema_context(tenant.schema_name):
        return Payment.objects.filter(order_id=order_id).order_by("-id").first()  # type: ignore[return-value]
