"""Paying with PayPal at checkout, against a local server playing PayPal's REST API: the buyer
chooses PayPal where the marketplace offers it, approves at PayPal and comes back to a paid and
fulfilled order (ledger balanced); a declined capture leaves the order unpaid with nothing
booked; turning back at PayPal gives the cart back; refunds go to PayPal's capture."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import CartLine, Order, OrderStatus, PaymentStatus
from core.commerce.services.refunds import LineRefund, refund_order
from core.payments import ledger
from core.payments.models import EntryKind, JournalEntry
from core.subscriptions.tests.helpers import make_plan
from tests.commerce_helpers import (
    account_balance,
    add,
    buyer_client,
    checkout,
    ledger_totals,
    make_shop,
    order_of,
)
from tests.paypal_fixtures import (
    come_back,
    enable_paypal,
    payment_of,
    paypal_checkout,
    paypal_order_id,
)
from tests.paypal_server import PayPalServer

pytest_plugins = ["tests.paypal_fixtures"]
# The return page: session and buyer, the payment by token, the PayPal app, then recording
# the capture (payment and order locked, transitions, ledger entries, the order.paid event).
PINNED_RETURN_QUERIES = 21


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def entries(tenant, kind: str) -> int:
    with schema_context(tenant.schema_name):
        return JournalEntry.objects.filter(kind=kind).count()


def placed_with_paypal(shop, client_for, paypal: PayPalServer) -> tuple[Any, dict, str]:
    enable_paypal(shop.tenant, paypal)
    client = buyer_client(client_for, shop)
    add(client, shop.editor)
    add(client, shop.scanner)
    response = paypal_checkout(client)
    assert response.status_code == 202, response.content
    return client, response.json(), paypal_order_id(response)


def paid_with_paypal(shop, client_for, paypal, capture) -> tuple[Any, dict, str]:
    client, order, token = placed_with_paypal(shop, client_for, paypal)
    paypal.approve(token)
    with capture(execute=True):
        answer = come_back(client, token)
    assert answer.status_code == 302, answer.content
    return client, order, token


def test_checkout_with_paypal_answers_the_approval_link_and_books_nothing_yet(
    shop, client_for, paypal
):
    _, order, token = placed_with_paypal(shop, client_for, paypal)

    assert order["status"] == OrderStatus.PENDING_PAYMENT
    assert order["payment"]["provider"] == "paypal"
    assert order["payment"]["action_url"] == f"{paypal.url}/checkoutnow?token={token}"
    sent = paypal.order(token)
    unit = sent["purchase_units"][0]
    assert sent["intent"] == "CAPTURE"
    assert unit["amount"] == {"currency_code": "USD", "value": "35.00"}
    assert unit["custom_id"].startswith(f"{shop.tenant.schema_name}:")
    assert sent["_return_url"].endswith("/checkout/paypal/return/")
    assert sent["_cancel_url"].endswith("/checkout/paypal/cancel/")
    assert ledger_totals(shop.tenant) == {}


def test_approval_and_return_capture_the_order_once_and_fulfil_it(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    client, order, token = placed_with_paypal(shop, client_for, paypal)
    paypal.approve(token)

    with django_capture_on_commit_callbacks(execute=True):
        answer = come_back(client, token)
    again = come_back(client, token)  # a reload of the return page

    assert answer.status_code == 302
    assert answer["Location"] == f"/account/orders/{order['id']}/"
    assert again["Location"] == answer["Location"]
    assert paypal.calls_to("/capture") == 1
    assert payment_of(shop.tenant, order["id"]).status == PaymentStatus.SUCCEEDED
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.COMPLETED
    assert entries(shop.tenant, EntryKind.CAPTURE) == 1
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 3500
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == -1800
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_declined_capture_leaves_the_order_unpaid_with_nothing_booked(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    client, order, token = placed_with_paypal(shop, client_for, paypal)
    paypal.approve(token)
    paypal.decline_capture(token)

    with django_capture_on_commit_callbacks(execute=True):
        answer = come_back(client, token)

    assert answer.status_code == 302
    assert answer["Location"] == f"/account/orders/{order['id']}/pay/"
    payment = payment_of(shop.tenant, order["id"])
    assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "instrument_declined")
    assert "choose another one at PayPal" in payment.failure_message
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.PENDING_PAYMENT
    assert ledger_totals(shop.tenant) == {}
    page = client.get(answer["Location"]).content.decode()
    assert "PayPal declined the payment method" in page
    assert "Pay 35.00 USD with PayPal" in page and 'name="payment_method"' not in page


def test_paying_again_after_a_decline_is_a_new_approval_at_paypal(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    client, order, token = placed_with_paypal(shop, client_for, paypal)
    paypal.approve(token)
    paypal.decline_capture(token)
    come_back(client, token)

    retry = client.post(f"/account/orders/{order['id']}/pay/", {})

    assert retry.status_code == 302
    second = retry["Location"].rsplit("token=", 1)[1]
    assert retry["Location"] == f"{paypal.url}/checkoutnow?token={second}" and second != token
    assert paypal.url in retry["Content-Security-Policy"]
    paypal.approve(second)
    with django_capture_on_commit_callbacks(execute=True):
        come_back(client, second)
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.COMPLETED
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_turning_back_at_paypal_cancels_the_order_and_gives_the_cart_back(shop, client_for, paypal):
    client, order, token = placed_with_paypal(shop, client_for, paypal)

    answer = client.get(f"/checkout/paypal/cancel/?token={token}")

    assert answer.status_code == 302 and answer["Location"] == "/checkout/"
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.CANCELLED
    with schema_context(shop.tenant.schema_name):
        cart = set(CartLine.objects.values_list("product_id", "quantity"))
    assert cart == {(shop.editor.pk, 1), (shop.scanner.pk, 1)}
    assert paypal.calls_to("/capture") == 0
    assert ledger_totals(shop.tenant) == {}


def test_partial_then_full_refund_go_to_the_paypal_capture_and_the_ledger(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    _, order, token = paid_with_paypal(shop, client_for, paypal, django_capture_on_commit_callbacks)
    editor_line = next(line for line in order["lines"] if line["title"] == "Swift Editor")

    with schema_context(shop.tenant.schema_name):
        partial = refund_order(
            order_id=order["id"],
            lines=[LineRefund(editor_line["id"], 500)],
            reason="scratched",
            idempotency_key="r1",
            actor=None,
            actor_label="operator",
        )
        rest = refund_order(
            order_id=order["id"],
            lines=None,
            reason="returned",
            idempotency_key="r2",
            actor=None,
            actor_label="operator",
        )

    capture = paypal.capture_of(token)
    assert capture["status"] == "REFUNDED" and capture["_refunded"] == 3500
    with paypal.lock:
        refunds = {r["id"]: r for r in paypal.state.refunds.values()}
    assert refunds[partial.provider_reference]["amount"]["value"] == "5.00"
    assert refunds[rest.provider_reference]["amount"]["value"] == "30.00"
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.REFUNDED
    assert entries(shop.tenant, EntryKind.REFUND) == 2
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 0
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_the_oauth_token_is_fetched_once_and_reused(shop, client_for, paypal):
    client, _, _ = placed_with_paypal(shop, client_for, paypal)
    add(client, shop.editor)
    assert paypal_checkout(client).status_code == 202

    assert paypal.state.token_requests == 1


def test_paypal_is_refused_where_the_marketplace_has_not_turned_it_on(shop, client_for, paypal):
    enable_paypal(shop.tenant, paypal, is_enabled=False)
    client = buyer_client(client_for, shop)
    add(client, shop.editor)

    refused = paypal_checkout(client)
    unknown = paypal_checkout(client, provider="bitcoin")

    for answer in (refused, unknown):
        assert answer.status_code == 422
        error = answer.json()["error"]
        assert error["code"] == "payment_provider_unavailable"
        assert error["details"]["field"] == "provider"
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.count() == 0
        assert CartLine.objects.count() == 1
    assert paypal.state.calls == []
    assert 'value="paypal"' not in client.get("/checkout/").content.decode()


def test_a_subscription_cart_cannot_be_paid_with_paypal(shop, client_for, paypal):
    enable_paypal(shop.tenant, paypal)
    monthly = make_plan(shop.tenant, shop.editor, amount=1000)
    client = buyer_client(client_for, shop)
    add(client, shop.editor, recurring_price_id=monthly.pk)

    answer = paypal_checkout(client)

    assert answer.status_code == 422
    assert answer.json()["error"]["details"]["field"] == "provider"
    assert "Subscriptions are paid by card" in answer.json()["error"]["message"]
    assert paypal.state.calls == []
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.count() == 0
    assert checkout(client).status_code == 201  # by card it goes through


def test_the_checkout_page_offers_paypal_and_sends_the_buyer_to_approve(shop, client_for, paypal):
    enable_paypal(shop.tenant, paypal)
    client = buyer_client(client_for, shop)
    add(client, shop.editor)
    page = client.get("/checkout/")
    assert 'value="paypal"' in page.content.decode()
    assert "Not needed for PayPal" in page.content.decode()
    key = page.context["form"].initial["idempotency_key"]

    answer = client.post(
        "/checkout/",
        {"country": "DE", "provider": "paypal", "payment_method": "", "idempotency_key": key},
    )

    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert answer["Location"].startswith(f"{paypal.url}/checkoutnow?token=")
    assert paypal.url in answer["Content-Security-Policy"]
    assert len(paypal.state.orders) == 1


def test_coming_back_without_approving_sends_the_buyer_to_paypal_again(shop, client_for, paypal):
    client, order, token = placed_with_paypal(shop, client_for, paypal)

    answer = come_back(client, token)

    assert answer.status_code == 302
    assert answer["Location"] == f"{paypal.url}/checkoutnow?token={token}"
    assert payment_of(shop.tenant, order["id"]).status == PaymentStatus.REQUIRES_ACTION
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.PENDING_PAYMENT
    assert ledger_totals(shop.tenant) == {}


def test_the_return_from_paypal_is_a_pinned_number_of_queries(
    shop, client_for, paypal, django_assert_max_num_queries
):
    client, _, token = placed_with_paypal(shop, client_for, paypal)
    paypal.approve(token)

    with django_assert_max_num_queries(PINNED_RETURN_QUERIES):
        assert come_back(client, token).status_code == 302
