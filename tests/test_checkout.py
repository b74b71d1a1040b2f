"""Cart to paid order: lines from two sellers, one order with a sub-order per seller, the
sandbox card outcomes, the ledger and the fulfilment hooks."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.commerce.errors import CommerceErrorCode
from core.commerce.models import LineStatus, Order, OrderStatus, Payment, SubOrder
from core.payments import ledger
from core.payments.models import JournalEntry
from core.payments.providers.sandbox import (
    DECLINED_CARD,
    INSUFFICIENT_FUNDS_CARD,
    SUCCESS_CARD,
    THREE_D_SECURE_CARD,
    THREE_D_SECURE_CODE,
)
from tests.accounts_helpers import call, make_user
from tests.catalog_helpers import make_product
from tests.commerce_helpers import (
    account_balance,
    add,
    bearer_client,
    buyer_client,
    checkout,
    ledger_totals,
    make_shop,
)
from tests.testmodules.alpha.models import FulfilmentRecord


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def test_cart_from_two_sellers_checks_out_into_one_order_with_sub_orders(
    shop, client_for, django_capture_on_commit_callbacks
):
    client = buyer_client(client_for, shop)
    assert add(client, shop.editor, 2).status_code == 200
    cart = add(client, shop.scanner).json()
    assert cart["quote"]["total"]["amount"] == 2 * 2000 + 1500

    with django_capture_on_commit_callbacks(execute=True):
        response = checkout(client)

    assert response.status_code == 201, response.content
    assert response.json()["status"] == OrderStatus.FULFILLING  # hooks run after commit
    body = call(client, "get", f"/orders/{response.json()['id']}").json()
    assert body["total"]["amount"] == 5500
    assert body["status"] == OrderStatus.COMPLETED  # software lines deliver at once
    assert {sub["seller"]["slug"] for sub in body["sub_orders"]} == {"acme", "bolt"}
    assert [h["to"] for h in body["history"] if h["sub_order_id"] is None] == [
        "pending_payment",
        "paid",
        "fulfilling",
        "fulfilled",
        "completed",
    ]
    assert call(client, "get", "/cart").json()["quote"]["lines"] == []
    with schema_context(shop.tenant.schema_name):
        order = Order.objects.get(pk=body["id"])
        assert set(order.lines.values_list("status", flat=True)) == {LineStatus.COMPLETED}
        assert FulfilmentRecord.objects.filter(action="fulfil").count() == 2
        # 10 % default commission on each line; no tax rule for DE yet.
        acme = SubOrder.objects.get(order=order, seller=shop.seller_one)
        assert (acme.total, acme.commission_total, acme.seller_net) == (4000, 400, 3600)
    assert ledger_totals(shop.tenant) == {"USD": 0}
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 5500
    assert account_balance(shop.tenant, ledger.PLATFORM_FEES) == -550
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == -3600
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_two.pk)) == -1350
    assert account_balance(shop.tenant, ledger.buyer_clearing(body["id"])) == 0
    subjects = [message.subject for message in mail.outbox]
    assert any("order" in subject.lower() for subject in subjects)


def test_declined_card_keeps_the_order_open_and_books_nothing(
    shop, client_for, django_capture_on_commit_callbacks
):
    client = buyer_client(client_for, shop)
    add(client, shop.editor)

    response = checkout(client, card=DECLINED_CARD)

    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == CommerceErrorCode.PAYMENT_DECLINED
    assert error["details"]["failure_code"] == "card_declined"
    order_id = error["details"]["order_id"]
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.get(pk=order_id).status == OrderStatus.PENDING_PAYMENT
        assert not JournalEntry.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        again = call(
            client,
            "post",
            f"/orders/{order_id}/pay",
            {"payment_method": SUCCESS_CARD},
            **{"Idempotency-Key": "retry-1"},
        )

    assert again.status_code == 201
    assert order_of_status(shop, order_id) == OrderStatus.COMPLETED
    with schema_context(shop.tenant.schema_name):
        assert list(
            Payment.objects.filter(order_id=order_id)
            .values_list("status", flat=True)
            .order_by("id")
        ) == ["failed", "succeeded"]


def test_insufficient_funds_is_its_own_failure_code(shop, client_for):
    client = buyer_client(client_for, shop)
    add(client, shop.editor)
    response = checkout(client, card=INSUFFICIENT_FUNDS_CARD)
    assert response.status_code == 402
    assert response.json()["error"]["details"]["failure_code"] == "insufficient_funds"


def test_three_d_secure_card_waits_for_the_buyers_confirmation(shop, client_for):
    client = buyer_client(client_for, shop)
    add(client, shop.editor)

    response = checkout(client, card=THREE_D_SECURE_CARD)

    assert response.status_code == 202
    order_id = response.json()["id"]
    assert response.json()["payment"]["status"] == "requires_action"
    assert response.json()["status"] == OrderStatus.PENDING_PAYMENT
    wrong = call(client, "post", f"/orders/{order_id}/confirm", {"confirmation": "000000"})
    assert wrong.status_code == 402
    assert order_of_status(shop, order_id) == OrderStatus.PENDING_PAYMENT

    # A failed confirmation fails that attempt; the buyer pays again and confirms.
    again = call(
        client,
        "post",
        f"/orders/{order_id}/pay",
        {"payment_method": THREE_D_SECURE_CARD},
        **{"Idempotency-Key": "k2"},
    )
    assert again.status_code == 202
    confirmed = call(
        client, "post", f"/orders/{order_id}/confirm", {"confirmation": THREE_D_SECURE_CODE}
    )
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == OrderStatus.FULFILLING


def order_of_status(shop, order_id):
    with schema_context(shop.tenant.schema_name):
        return Order.objects.get(pk=order_id).status


def test_checkout_runs_a_fixed_number_of_queries_whatever_the_cart_size(tenant_a, client_for):
    """The buyer's request only: fulfilment, invoice and e-mails run after commit, in tasks.
    SAVEPOINTs are left out: they exist here only because the test wraps everything in a
    transaction (a server's outermost block is a plain BEGIN/COMMIT)."""
    shop = make_shop(tenant_a)
    extra = [make_product(tenant_a, shop.seller_two, f"Tool {i}", price=100 + i) for i in range(8)]
    warm, small, large = (
        bearer_client(client_for, tenant_a, make_user(tenant_a, f"{name}@example.com"))
        for name in ("warm", "small", "large")
    )
    for client in (warm, small):
        add(client, shop.editor)
        add(client, shop.scanner)
    for product in [shop.editor, *extra]:
        add(large, product)
    assert checkout(warm).status_code == 201  # the caches a running server has warm

    counts = []
    for client in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = checkout(client)
        assert response.status_code == 201, response.content
        counts.append(sum(1 for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))))

    assert counts[0] == counts[1] <= 30, counts
