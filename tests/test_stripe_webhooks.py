"""Stripe webhooks on a marketplace's host: only Stripe's signature over the exact body, recent,
is accepted; each event id is applied once (a redelivery changes nothing); events are applied
in the order they arrive, whatever that is; a failure leaves the event unprocessed for
Stripe's retry; unknown types are recorded and acknowledged; another marketplace's events are
neither stored nor applied.

Payment events are the ones localstripe raised for real charges; dispute, transfer and account
events (which localstripe does not raise) are built in Stripe's documented shapes. What the
webhook layer calls in commerce and payouts is recorded here, so these tests pin the layer's
own behaviour; what those calls do to orders is tested with them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import stripe
from django.test import Client
from django_tenants.utils import schema_context

from core.commerce.services import payment_events
from core.money import Money
from core.payments.models import ProviderEvent, SellerPaymentAccount
from core.payments.providers import ChargeRequest
from core.payments.services import payouts
from tenants.models import Tenant
from tests.catalog_helpers import make_seller
from tests.fleet_helpers import host_of
from tests.stripe_fixtures import (
    CARD_DECLINED_ON_CHARGE,
    CARD_SUCCEEDS,
    TEST_SECRET_KEY,
    StripeTestbed,
    post_webhook,
    sign_event,
)

pytest_plugins = ["tests.stripe_fixtures"]


@dataclass
class AppliedCalls:
    """What the webhook layer asked commerce and payouts to do, in order."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures_left: int = 0  # the next calls raise, as a crashing handler would

    def recorder(self, name: str):
        def record(**kwargs: Any) -> None:
            if self.failures_left:
                self.failures_left -= 1
                raise RuntimeError("the handler crashed")
            self.calls.append((name, kwargs))

        return record

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture
def applied(monkeypatch) -> AppliedCalls:
    recorded = AppliedCalls()
    for name in (
        "on_charge_succeeded",
        "on_charge_failed",
        "on_dispute_opened",
        "on_dispute_closed",
    ):
        monkeypatch.setattr(payment_events, name, recorded.recorder(name))
    monkeypatch.setattr(payouts, "on_transfer_failed", recorded.recorder("on_transfer_failed"))
    return recorded


@pytest.fixture
def client(tenant_a: Tenant, stripe_testbed: StripeTestbed) -> Client:
    return Client(HTTP_HOST=host_of(tenant_a))


def stripe_event(testbed: StripeTestbed, event_type: str, object_id: str) -> dict[str, Any]:
    [event] = [e for e in testbed.events(event_type) if e["data"]["object"]["id"] == object_id]
    return event


def paid_intent(testbed: StripeTestbed, tenant: Tenant, card: str = CARD_SUCCEEDS) -> str:
    """A charge made in ``tenant``'s schema, as checkout makes it (so its metadata names it)."""
    with schema_context(tenant.schema_name):
        result = testbed.provider.charge(
            ChargeRequest(
                amount=Money(1999, "EUR"),
                payment_method=testbed.payment_method(card),
                idempotency_key=f"pay-{time.monotonic_ns()}",
            )
        )
    return result.reference


def event_of(event_type: str, obj: dict[str, Any], event_id: str = "evt_made_1") -> dict[str, Any]:
    """An event in Stripe's envelope, for the types localstripe does not raise."""
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


def recorded_events(tenant: Tenant) -> list[ProviderEvent]:
    with schema_context(tenant.schema_name):
        return list(ProviderEvent.objects.order_by("id"))


def assert_refused(response, reason: str = "") -> None:
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "webhook_signature_invalid"
    if reason:
        assert reason in error["details"]["reason"]


# --- verification -------------------------------------------------------------------------------


def test_signed_event_is_applied_and_recorded(client, stripe_testbed, tenant_a, applied):
    reference = paid_intent(stripe_testbed, tenant_a)
    event = stripe_event(stripe_testbed, "payment_intent.succeeded", reference)

    response = post_webhook(client, *sign_event(event))

    assert response.status_code == 200
    assert response.json() == {"received": True, "event_id": event["id"], "is_duplicate": False}
    assert applied.calls == [
        (
            "on_charge_succeeded",
            {"provider": "stripe", "reference": reference, "event_id": event["id"]},
        )
    ]
    [record] = recorded_events(tenant_a)
    assert (record.provider, record.event_id, record.event_type) == (
        "stripe",
        event["id"],
        "payment_intent.succeeded",
    )
    assert record.processed_at is not None and record.outcome == "charge succeeded"
    assert record.payload == event


def test_tampered_body_is_refused(client, stripe_testbed, tenant_a, applied):
    reference = paid_intent(stripe_testbed, tenant_a)
    body, signature = sign_event(
        stripe_event(stripe_testbed, "payment_intent.succeeded", reference)
    )

    response = post_webhook(client, body.replace(b'"amount": 1999', b'"amount": 1'), signature)

    assert_refused(response, "No signatures found matching")
    assert applied.calls == [] and recorded_events(tenant_a) == []


def test_other_secret_is_refused(client, stripe_testbed, tenant_a, applied):
    reference = paid_intent(stripe_testbed, tenant_a)
    event = stripe_event(stripe_testbed, "payment_intent.succeeded", reference)

    response = post_webhook(client, *sign_event(event, secret="whsec_someone_else"))

    assert_refused(response)
    assert applied.calls == [] and recorded_events(tenant_a) == []


def test_missing_signature_is_refused(client, applied, tenant_a):
    body, _ = sign_event(
        event_of("payment_intent.succeeded", {"id": "pi_1", "object": "payment_intent"})
    )

    response = post_webhook(client, body, None)

    assert_refused(response, "No Stripe-Signature header")
    assert applied.calls == [] and recorded_events(tenant_a) == []


def test_delivery_older_than_the_tolerance_is_refused(client, stripe_testbed, tenant_a, applied):
    """A captured delivery replayed later: the signature is genuine but its timestamp is
    older than Stripe's five-minute tolerance."""
    reference = paid_intent(stripe_testbed, tenant_a)
    event = stripe_event(stripe_testbed, "payment_intent.succeeded", reference)
    stale = int(time.time()) - stripe.Webhook.DEFAULT_TOLERANCE - 5

    response = post_webhook(client, *sign_event(event, timestamp=stale))

    assert_refused(response, "Timestamp outside the tolerance zone")
    assert applied.calls == [] and recorded_events(tenant_a) == []


def test_signed_body_that_is_not_an_event_is_refused(client, applied, tenant_a):
    response = post_webhook(client, *sign_event(b'{"hello": "world"}'))

    assert_refused(response)
    assert applied.calls == [] and recorded_events(tenant_a) == []


def test_unconfigured_secret_refuses_everything(client, applied, settings, tenant_a):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = post_webhook(
        client, *sign_event(event_of("payment_intent.succeeded", {"id": "pi_1"}), secret="")
    )

    assert_refused(response)
    assert applied.calls == []


def test_connect_endpoint_secret_is_accepted_too(client, applied, settings, tenant_a):
    """Stripe gives the Connect endpoint (events of sellers' accounts) its own secret."""
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect_endpoint"
    event = event_of("customer.updated", {"id": "cus_1", "object": "customer"})

    response = post_webhook(client, *sign_event(event, secret="whsec_connect_endpoint"))

    assert response.status_code == 200


def test_webhook_needs_no_session_token_or_csrf(stripe_testbed, tenant_a, applied):
    strict = Client(HTTP_HOST=host_of(tenant_a), enforce_csrf_checks=True)
    event = event_of("customer.updated", {"id": "cus_1", "object": "customer"})

    response = post_webhook(strict, *sign_event(event))

    assert response.status_code == 200


# --- each event once, in arrival order ---------------------------------------------------------


def test_redelivered_event_changes_nothing(client, stripe_testbed, tenant_a, applied):
    reference = paid_intent(stripe_testbed, tenant_a)
    event = stripe_event(stripe_testbed, "payment_intent.succeeded", reference)
    post_webhook(client, *sign_event(event))

    # Stripe's retry: the same event, signed again at delivery time.
    response = post_webhook(client, *sign_event(event, timestamp=int(time.time()) + 1))

    assert response.status_code == 200
    assert response.json()["is_duplicate"] is True
    assert applied.names == ["on_charge_succeeded"]
    assert len(recorded_events(tenant_a)) == 1


def test_events_are_applied_in_arrival_order_each_once(client, stripe_testbed, tenant_a, applied):
    """A failure reported after the success (or the reverse) reaches commerce as it arrived;
    commerce decides that a paid order stays paid. The layer neither drops nor reorders."""
    paid = paid_intent(stripe_testbed, tenant_a)
    declined = paid_intent(stripe_testbed, tenant_a, CARD_DECLINED_ON_CHARGE)
    succeeded = stripe_event(stripe_testbed, "payment_intent.succeeded", paid)
    failed = stripe_event(stripe_testbed, "payment_intent.payment_failed", declined)
    failed_late = {**failed, "id": failed["id"] + "_late"}
    failed_late["data"] = {"object": {**failed["data"]["object"], "id": paid}}

    for event in (failed, succeeded, failed_late, succeeded, failed):
        assert post_webhook(client, *sign_event(event)).status_code == 200

    assert applied.calls == [
        (
            "on_charge_failed",
            {
                "provider": "stripe",
                "reference": declined,
                "failure_code": "card_declined",
                "failure_message": "Your card was declined.",
                "event_id": failed["id"],
            },
        ),
        (
            "on_charge_succeeded",
            {"provider": "stripe", "reference": paid, "event_id": succeeded["id"]},
        ),
        (
            "on_charge_failed",
            {
                "provider": "stripe",
                "reference": paid,
                "failure_code": "card_declined",
                "failure_message": "Your card was declined.",
                "event_id": failed_late["id"],
            },
        ),
    ]
    assert [r.event_id for r in recorded_events(tenant_a)] == [
        failed["id"],
        succeeded["id"],
        failed_late["id"],
    ]


def test_failed_handler_leaves_the_event_for_stripes_retry(
    client, stripe_testbed, tenant_a, applied
):
    reference = paid_intent(stripe_testbed, tenant_a)
    event = stripe_event(stripe_testbed, "payment_intent.succeeded", reference)
    applied.failures_left = 1

    failed = post_webhook(client, *sign_event(event))

    assert failed.status_code == 500
    assert failed.json()["error"]["code"] == "internal_error"
    [record] = recorded_events(tenant_a)
    assert (record.processed_at, record.outcome) == (None, "failed: RuntimeError")

    retried = post_webhook(client, *sign_event(event))

    assert retried.status_code == 200 and retried.json()["is_duplicate"] is False
    assert applied.names == ["on_charge_succeeded"]
    [record] = recorded_events(tenant_a)
    assert record.processed_at is not None and record.outcome == "charge succeeded"


def test_unknown_event_type_is_recorded_and_acknowledged(client, stripe_testbed, tenant_a, applied):
    with schema_context(tenant_a.schema_name):
        customer = stripe_testbed.provider.ensure_customer(
            email="ana@example.com", name="Ana", existing_reference=""
        )
    event = stripe_event(stripe_testbed, "customer.created", customer)

    response = post_webhook(client, *sign_event(event))

    assert response.status_code == 200
    assert applied.calls == []
    [record] = recorded_events(tenant_a)
    assert record.event_type == "customer.created"
    assert record.processed_at is not None
    assert record.outcome == "ignored: no handler for this type"


def test_another_marketplaces_event_is_neither_stored_nor_applied(
    client, stripe_testbed, tenant_a, tenant_b, applied
):
    """Every marketplace's endpoint hears the whole platform account."""
    reference = paid_intent(stripe_testbed, tenant_b)
    event = stripe_event(stripe_testbed, "payment_intent.succeeded", reference)

    response = post_webhook(client, *sign_event(event))

    assert response.status_code == 200
    assert applied.calls == []
    assert recorded_events(tenant_a) == [] and recorded_events(tenant_b) == []


# --- disputes -----------------------------------------------------------------------------------


def dispute(status: str, payment_intent: str = "pi_disputed") -> dict[str, Any]:
    return {
        "id": "dp_1",
        "object": "dispute",
        "amount": 1999,
        "currency": "eur",
        "charge": "ch_disputed",
        "payment_intent": payment_intent,
        "reason": "fraudulent",
        "status": status,
        "is_charge_refundable": False,
        "metadata": {},
    }


def test_dispute_opened_and_closed_reach_commerce(client, applied, tenant_a):
    opened = event_of("charge.dispute.created", dispute("needs_response"), "evt_dispute_1")
    lost = event_of("charge.dispute.closed", dispute("lost"), "evt_dispute_2")

    for event in (opened, lost):
        assert post_webhook(client, *sign_event(event)).status_code == 200

    assert applied.calls == [
        (
            "on_dispute_opened",
            {
                "provider": "stripe",
                "reference": "pi_disputed",
                "event_id": "evt_dispute_1",
                # Stripe's own dispute, kept to answer it with evidence later.
                "dispute_reference": "dp_1",
            },
        ),
        (
            "on_dispute_closed",
            {
                "provider": "stripe",
                "reference": "pi_disputed",
                "is_won": False,
                "event_id": "evt_dispute_2",
            },
        ),
    ]


@pytest.mark.parametrize(
    ("status", "is_won"), [("won", True), ("warning_closed", True), ("lost", False)]
)
def test_dispute_outcome(client, applied, tenant_a, status, is_won):
    post_webhook(client, *sign_event(event_of("charge.dispute.closed", dispute(status))))

    [(_, kwargs)] = applied.calls
    assert kwargs["is_won"] is is_won


# --- payouts and seller accounts ----------------------------------------------------------------


def paid_transfer(testbed: StripeTestbed, tenant: Tenant) -> str:
    with schema_context(tenant.schema_name):
        account, _ = testbed.provider.onboarding_link(
            account_reference="",
            email="s@example.com",
            return_url="https://a/r",
            refresh_url="https://a/f",
        )
        testbed.connect.complete_onboarding(account)
        return testbed.provider.transfer(
            account_reference=account,
            amount=Money(5000, "EUR"),
            idempotency_key="payout-1",
            description="Payout 1",
        ).reference


def reversed_at_stripe(testbed: StripeTestbed, transfer: str, amount: int | None = None) -> None:
    """An operator reversing the transfer in Stripe's dashboard (no Souk metadata)."""
    dashboard = stripe.StripeClient(TEST_SECRET_KEY, base_addresses={"api": testbed.connect.url})
    dashboard.v1.transfers.reversals.create(transfer, {"amount": amount} if amount else {})


def test_transfer_reversed_at_stripe_fails_the_payout(client, stripe_testbed, tenant_a, applied):
    transfer = paid_transfer(stripe_testbed, tenant_a)
    reversed_at_stripe(stripe_testbed, transfer)
    event = event_of("transfer.reversed", stripe_testbed.connect.transfers[transfer])

    assert post_webhook(client, *sign_event(event)).status_code == 200

    assert applied.calls == [
        (
            "on_transfer_failed",
            {
                "provider": "stripe",
                "reference": transfer,
                "failure_message": "The transfer was reversed at Stripe.",
            },
        )
    ]


def test_souks_own_reversal_is_not_a_failed_payout(client, stripe_testbed, tenant_a, applied):
    transfer = paid_transfer(stripe_testbed, tenant_a)
    with schema_context(tenant_a.schema_name):
        stripe_testbed.provider.reverse_transfer(
            transfer_reference=transfer, amount=Money(5000, "EUR"), idempotency_key="refund-1"
        )
    event = event_of("transfer.reversed", stripe_testbed.connect.transfers[transfer])

    assert post_webhook(client, *sign_event(event)).status_code == 200

    assert applied.calls == []
    [record] = recorded_events(tenant_a)
    assert record.outcome == "ignored: reversed by Souk"


def test_partial_reversal_at_stripe_is_recorded_not_applied(
    client, stripe_testbed, tenant_a, applied
):
    transfer = paid_transfer(stripe_testbed, tenant_a)
    reversed_at_stripe(stripe_testbed, transfer, amount=1000)
    event = event_of("transfer.reversed", stripe_testbed.connect.transfers[transfer])

    assert post_webhook(client, *sign_event(event)).status_code == 200

    assert applied.calls == []
    [record] = recorded_events(tenant_a)
    assert record.outcome == "ignored: partial reversal made at Stripe"


def test_account_updated_reads_the_account_back(client, stripe_testbed, tenant_a, applied):
    """A late, older account.updated (saying payouts are off) cannot switch them off again:
    the account is read back from Stripe."""
    seller = make_seller(tenant_a, "lamp-works")
    with schema_context(tenant_a.schema_name):
        account, _ = stripe_testbed.provider.onboarding_link(
            account_reference="",
            email="s@example.com",
            return_url="https://a/r",
            refresh_url="https://a/f",
        )
        SellerPaymentAccount.objects.create(seller=seller, provider="stripe", reference=account)
    stale_snapshot = dict(stripe_testbed.connect.accounts[account])
    stripe_testbed.connect.complete_onboarding(account)

    response = post_webhook(client, *sign_event(event_of("account.updated", stale_snapshot)))

    assert response.status_code == 200
    with schema_context(tenant_a.schema_name):
        assert SellerPaymentAccount.objects.get(seller=seller).is_payouts_enabled is True
    [record] = recorded_events(tenant_a)
    assert record.outcome == "payouts enabled"


def test_account_updated_for_an_unknown_account_changes_nothing(
    client, stripe_testbed, tenant_a, applied
):
    event = event_of(
        "account.updated", {"id": "acct_nobody", "object": "account", "payouts_enabled": True}
    )

    assert post_webhook(client, *sign_event(event)).status_code == 200

    assert stripe_testbed.connect.sent() == []  # no need to ask Stripe
    [record] = recorded_events(tenant_a)
    assert record.outcome == "ignored: no seller has this account"
