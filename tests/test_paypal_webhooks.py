"""PayPal's webhooks, verified by PayPal's verify-webhook-signature API (the local server
playing it) and applied once: a replay changes nothing, deliveries out of order end in the
right state, a bad signature is refused with nothing recorded, another marketplace's events
and orders are out of reach, and a payout PayPal could not complete returns the money to the
seller's balance."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import Order, OrderStatus, PaymentStatus
from core.commerce.services.refunds import refund_order
from core.payments import ledger
from core.payments.models import (
    EntryKind,
    JournalEntry,
    Payout,
    PayoutStatus,
    ProviderEvent,
    SellerPaymentAccount,
)
from core.payments.providers import get_provider
from core.payments.services.payouts import available_balance, request_payout
from tests.accounts_helpers import make_user, sign_in
from tests.commerce_helpers import (
    account_balance,
    add,
    buyer_client,
    ledger_totals,
    make_shop,
    order_of,
)
from tests.paypal_fixtures import (
    come_back,
    deliver,
    enable_paypal,
    payment_of,
    paypal_checkout,
    paypal_order_id,
)

pytest_plugins = ["tests.paypal_fixtures"]


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def entries(tenant, kind: str) -> int:
    with schema_context(tenant.schema_name):
        return JournalEntry.objects.filter(kind=kind).count()


def events(tenant) -> list[tuple[str, str]]:
    with schema_context(tenant.schema_name):
        return list(ProviderEvent.objects.values_list("event_type", "outcome").order_by("id"))


def approved_order(shop, client_for, paypal):
    app = enable_paypal(shop.tenant, paypal)
    client = buyer_client(client_for, shop)
    add(client, shop.editor)
    response = paypal_checkout(client)
    assert response.status_code == 202, response.content
    token = paypal_order_id(response)
    paypal.approve(token)
    return app, client, response.json(), token


def capture_at_paypal(shop, token: str) -> None:
    """The capture went through at PayPal but its answer never reached the marketplace."""
    with schema_context(shop.tenant.schema_name):
        get_provider("paypal").confirm(reference=token, confirmation="")


def test_capture_webhook_after_the_return_and_its_replay_book_nothing_twice(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    app, client, order, token = approved_order(shop, client_for, paypal)
    with django_capture_on_commit_callbacks(execute=True):
        come_back(client, token)
    body = paypal.event("PAYMENT.CAPTURE.COMPLETED", paypal.capture_of(token))

    first = deliver(client_for(shop.tenant), paypal, body, webhook_id=app.webhook_id)
    replay = deliver(client_for(shop.tenant), paypal, body, webhook_id=app.webhook_id)

    assert first.status_code == 200 and first.json()["is_duplicate"] is False
    assert replay.status_code == 200 and replay.json()["is_duplicate"] is True
    assert events(shop.tenant) == [("PAYMENT.CAPTURE.COMPLETED", "charge succeeded")]
    assert entries(shop.tenant, EntryKind.CAPTURE) == 1
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.COMPLETED
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_capture_webhook_before_the_buyer_returns_pays_the_order_and_the_return_finds_it(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    app, client, order, token = approved_order(shop, client_for, paypal)
    capture_at_paypal(shop, token)
    body = paypal.event("PAYMENT.CAPTURE.COMPLETED", paypal.capture_of(token))

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, paypal, body, webhook_id=app.webhook_id).status_code == 200
    answer = come_back(client, token)

    assert answer["Location"] == f"/account/orders/{order['id']}/"
    assert paypal.calls_to("/capture") == 1  # the return captured nothing again
    assert payment_of(shop.tenant, order["id"]).status == PaymentStatus.SUCCEEDED
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.COMPLETED
    assert entries(shop.tenant, EntryKind.CAPTURE) == 1
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 2000
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_refunded_webhook_arriving_before_capture_completed_leaves_the_order_refunded(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    app, client, order, token = approved_order(shop, client_for, paypal)
    with django_capture_on_commit_callbacks(execute=True):
        come_back(client, token)
    with schema_context(shop.tenant.schema_name):
        refund = refund_order(
            order_id=order["id"],
            lines=None,
            reason="changed mind",
            idempotency_key="full",
            actor=None,
            actor_label="operator",
        )
    refunded = paypal.event(
        "PAYMENT.CAPTURE.REFUNDED", paypal.state.refunds[refund.provider_reference]
    )
    completed = paypal.event("PAYMENT.CAPTURE.COMPLETED", paypal.capture_of(token))

    for body in (refunded, completed):
        assert deliver(client, paypal, body, webhook_id=app.webhook_id).status_code == 200

    assert events(shop.tenant) == [
        ("PAYMENT.CAPTURE.REFUNDED", "ignored: refunded by Souk"),
        ("PAYMENT.CAPTURE.COMPLETED", "charge succeeded"),
    ]
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.REFUNDED
    assert (entries(shop.tenant, EntryKind.CAPTURE), entries(shop.tenant, EntryKind.REFUND)) == (
        1,
        1,
    )
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 0
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_declined_capture_webhook_after_the_capture_changes_nothing(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    app, client, order, token = approved_order(shop, client_for, paypal)
    with django_capture_on_commit_callbacks(execute=True):
        come_back(client, token)
    denied = {**paypal.capture_of(token), "status": "DECLINED"}

    deliver(
        client, paypal, paypal.event("PAYMENT.CAPTURE.DENIED", denied), webhook_id=app.webhook_id
    )

    assert payment_of(shop.tenant, order["id"]).status == PaymentStatus.SUCCEEDED
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.COMPLETED
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_delivery_paypal_does_not_verify_is_refused_and_changes_nothing(shop, client_for, paypal):
    app, client, order, token = approved_order(shop, client_for, paypal)
    capture_at_paypal(shop, token)
    body = paypal.event("PAYMENT.CAPTURE.COMPLETED", paypal.capture_of(token))

    tampered = deliver(client, paypal, body, webhook_id=app.webhook_id, tamper=True)
    other_hook = deliver(client, paypal, body, webhook_id="WH-SOMEONE-ELSES")
    unsigned = client.post("/api/v1/payments/paypal/webhook", body, content_type="application/json")

    for answer in (tampered, other_hook, unsigned):
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "webhook_signature_invalid"
    assert len(paypal.state.verifications) == 2  # the unsigned one never reached PayPal
    assert events(shop.tenant) == []
    assert payment_of(shop.tenant, order["id"]).status == PaymentStatus.REQUIRES_ACTION
    assert ledger_totals(shop.tenant) == {}


def test_another_marketplaces_paypal_orders_and_events_are_out_of_reach(
    shop, tenant_b, client_for, paypal, django_capture_on_commit_callbacks
):
    app_a, client_a, order, token = approved_order(shop, client_for, paypal)
    capture_at_paypal(shop, token)
    body = paypal.event("PAYMENT.CAPTURE.COMPLETED", paypal.capture_of(token))
    app_b = enable_paypal(tenant_b, paypal)
    buyer_b = make_user(tenant_b, shop.buyer.email, full_name="Bea Buyer")
    client_b = client_for(tenant_b)
    assert sign_in(client_b, buyer_b.email).status_code == 200

    # A's event at B's endpoint, signed for A's webhook: B's webhook id does not verify it.
    at_b = deliver(client_b, paypal, body, webhook_id=app_a.webhook_id)
    # Signed for B's webhook (one PayPal app serving both): acknowledged, never applied.
    shared_app = deliver(client_b, paypal, body, webhook_id=app_b.webhook_id)
    # A's PayPal order on B's return and cancel pages.
    returned = client_b.get(f"/checkout/paypal/return/?token={token}&PayerID=X")
    cancelled = client_b.get(f"/checkout/paypal/cancel/?token={token}")

    assert at_b.status_code == 400
    assert shared_app.status_code == 200 and shared_app.json()["is_duplicate"] is False
    assert (returned.status_code, cancelled.status_code) == (404, 404)
    assert events(tenant_b) == []
    assert ledger_totals(tenant_b) == {}
    assert payment_of(shop.tenant, order["id"]).status == PaymentStatus.REQUIRES_ACTION
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.PENDING_PAYMENT
    # A's own buyer, at A, still completes it.
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client_a, paypal, body, webhook_id=app_a.webhook_id).status_code == 200
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.COMPLETED


def test_another_buyer_cannot_capture_or_cancel_a_buyers_paypal_order(shop, client_for, paypal):
    _, _, order, token = approved_order(shop, client_for, paypal)
    make_user(shop.tenant, "other@example.com", full_name="Otto Other")
    other = buyer_client(client_for, shop, "other@example.com")

    assert come_back(other, token).status_code == 404
    assert other.get(f"/checkout/paypal/cancel/?token={token}").status_code == 404
    assert paypal.calls_to("/capture") == 0
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.PENDING_PAYMENT


# --- payouts -------------------------------------------------------------------------------


def paypal_seller_with_balance(shop, client_for, paypal, capture, email="acme@paypal.example"):
    app, client, _, token = approved_order(shop, client_for, paypal)
    with capture(execute=True):
        come_back(client, token)
    with schema_context(shop.tenant.schema_name):
        SellerPaymentAccount.objects.create(
            seller=shop.seller_one, provider="paypal", reference=email, is_payouts_enabled=True
        )
        assert available_balance(shop.seller_one.pk, "USD") == 1800
    return app, client


def test_a_payout_is_a_paypal_payouts_batch_booked_like_a_transfer(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    paypal_seller_with_balance(shop, client_for, paypal, django_capture_on_commit_callbacks)

    with schema_context(shop.tenant.schema_name):
        payout = request_payout(seller=shop.seller_one, currency="USD", run_key="manual:1")
        again = request_payout(seller=shop.seller_one, currency="USD", run_key="manual:1")

    assert payout.pk == again.pk and payout.status == PayoutStatus.PAID
    [batch] = paypal.state.batches.values()
    [item] = batch["items"]
    assert (item["receiver"], item["amount"]) == (
        "acme@paypal.example",
        {"currency": "USD", "value": "18.00"},
    )
    assert item["sender_item_id"].startswith(f"{shop.tenant.schema_name}:")
    assert payout.provider_reference == batch["batch_header"]["payout_batch_id"]
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == 0
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 2000 - 1800
    assert ledger_totals(shop.tenant) == {"USD": 0}


@pytest.mark.parametrize("status", ["FAILED", "RETURNED", "BLOCKED"])
def test_a_payout_item_paypal_could_not_complete_returns_the_money_to_the_seller_once(
    shop, client_for, paypal, django_capture_on_commit_callbacks, status
):
    app, client = paypal_seller_with_balance(
        shop, client_for, paypal, django_capture_on_commit_callbacks
    )
    with schema_context(shop.tenant.schema_name):
        payout = request_payout(seller=shop.seller_one, currency="USD", run_key="manual:1")
    body = paypal.event(
        f"PAYMENT.PAYOUTS-ITEM.{status}",
        paypal.payout_item_resource(payout.provider_reference, status),
    )

    first = deliver(client, paypal, body, webhook_id=app.webhook_id)
    replay = deliver(client, paypal, body, webhook_id=app.webhook_id)

    assert (first.status_code, replay.json()["is_duplicate"]) == (200, True)
    with schema_context(shop.tenant.schema_name):
        payout.refresh_from_db()
        assert payout.status == PayoutStatus.FAILED
        assert available_balance(shop.seller_one.pk, "USD") == 1800
        assert JournalEntry.objects.filter(kind=EntryKind.PAYOUT_FAILED).count() == 1
    assert account_balance(shop.tenant, ledger.payouts_in_transit(shop.seller_one.pk)) == 0
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 2000
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_payout_paypal_refuses_outright_fails_and_keeps_the_sellers_balance(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    paypal_seller_with_balance(shop, client_for, paypal, django_capture_on_commit_callbacks)
    paypal.refuse_receiver("acme@paypal.example")

    with schema_context(shop.tenant.schema_name):
        payout = request_payout(seller=shop.seller_one, currency="USD", run_key="manual:1")
        assert payout.status == PayoutStatus.FAILED
        assert "PayPal refused the payout" in payout.failure_reason
        assert available_balance(shop.seller_one.pk, "USD") == 1800
        assert Payout.objects.count() == 1
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_refund_after_a_paypal_payout_leaves_what_the_seller_owes_on_their_balance(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    """PayPal payouts cannot be taken back: the refund goes through at PayPal and in the
    ledger, and the seller's share stays owed (a negative balance netted next payout)."""
    paypal_seller_with_balance(shop, client_for, paypal, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        payout = request_payout(seller=shop.seller_one, currency="USD", run_key="manual:1")
        assert payout.status == PayoutStatus.PAID
        order_id = Order.objects.latest("id").pk
        refund = refund_order(
            order_id=order_id,
            lines=None,
            reason="returned",
            idempotency_key="after-payout",
            actor=None,
            actor_label="operator",
        )

    assert refund.provider_reference in paypal.state.refunds
    with schema_context(shop.tenant.schema_name):
        assert JournalEntry.objects.filter(kind=EntryKind.TRANSFER_REVERSAL).count() == 0
        assert available_balance(shop.seller_one.pk, "USD") == -1800
    assert ledger_totals(shop.tenant) == {"USD": 0}
