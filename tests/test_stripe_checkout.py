"""Checkout end to end through the real stripe library (localstripe on loopback): the order is
paid by a PaymentIntent, webhooks replayed or arriving out of order change nothing twice,
refunds go to Stripe, and a lost dispute is booked as a chargeback without a second refund."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import Order, OrderStatus, Payment, Refund
from core.payments import ledger
from core.payments.models import EntryKind, JournalEntry, ProviderEvent
from tests.accounts_helpers import call
from tests.commerce_helpers import (
    account_balance,
    add,
    bearer_client,
    checkout,
    ledger_totals,
    make_shop,
    new_key,
)
from tests.stripe_fixtures import CARD_SUCCEEDS, StripeTestbed, post_webhook, sign_event

pytest_plugins = ["tests.stripe_fixtures"]


@pytest.fixture
def shop(tenant_a, stripe_testbed):
    return make_shop(tenant_a)


def deliver(client, event: dict[str, Any]):
    body, signature = sign_event(event)
    return post_webhook(client, body, signature)


def intent_event(testbed: StripeTestbed, event_type: str, intent_id: str) -> dict[str, Any]:
    [event] = [e for e in testbed.events(event_type) if e["data"]["object"]["id"] == intent_id]
    return event


def made_event(event_type: str, obj: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": obj},
    }


def stripe_paid_order(shop, client_for, stripe_testbed, capture):
    client = bearer_client(client_for, shop.tenant, shop.buyer)
    add(client, shop.editor)
    add(client, shop.scanner)
    with capture(execute=True):
        response = checkout(client, card=stripe_testbed.payment_method(CARD_SUCCEEDS))
    assert response.status_code == 201, response.content
    with schema_context(shop.tenant.schema_name):
        payment = Payment.objects.get(order_id=response.json()["id"])
    return client, response.json(), payment


def test_a_stripe_checkout_is_one_payment_intent_for_the_order_total(
    shop, client_for, stripe_testbed, django_capture_on_commit_callbacks
):
    _, order, payment = stripe_paid_order(
        shop, client_for, stripe_testbed, django_capture_on_commit_callbacks
    )

    intent = stripe_testbed.client.v1.payment_intents.retrieve(payment.reference)
    assert (intent.amount, intent.currency, intent.status) == (3500, "usd", "succeeded")
    assert intent.metadata["order_id"] == str(order["id"])
    assert order["payment"]["provider"] == "stripe"
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 3500


def test_replayed_and_late_webhooks_change_nothing_twice(
    shop, client_for, stripe_testbed, django_capture_on_commit_callbacks
):
    client, order, payment = stripe_paid_order(
        shop, client_for, stripe_testbed, django_capture_on_commit_callbacks
    )
    succeeded = intent_event(stripe_testbed, "payment_intent.succeeded", payment.reference)

    for _ in range(3):  # Stripe retries; our API answer already captured the order
        assert deliver(client, succeeded).status_code == 200
    late_failure = made_event(
        "payment_intent.payment_failed",
        {
            "id": payment.reference,
            "object": "payment_intent",
            "metadata": {"souk_tenant": shop.tenant.schema_name},
            "last_payment_error": {"code": "card_declined", "message": "late"},
        },
        "evt_late_failure",
    )
    assert deliver(client, late_failure).status_code == 200

    with schema_context(shop.tenant.schema_name):
        assert JournalEntry.objects.filter(kind=EntryKind.CAPTURE).count() == 1
        assert Payment.objects.get(pk=payment.pk).status == "succeeded"
        assert Order.objects.get(pk=order["id"]).status == OrderStatus.COMPLETED
        assert ProviderEvent.objects.filter(event_id=succeeded["id"]).count() == 1
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 3500


def test_a_webhook_that_arrives_before_the_api_answer_captures_the_order_once(
    shop, client_for, stripe_testbed, django_capture_on_commit_callbacks
):
    """The process died between charging and recording: the payment is still "processing"
    when Stripe's event arrives; the event captures the order, the reconcile task then finds
    nothing to do."""
    from core.commerce.services.payment_events import reconcile_processing_payments

    _, _order, payment = stripe_paid_order(
        shop, client_for, stripe_testbed, django_capture_on_commit_callbacks
    )
    succeeded = intent_event(stripe_testbed, "payment_intent.succeeded", payment.reference)
    with schema_context(shop.tenant.schema_name):
        # Rewind to the moment before the result was recorded.
        Payment.objects.filter(pk=payment.pk).update(status="processing")
    client = bearer_client(client_for, shop.tenant, shop.buyer)
    assert deliver(client, succeeded).status_code == 200
    with schema_context(shop.tenant.schema_name):
        assert Payment.objects.get(pk=payment.pk).status == "succeeded"
        assert reconcile_processing_payments(older_than_seconds=0) == 0
        assert JournalEntry.objects.filter(kind=EntryKind.CAPTURE).count() == 1
    assert stripe_testbed.payment_intents_count() >= 1


def test_a_refund_goes_to_stripe_and_a_lost_dispute_is_booked_without_refunding_twice(
    shop, client_for, stripe_testbed, django_capture_on_commit_callbacks
):
    from tests.accounts_helpers import signed_in_operator

    client, order, payment = stripe_paid_order(
        shop, client_for, stripe_testbed, django_capture_on_commit_callbacks
    )
    operator, _ = signed_in_operator(client_for, shop.tenant)
    line = order["lines"][0]
    refund = call(
        operator,
        "post",
        f"/operator/commerce/orders/{order['id']}/refunds",
        {"lines": [{"line_id": line["id"], "amount": 500}]},
        **{"Idempotency-Key": new_key()},
    )
    assert refund.status_code == 201, refund.content
    refunds = stripe_testbed.client.v1.refunds.list({"payment_intent": payment.reference}).data
    assert [r.amount for r in refunds] == [500]

    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "payment_intent": payment.reference,
        "status": "needs_response",
        "amount": 3000,
        "currency": "usd",
    }
    assert (
        deliver(
            client, made_event("charge.dispute.created", dispute, "evt_dispute_open")
        ).status_code
        == 200
    )
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.get(pk=order["id"]).status == OrderStatus.DISPUTED
    lost = {**dispute, "status": "lost"}
    for _ in range(2):
        assert (
            deliver(
                client, made_event("charge.dispute.closed", lost, "evt_dispute_lost")
            ).status_code
            == 200
        )

    with schema_context(shop.tenant.schema_name):
        assert Order.objects.get(pk=order["id"]).status == OrderStatus.REFUNDED
        assert sorted(Refund.objects.values_list("amount", flat=True)) == [500, 3000]
    # Stripe took the disputed money itself: no second refund was asked for.
    assert (
        len(stripe_testbed.client.v1.refunds.list({"payment_intent": payment.reference}).data) == 1
    )
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 0
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_an_operator_answers_a_chargeback_at_stripe_with_the_collected_evidence_once(
    shop, client_for, stripe_testbed, django_capture_on_commit_callbacks
):
    from core.disputes.models import Dispute, DisputeEvent
    from core.events import dispatch_pending
    from tests.accounts_helpers import signed_in_operator

    client, order, payment = stripe_paid_order(
        shop, client_for, stripe_testbed, django_capture_on_commit_callbacks
    )
    dispute = {
        "id": "du_1Souk",
        "object": "dispute",
        "payment_intent": payment.reference,
        "status": "needs_response",
        "amount": 3000,
        "currency": "usd",
    }
    event = made_event("charge.dispute.created", dispute, "evt_chargeback")
    assert deliver(client, event).status_code == 200
    with schema_context(shop.tenant.schema_name):
        dispatch_pending()
        chargeback = Dispute.objects.get(kind="chargeback", order_id=order["id"])
    assert chargeback.provider_dispute_id == "du_1Souk"

    operator, _ = signed_in_operator(client_for, shop.tenant)
    answered = call(operator, "post", f"/disputes/{chargeback.pk}/stripe-evidence/submit")
    assert answered.status_code == 200, answered.content
    assert answered.json()["evidence_submitted_at"]

    [sent] = stripe_testbed.front.sent("POST", "/v1/disputes/du_1Souk")
    assert sent.params["submit"] == "true"
    assert sent.idempotency_key.endswith("dispute-evidence:du_1Souk")
    evidence = sent.nested("evidence")
    assert set(evidence) <= {
        "product_description",
        "customer_communication",
        "service_documentation",
        "uncategorized_text",
        "refund_policy",
        "service_date",
    }
    assert order["lines"][0]["title"] in evidence["product_description"]
    assert stripe_testbed.front.disputes["du_1Souk"]["status"] == "under_review"

    # Submitted evidence is final: a second answer is refused before it reaches Stripe.
    again = call(operator, "post", f"/disputes/{chargeback.pk}/stripe-evidence/submit")
    assert again.status_code == 409, again.content
    assert len(stripe_testbed.front.sent("POST", "/v1/disputes/du_1Souk")) == 1
    with schema_context(shop.tenant.schema_name):
        assert (
            DisputeEvent.objects.filter(dispute=chargeback, kind="evidence_submitted").count() == 1
        )
    # Only operators answer chargebacks.
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    refused = call(buyer, "post", f"/disputes/{chargeback.pk}/stripe-evidence/submit")
    assert refused.status_code in (403, 404)
