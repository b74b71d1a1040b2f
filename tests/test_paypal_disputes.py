"""A buyer's PayPal dispute (CUSTOMER.DISPUTE.CREATED / RESOLVED, in PayPal's documented shape,
built by the local PayPal server) takes the same path as a Stripe chargeback: the order is
disputed and a chargeback dispute is recorded once however often PayPal delivers; resolved in
the buyer's favour it is lost (the payment booked as refunded without asking PayPal to refund
again, the seller's share taken back, the buyer marked for the fraud rules), in the seller's
favour it is won (nothing moves); another marketplace's dispute is neither stored nor
applied."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import OrderStatus, Refund
from core.disputes.models import Dispute, DisputeStatus, ResolutionType
from core.events import dispatch_pending
from core.payments import ledger
from core.payments.models import EntryKind, JournalEntry, ProviderEvent
from core.risk.models import MarkKind, RiskMark
from tests.accounts_helpers import make_user, sign_in
from tests.commerce_helpers import account_balance, ledger_totals, make_shop, order_of
from tests.paypal_fixtures import come_back, deliver, enable_paypal
from tests.test_paypal_webhooks import approved_order

pytest_plugins = ["tests.paypal_fixtures"]


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def paid_with_paypal(shop, client_for, paypal, capture):
    app, client, order, token = approved_order(shop, client_for, paypal)
    with capture(execute=True):
        come_back(client, token)
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.COMPLETED
    return app, client, order, token


def events(tenant) -> list[tuple[str, str]]:
    with schema_context(tenant.schema_name):
        return list(ProviderEvent.objects.values_list("event_type", "outcome").order_by("id"))


def chargebacks(tenant, order_id: int) -> list[Dispute]:
    with schema_context(tenant.schema_name):
        dispatch_pending()  # the outbox's consumers: the dispute timeline
        return list(Dispute.objects.filter(order_id=order_id, kind="chargeback"))


def test_a_paypal_dispute_opens_one_chargeback_however_often_paypal_delivers_it(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    app, client, order, token = paid_with_paypal(
        shop, client_for, paypal, django_capture_on_commit_callbacks
    )
    created = paypal.event(
        "CUSTOMER.DISPUTE.CREATED", paypal.dispute_resource(token, dispute_id="PP-D-1001")
    )

    first = deliver(client, paypal, created, webhook_id=app.webhook_id)
    replay = deliver(client, paypal, created, webhook_id=app.webhook_id)

    assert (first.status_code, first.json()["is_duplicate"]) == (200, False)
    assert (replay.status_code, replay.json()["is_duplicate"]) == (200, True)
    assert events(shop.tenant) == [("CUSTOMER.DISPUTE.CREATED", "dispute opened")]
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.DISPUTED
    [chargeback] = chargebacks(shop.tenant, order["id"])
    assert chargeback.status == DisputeStatus.IN_REVIEW
    assert chargeback.provider_dispute_id == "PP-D-1001"
    assert chargebacks(shop.tenant, order["id"]) == [chargeback]  # the replay added none
    # Nothing moved yet: the money stays where the capture put it.
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 2000
    assert -account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == 1800
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_dispute_resolved_for_the_buyer_is_a_lost_chargeback_booked_once_and_marked(
    shop, client_for, paypal, django_capture_on_commit_callbacks
):
    app, client, order, token = paid_with_paypal(
        shop, client_for, paypal, django_capture_on_commit_callbacks
    )
    created = paypal.event("CUSTOMER.DISPUTE.CREATED", paypal.dispute_resource(token))
    resolved = paypal.event(
        "CUSTOMER.DISPUTE.RESOLVED",
        paypal.dispute_resource(token, outcome_code="RESOLVED_BUYER_FAVOUR"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        deliver(client, paypal, created, webhook_id=app.webhook_id)
        for _ in range(2):
            answer = deliver(client, paypal, resolved, webhook_id=app.webhook_id)
            assert answer.status_code == 200, answer.content

    assert events(shop.tenant) == [
        ("CUSTOMER.DISPUTE.CREATED", "dispute opened"),
        ("CUSTOMER.DISPUTE.RESOLVED", "dispute closed (lost)"),
    ]
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.REFUNDED
    with schema_context(shop.tenant.schema_name):
        assert list(Refund.objects.values_list("amount", flat=True)) == [2000]
        assert JournalEntry.objects.filter(kind=EntryKind.REFUND).count() == 1
        marks = set(RiskMark.objects.values_list("kind", "value"))
    assert (MarkKind.BUYER, str(shop.buyer.pk)) in marks
    # PayPal took the money back itself: Souk asked it for no refund.
    assert paypal.calls_to("/refund") == 0
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 0
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == 0
    assert ledger_totals(shop.tenant) == {"USD": 0}
    [chargeback] = chargebacks(shop.tenant, order["id"])
    assert (chargeback.status, chargeback.resolution_type) == (
        DisputeStatus.CLOSED,
        ResolutionType.REFUND,
    )


@pytest.mark.parametrize(
    "outcome", ["RESOLVED_SELLER_FAVOUR", "CANCELED_BY_BUYER", "RESOLVED_WITH_PAYOUT"]
)
def test_a_dispute_the_seller_keeps_the_money_of_is_won_and_nothing_moves(
    shop, client_for, paypal, django_capture_on_commit_callbacks, outcome
):
    app, client, order, token = paid_with_paypal(
        shop, client_for, paypal, django_capture_on_commit_callbacks
    )
    created = paypal.event("CUSTOMER.DISPUTE.CREATED", paypal.dispute_resource(token))
    updated = paypal.event(
        "CUSTOMER.DISPUTE.UPDATED", paypal.dispute_resource(token, status="UNDER_REVIEW")
    )
    resolved = paypal.event(
        "CUSTOMER.DISPUTE.RESOLVED", paypal.dispute_resource(token, outcome_code=outcome)
    )

    with django_capture_on_commit_callbacks(execute=True):
        for body in (created, updated, resolved):
            assert deliver(client, paypal, body, webhook_id=app.webhook_id).status_code == 200

    assert [outcome for _, outcome in events(shop.tenant)] == [
        "dispute opened",
        "ignored: the dispute goes on at PayPal; its outcome is applied",
        "dispute closed (won)",
    ]
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.COMPLETED
    with schema_context(shop.tenant.schema_name):
        assert Refund.objects.count() == 0
        assert RiskMark.objects.count() == 0
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 2000
    assert -account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == 1800
    assert ledger_totals(shop.tenant) == {"USD": 0}
    [chargeback] = chargebacks(shop.tenant, order["id"])
    assert (chargeback.status, chargeback.resolution_type) == (
        DisputeStatus.CLOSED,
        ResolutionType.NONE,
    )


def test_another_marketplaces_paypal_dispute_is_neither_stored_nor_applied(
    shop, tenant_b, client_for, paypal, django_capture_on_commit_callbacks
):
    app_a, _, order, token = paid_with_paypal(
        shop, client_for, paypal, django_capture_on_commit_callbacks
    )
    app_b = enable_paypal(tenant_b, paypal)
    buyer_b = make_user(tenant_b, shop.buyer.email, full_name="Bea Buyer")
    client_b = client_for(tenant_b)
    assert sign_in(client_b, buyer_b.email).status_code == 200
    dispute = paypal.dispute_resource(token, outcome_code="RESOLVED_BUYER_FAVOUR")
    # Without the ``custom`` field B's PayPal app is asked about A's capture, and knows none.
    anonymous = json.loads(json.dumps(dispute))
    anonymous["disputed_transactions"][0]["custom"] = ""

    for body in (
        paypal.event("CUSTOMER.DISPUTE.CREATED", dispute),
        paypal.event("CUSTOMER.DISPUTE.RESOLVED", dispute),
    ):
        answer = deliver(client_b, paypal, body, webhook_id=app_b.webhook_id)
        assert answer.status_code == 200, answer.content
    unknown = deliver(
        client_b,
        paypal,
        paypal.event("CUSTOMER.DISPUTE.RESOLVED", anonymous),
        webhook_id=app_b.webhook_id,
    )

    assert unknown.status_code == 200, unknown.content
    assert events(tenant_b) == [
        ("CUSTOMER.DISPUTE.RESOLVED", "ignored: capture unknown to this PayPal app")
    ]
    assert ledger_totals(tenant_b) == {}
    assert order_of(shop.tenant, order["id"]).status == OrderStatus.COMPLETED
    assert events(shop.tenant) == []
    assert chargebacks(shop.tenant, order["id"]) == []
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 2000
    assert app_a.webhook_id != app_b.webhook_id
