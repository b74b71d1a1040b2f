"""Money going back and out: refunds (partial, full, before and after delivery), escrow for
service lines, and payouts to sellers, each checked against the ledger."""

from __future__ import annotations

from datetime import date

import pytest
from django_tenants.utils import schema_context

from core.commerce.errors import CommerceErrorCode
from core.commerce.models import Invoice, LineStatus, Order, OrderLine, OrderStatus, Refund
from core.commerce.services.escrow import refund_escrow, release_escrow
from core.commerce.services.fulfilment import fulfil_line
from core.payments import ledger
from core.payments.models import Payout, PayoutSchedule, PayoutStatus, SellerPaymentAccount
from core.payments.services.payouts import run_scheduled_payouts
from tests.accounts_helpers import call, sign_in, signed_in_operator
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import (
    account_balance,
    add,
    bearer_client,
    checkout,
    ledger_totals,
    make_shop,
    new_key,
)
from tests.testmodules.alpha.models import FulfilmentRecord


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def paid_order(shop, client_for, capture, *products):
    client = bearer_client(client_for, shop.tenant, shop.buyer)
    for product in products:
        add(client, product)
    with capture(execute=True):
        response = checkout(client)
    assert response.status_code == 201, response.content
    return response.json()


def seller_client(client_for, tenant, seller):
    client = client_for(tenant)
    assert sign_in(client, seller.owner.email).status_code == 200
    return client


def refund(client, path, body, key=None):
    return call(client, "post", path, body, **{"Idempotency-Key": key or new_key()})


def test_partial_refund_takes_back_tax_commission_and_seller_share_in_proportion(
    shop, client_for, django_capture_on_commit_callbacks
):
    order = paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor)
    operator, _ = signed_in_operator(client_for, shop.tenant)
    line_id = order["lines"][0]["id"]

    with django_capture_on_commit_callbacks(execute=True):
        response = refund(
            operator,
            f"/operator/commerce/orders/{order['id']}/refunds",
            {"lines": [{"line_id": line_id, "amount": 500}], "reason": "goodwill"},
        )

    assert response.status_code == 201, response.content
    with schema_context(shop.tenant.schema_name):
        line = OrderLine.objects.get(pk=line_id)
        assert (line.refunded_amount, line.status) == (500, LineStatus.COMPLETED)
        assert Order.objects.get(pk=order["id"]).status == OrderStatus.PARTIALLY_REFUNDED
        assert Invoice.objects.filter(kind="credit_note").count() == 1
    # 20.00 at 10 %: 2.00 commission, 18.00 seller; refunding 5.00 takes 0.50 and 4.50.
    assert account_balance(shop.tenant, ledger.PLATFORM_FEES) == -(200 - 50)
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == -(1800 - 450)
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 2000 - 500
    assert ledger_totals(shop.tenant) == {"USD": 0}
    assert not FulfilmentRecord.objects.filter(action="revoke").exists()


def test_full_refund_revokes_the_line_through_its_module_once(
    shop, client_for, django_capture_on_commit_callbacks
):
    order = paid_order(
        shop, client_for, django_capture_on_commit_callbacks, shop.editor, shop.scanner
    )
    operator, _ = signed_in_operator(client_for, shop.tenant)
    key = new_key()
    with django_capture_on_commit_callbacks(execute=True):
        first = refund(
            operator, f"/operator/commerce/orders/{order['id']}/refunds", {"reason": "broken"}, key
        )
    again = refund(
        operator, f"/operator/commerce/orders/{order['id']}/refunds", {"reason": "broken"}, key
    )

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    with schema_context(shop.tenant.schema_name):
        assert Refund.objects.count() == 1
        assert Order.objects.get(pk=order["id"]).status == OrderStatus.REFUNDED
        assert set(OrderLine.objects.values_list("status", flat=True)) == {LineStatus.REVOKED}
        assert FulfilmentRecord.objects.filter(action="revoke").count() == 2
    for account in (ledger.PLATFORM_FEES, ledger.PROVIDER_CASH, ledger.TAX_PAYABLE):
        assert account_balance(shop.tenant, account) == 0
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == 0
    # Refunded in full: nothing more can be refunded.
    more = refund(operator, f"/operator/commerce/orders/{order['id']}/refunds", {"reason": "again"})
    assert more.status_code == 409


def test_refund_beyond_what_is_left_is_a_field_error_and_books_nothing(
    shop, client_for, django_capture_on_commit_callbacks
):
    order = paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor)
    operator, _ = signed_in_operator(client_for, shop.tenant)
    line_id = order["lines"][0]["id"]
    response = refund(
        operator,
        f"/operator/commerce/orders/{order['id']}/refunds",
        {"lines": [{"line_id": line_id, "amount": 2001}]},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "lines[0].amount"
    with schema_context(shop.tenant.schema_name):
        assert not Refund.objects.exists()
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 2000


def test_refund_before_delivery_comes_out_of_clearing_and_delivery_earns_the_rest(shop, client_for):
    client = bearer_client(client_for, shop.tenant, shop.buyer)
    add(client, shop.editor)
    order = checkout(client).json()  # fulfilment not run: the line waits
    operator, _ = signed_in_operator(client_for, shop.tenant)
    line_id = order["lines"][0]["id"]
    response = refund(
        operator,
        f"/operator/commerce/orders/{order['id']}/refunds",
        {"lines": [{"line_id": line_id, "amount": 1000}]},
    )
    assert response.status_code == 201
    assert account_balance(shop.tenant, ledger.buyer_clearing(order["id"])) == -1000

    with schema_context(shop.tenant.schema_name):
        assert fulfil_line(line_id=line_id) is True
        assert fulfil_line(line_id=line_id) is False  # a retried task does nothing

    assert account_balance(shop.tenant, ledger.buyer_clearing(order["id"])) == 0
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == -900
    assert account_balance(shop.tenant, ledger.PLATFORM_FEES) == -100
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_seller_refunds_only_their_own_lines(
    shop, client_for, django_capture_on_commit_callbacks
):
    order = paid_order(
        shop, client_for, django_capture_on_commit_callbacks, shop.editor, shop.scanner
    )
    acme = seller_client(client_for, shop.tenant, shop.seller_one)
    bolt_sub = next(s["id"] for s in order["sub_orders"] if s["seller"]["slug"] == "bolt")
    acme_sub = next(s["id"] for s in order["sub_orders"] if s["seller"]["slug"] == "acme")
    scanner_line = next(
        line["id"] for line in order["lines"] if line["product_id"] == shop.scanner.pk
    )

    assert call(acme, "get", f"/seller/orders/{bolt_sub}").status_code == 404
    assert refund(acme, f"/seller/orders/{bolt_sub}/refunds", {}).status_code == 404
    sneaky = refund(
        acme, f"/seller/orders/{acme_sub}/refunds", {"lines": [{"line_id": scanner_line}]}
    )
    assert sneaky.status_code == 422
    own = refund(acme, f"/seller/orders/{acme_sub}/refunds", {"reason": "sorry"})
    assert own.status_code == 201
    assert own.json()["amount"]["amount"] == 2000
    with schema_context(shop.tenant.schema_name):
        assert OrderLine.objects.get(pk=scanner_line).refunded_amount == 0


# --- escrow --------------------------------------------------------------------------------


@pytest.fixture
def service_shop(tenant_b):
    shop = make_shop(tenant_b)
    consultant = make_seller(tenant_b, "sage", "Sage Advice", product_types=("software", "service"))
    shop.audit = make_product(
        tenant_b, consultant, "Security Audit", price=10_000, product_type="service"
    )
    shop.consultant = consultant
    return shop


def test_a_service_line_is_held_in_escrow_until_its_module_releases_it(
    service_shop, client_for, django_capture_on_commit_callbacks
):
    shop = service_shop
    order = paid_order(
        shop, client_for, django_capture_on_commit_callbacks, shop.audit, shop.editor
    )
    audit_line = next(line for line in order["lines"] if line["product_id"] == shop.audit.pk)
    assert audit_line["is_escrow"] is True
    escrow_account = ledger.escrow(audit_line["id"])
    assert account_balance(shop.tenant, escrow_account) == -9000
    assert account_balance(shop.tenant, ledger.seller_payable(shop.consultant.pk)) == 0
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.get(pk=order["id"]).status == OrderStatus.FULFILLED

        assert (
            release_escrow(order_line_id=audit_line["id"], reference="milestone:1", amount=4000)
            == 4000
        )
        assert (
            release_escrow(order_line_id=audit_line["id"], reference="milestone:1", amount=4000)
            == 0
        )
        assert release_escrow(order_line_id=audit_line["id"], reference="accepted") == 5000
        assert OrderLine.objects.get(pk=audit_line["id"]).status == LineStatus.COMPLETED
        assert Order.objects.get(pk=order["id"]).status == OrderStatus.COMPLETED

    assert account_balance(shop.tenant, escrow_account) == 0
    assert account_balance(shop.tenant, ledger.seller_payable(shop.consultant.pk)) == -9000
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_escrow_returned_to_the_buyer_never_reaches_the_seller(
    service_shop, client_for, django_capture_on_commit_callbacks
):
    shop = service_shop
    order = paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.audit)
    line_id = order["lines"][0]["id"]
    with schema_context(shop.tenant.schema_name):
        from core.commerce.errors import CommerceError

        with pytest.raises(CommerceError) as too_much:
            release_escrow(order_line_id=line_id, reference="x", amount=9001)
        assert too_much.value.code == CommerceErrorCode.ESCROW_INSUFFICIENT
        refund_escrow(order_line_id=line_id, reference="dispute:7")
        refund_escrow(order_line_id=line_id, reference="dispute:7")  # repeated: one refund
        assert Refund.objects.count() == 1
    for account in (
        ledger.escrow(line_id),
        ledger.PROVIDER_CASH,
        ledger.PLATFORM_FEES,
        ledger.seller_payable(shop.consultant.pk),
    ):
        assert account_balance(shop.tenant, account) == 0


# --- payouts -------------------------------------------------------------------------------


def connect(client):
    return call(
        client,
        "post",
        "/seller/payouts/account",
        {"return_url": "https://x.example/done", "refresh_url": "https://x.example/again"},
    )


def test_a_seller_is_paid_out_what_the_ledger_owes_once(
    shop, client_for, django_capture_on_commit_callbacks
):
    paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor, shop.editor)
    acme = seller_client(client_for, shop.tenant, shop.seller_one)
    assert (
        call(
            acme, "post", "/seller/payouts", {"currency": "USD"}, **{"Idempotency-Key": "p0"}
        ).status_code
        == 409
    )
    assert connect(acme).json()["is_payouts_enabled"] is True
    balance = call(acme, "get", "/seller/payouts/balance").json()
    assert balance["available"] == [{"amount": 3600, "currency": "USD", "display": "36.00 USD"}]

    too_much = call(
        acme,
        "post",
        "/seller/payouts",
        {"currency": "USD", "amount": 3601},
        **{"Idempotency-Key": "p1"},
    )
    assert too_much.status_code == 422
    first = call(acme, "post", "/seller/payouts", {"currency": "USD"}, **{"Idempotency-Key": "p2"})
    second = call(acme, "post", "/seller/payouts", {"currency": "USD"}, **{"Idempotency-Key": "p2"})

    assert first.status_code == 201, first.content
    assert first.json() == second.json()
    assert first.json()["status"] == PayoutStatus.PAID
    with schema_context(shop.tenant.schema_name):
        assert Payout.objects.count() == 1
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == 0
    assert account_balance(shop.tenant, ledger.payouts_in_transit(shop.seller_one.pk)) == 0
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 4000 - 3600
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_failed_payout_returns_the_money_to_the_sellers_balance(
    shop, client_for, django_capture_on_commit_callbacks
):
    paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor)
    acme = seller_client(client_for, shop.tenant, shop.seller_one)
    connect(acme)
    with schema_context(shop.tenant.schema_name):
        SellerPaymentAccount.objects.filter(seller=shop.seller_one).update(
            reference="acct_sandbox_fail"
        )
    response = call(
        acme, "post", "/seller/payouts", {"currency": "USD"}, **{"Idempotency-Key": "f1"}
    )
    assert response.status_code == 201
    assert response.json()["status"] == PayoutStatus.FAILED
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == -1800
    assert account_balance(shop.tenant, ledger.payouts_in_transit(shop.seller_one.pk)) == 0
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 2000


def test_scheduled_payouts_pay_due_sellers_once_per_period(
    shop, client_for, django_capture_on_commit_callbacks
):
    paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor, shop.scanner)
    for seller, schedule in (
        (shop.seller_one, PayoutSchedule.WEEKLY),
        (shop.seller_two, PayoutSchedule.MONTHLY),
    ):
        connect(seller_client(client_for, shop.tenant, seller))
        with schema_context(shop.tenant.schema_name):
            SellerPaymentAccount.objects.filter(seller=seller).update(payout_schedule=schedule)
    monday = date(2026, 11, 23)
    with schema_context(shop.tenant.schema_name):
        paid = run_scheduled_payouts(today=monday, minimum=1000)
        again = run_scheduled_payouts(today=monday, minimum=1000)
        assert [p.seller_id for p in paid] == [shop.seller_one.pk]
        assert again == []  # paid: nothing left for this period
        assert Payout.objects.count() == 1
        # The monthly seller's 13.50 waits for the 1st; below the minimum it would wait too.
        assert run_scheduled_payouts(today=date(2026, 12, 1), minimum=1400) == []
        first_of_month = run_scheduled_payouts(today=date(2026, 12, 1), minimum=1000)
        assert [p.seller_id for p in first_of_month] == [shop.seller_two.pk]
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_refund_after_the_seller_was_paid_out_reverses_their_transfer(
    shop, client_for, django_capture_on_commit_callbacks
):
    order = paid_order(shop, client_for, django_capture_on_commit_callbacks, shop.editor)
    acme = seller_client(client_for, shop.tenant, shop.seller_one)
    connect(acme)
    payout = call(
        acme, "post", "/seller/payouts", {"currency": "USD"}, **{"Idempotency-Key": "all"}
    )
    assert payout.json()["status"] == PayoutStatus.PAID
    operator, _ = signed_in_operator(client_for, shop.tenant)

    response = refund(
        operator,
        f"/operator/commerce/orders/{order['id']}/refunds",
        {"lines": [{"line_id": order["lines"][0]["id"], "amount": 1000}]},
    )

    assert response.status_code == 201
    # 10.00 refunded: 1.00 commission back from the platform, 9.00 from the seller, who had
    # been paid everything - so 9.00 of their transfer is reversed and they owe nothing.
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == 0
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 2000 - 1800 - 1000 + 900
    assert ledger_totals(shop.tenant) == {"USD": 0}
