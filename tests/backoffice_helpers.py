"""Shared by the back-office money and dashboard tests: people of each role, and a paid
order (through the checkout API, payment captured and fulfilled on commit)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from tenants.models import Tenant
from tests.accounts_helpers import PASSWORD, call, make_user, sign_in, signed_in_operator
from tests.commerce_helpers import Shop, add, bearer_client, checkout, new_key


def operator(client_for: Any, tenant: Tenant) -> Client:
    client, _ = signed_in_operator(client_for, tenant)
    return client


def signed_in_as(client_for: Any, tenant: Tenant, email: str, role: str = Role.BUYER) -> Client:
    with schema_context(tenant.schema_name):
        exists = User.objects.filter(email=email).exists()
    if not exists:
        make_user(tenant, email, role=role)
    client: Client = client_for(tenant)
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def refusals(client_for: Any, tenant: Tenant, shop: Shop, path: str) -> dict[str, Any]:
    """How the page answers someone who is not a signed-in operator with two-factor."""
    seller = client_for(tenant)
    assert sign_in(seller, shop.seller_one.owner.email).status_code == 200
    return {
        "anonymous": client_for(tenant).get(path),
        "buyer": signed_in_as(client_for, tenant, "ann@example.com").get(path),
        "seller": seller.get(path),
        "operator_without_2fa": signed_in_as(
            client_for, tenant, "op-no-2fa@example.com", Role.OPERATOR
        ).get(path),
    }


def assert_refused(answers: dict[str, Any], path: str) -> None:
    assert answers["anonymous"].status_code == 302
    assert answers["anonymous"]["Location"] == f"/accounts/login/?next={path}"
    for who in ("buyer", "seller", "operator_without_2fa"):
        assert answers[who].status_code == 403, who


def paid_order(
    client_for: Any, shop: Shop, capture: Any, *products: Any, buyer: User | None = None
) -> dict[str, Any]:
    client = bearer_client(client_for, shop.tenant, buyer or shop.buyer)
    for product in products:
        add(client, product)
    with capture(execute=True):
        response = checkout(client)
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def refund(client: Client, order_id: int, body: dict[str, Any], capture: Any) -> Any:
    with capture(execute=True):
        return call(
            client,
            "post",
            f"/operator/commerce/orders/{order_id}/refunds",
            body,
            **{"Idempotency-Key": new_key()},
        )
