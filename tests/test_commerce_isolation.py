"""Commerce across tenants and users: orders, sub-orders, refunds, payouts and carts of one
marketplace do not exist on another, and inside one marketplace every object answers 404 to
anyone but its owner."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import Order
from core.payments import ledger
from tests.accounts_helpers import call, make_user, sign_in
from tests.commerce_helpers import add, bearer_client, checkout, make_shop, new_key


@pytest.fixture
def two_shops(tenant_a, tenant_b):
    return make_shop(tenant_a), make_shop(tenant_b)


def test_an_order_of_tenant_a_does_not_exist_on_tenant_b(two_shops, client_for):
    shop_a, shop_b = two_shops
    buyer_a = bearer_client(client_for, shop_a.tenant, shop_a.buyer)
    add(buyer_a, shop_a.editor)
    order_id = checkout(buyer_a).json()["id"]

    buyer_b = bearer_client(client_for, shop_b.tenant, shop_b.buyer)
    assert call(buyer_b, "get", f"/orders/{order_id}").status_code == 404
    assert call(buyer_b, "get", "/orders").json()["items"] == []
    # Tenant A's token is worthless on tenant B's host.
    stolen = client_for(shop_b.tenant)
    stolen.defaults["HTTP_AUTHORIZATION"] = buyer_a.defaults["HTTP_AUTHORIZATION"]
    assert call(stolen, "get", f"/orders/{order_id}").status_code == 401
    with schema_context(shop_b.tenant.schema_name):
        assert not Order.objects.exists()
        assert ledger.balance(ledger.PROVIDER_CASH, "USD").amount == 0


def test_a_cart_of_tenant_a_is_not_the_cart_on_tenant_b(two_shops, client_for):
    shop_a, shop_b = two_shops
    visitor = client_for(shop_a.tenant)
    add(visitor, shop_a.editor)
    assert len(call(visitor, "get", "/cart").json()["quote"]["lines"]) == 1
    other = client_for(shop_b.tenant)
    other.cookies = visitor.cookies  # host-only cookies would not be sent; even if they were
    assert call(other, "get", "/cart").json()["quote"] is None


def test_another_buyer_gets_404_for_my_order_and_cannot_pay_or_cancel_it(two_shops, client_for):
    shop, _ = two_shops
    mine = bearer_client(client_for, shop.tenant, shop.buyer)
    add(mine, shop.editor)
    order_id = checkout(mine, card="4000000000000002").json()["error"]["details"]["order_id"]
    stranger = bearer_client(client_for, shop.tenant, make_user(shop.tenant, "s@example.com"))

    assert call(stranger, "get", f"/orders/{order_id}").status_code == 404
    paid = call(
        stranger,
        "post",
        f"/orders/{order_id}/pay",
        {"payment_method": "4242424242424242"},
        **{"Idempotency-Key": new_key()},
    )
    assert paid.status_code == 404
    assert call(stranger, "post", f"/orders/{order_id}/cancel").status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.get(pk=order_id).status == "pending_payment"


def test_buyers_and_sellers_cannot_use_operator_commerce_endpoints(two_shops, client_for):
    shop, _ = two_shops
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    add(buyer, shop.editor)
    order_id = checkout(buyer).json()["id"]
    seller = client_for(shop.tenant)
    sign_in(seller, shop.seller_one.owner.email)
    for client in (buyer, seller):
        assert call(client, "get", "/operator/commerce/orders").status_code == 403
        refund = call(
            client,
            "post",
            f"/operator/commerce/orders/{order_id}/refunds",
            {},
            **{"Idempotency-Key": new_key()},
        )
        assert refund.status_code == 403
        assert call(client, "get", "/operator/payouts/ledger").status_code == 403
    assert call(buyer, "get", "/seller/orders").status_code == 403


def test_a_seller_sees_only_their_sub_orders(two_shops, client_for):
    shop, _ = two_shops
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    add(buyer, shop.editor)
    add(buyer, shop.scanner)
    checkout(buyer)
    acme = client_for(shop.tenant)
    sign_in(acme, shop.seller_one.owner.email)
    items = call(acme, "get", "/seller/orders").json()["items"]
    assert [item["seller"]["slug"] for item in items] == ["acme"]
    assert [item["total"]["amount"] for item in items] == [2000]
