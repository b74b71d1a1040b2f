"""Commerce fixtures: a marketplace with two sellers' products and a signed-in buyer, made
through the services; checkout through the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum
from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.catalog.models import Product
from core.commerce.models import Order
from core.payments.models import JournalLine
from core.payments.providers.sandbox import SUCCESS_CARD
from core.sellers.models import Seller
from tenants.models import Tenant
from tests.accounts_helpers import call, make_user, sign_in
from tests.catalog_helpers import make_product, make_seller


@dataclass
class Shop:
    tenant: Tenant
    seller_one: Seller
    seller_two: Seller
    editor: Product  # seller one, 20.00 USD
    scanner: Product  # seller two, 15.00 USD
    buyer: User


def make_shop(tenant: Tenant, *, buyer_email: str = "buyer@example.com") -> Shop:
    seller_one = make_seller(tenant, "acme", "Acme Tools")
    seller_two = make_seller(tenant, "bolt", "Bolt Software")
    editor = make_product(tenant, seller_one, "Swift Editor", price=2000)
    scanner = make_product(tenant, seller_two, "Secure Scanner", price=1500)
    buyer = make_user(tenant, buyer_email, full_name="Bea Buyer")
    return Shop(tenant, seller_one, seller_two, editor, scanner, buyer)


def buyer_client(client_for: Any, shop: Shop, email: str | None = None) -> Client:
    client: Client = client_for(shop.tenant)
    response = sign_in(client, email or shop.buyer.email)
    assert response.status_code == 200, response.content
    return client


def add(client: Client, product: Product, quantity: int = 1, **extra: Any) -> Any:
    return call(
        client, "post", "/cart/lines", {"product_id": product.pk, "quantity": quantity, **extra}
    )


def checkout(
    client: Client,
    *,
    key: str | None = None,
    card: str = SUCCESS_CARD,
    country: str = "DE",
    **extra: Any,
) -> Any:
    body = {"country": country, "payment_method": card, **extra}
    return call(client, "post", "/checkout", body, **{"Idempotency-Key": key or uuid.uuid4().hex})


def ledger_totals(tenant: Tenant) -> dict[str, int]:
    """The sum of every journal line per currency: zero when the books balance."""
    with schema_context(tenant.schema_name):
        rows = JournalLine.objects.values("currency").annotate(total=Sum("amount"))
        return {row["currency"]: int(row["total"]) for row in rows}


def account_balance(tenant: Tenant, account: str, currency: str = "USD") -> int:
    with schema_context(tenant.schema_name):
        total = JournalLine.objects.filter(account=account, currency=currency).aggregate(
            total=Sum("amount")
        )["total"]
        return int(total or 0)


def order_of(tenant: Tenant, order_id: int) -> Order:
    with schema_context(tenant.schema_name):
        return Order.objects.get(pk=order_id)


def bearer_client(client_for: Any, tenant: Tenant, user: User) -> Client:
    """A client authenticating with a personal access token (no sign-in, no session)."""
    from core.accounts.services.tokens import create_token

    with schema_context(tenant.schema_name):
        issued = create_token(
            user=user,
            name=f"tests {uuid.uuid4().hex[:8]}",
            scopes=["read", "write"],
            expires_at=None,
            is_two_factor_verified=False,
        )
    client: Client = client_for(tenant)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {issued.raw}"
    return client


def new_key() -> str:
    return uuid.uuid4().hex
