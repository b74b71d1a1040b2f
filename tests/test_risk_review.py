"""The operator's "Risk review" queue: a held order is paid but fulfilled only once approved,
a rejected one is refunded with nothing fulfilled and the books balanced, a held payout's
transfer waits for the decision; only operators with two-factor may see or decide."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.commerce.models import LineStatus, Order, OrderStatus
from core.payments import ledger
from core.payments.models import Payout, PayoutStatus
from core.risk.models import Outcome, ReviewStatus, RiskAssessment
from core.risk.selectors import risk_settings
from core.risk.services.settings import update_risk_settings
from core.sellers.models import Seller
from tests.accounts_helpers import call, sign_in
from tests.backoffice_helpers import assert_refused, operator, refusals, signed_in_as
from tests.commerce_helpers import (
    account_balance,
    add,
    bearer_client,
    checkout,
    ledger_totals,
    make_shop,
)
from tests.testmodules.alpha.models import FulfilmentRecord

QUEUE = "/operator/risk/"


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def risk(tenant, **changes):
    with schema_context(tenant.schema_name):
        update_risk_settings(**changes)


def held_order(shop, client_for, capture):
    """A first order above the marketplace's first-order threshold: charged, then held."""
    risk(shop.tenant, first_order_review_above=1000)
    client = bearer_client(client_for, shop.tenant, shop.buyer)
    add(client, shop.editor)
    add(client, shop.scanner)
    with capture(execute=True):
        response = checkout(client)
    assert response.status_code == 201, response.content
    order_id = response.json()["id"]
    with schema_context(shop.tenant.schema_name):
        return RiskAssessment.objects.get(order_id=order_id)


def decide(client, assessment, decision, note=""):
    return client.post(QUEUE, {"assessment": assessment.pk, "decision": decision, "note": note})


def state(tenant, order_id):
    with schema_context(tenant.schema_name):
        order = Order.objects.get(pk=order_id)
        lines = set(order.lines.values_list("status", flat=True))
        return order.status, lines, FulfilmentRecord.objects.filter(action="fulfil").count()


def test_a_held_order_is_fulfilled_only_once_an_operator_approves_it(
    shop, client_for, django_capture_on_commit_callbacks
):
    assessment = held_order(shop, client_for, django_capture_on_commit_callbacks)
    assert state(shop.tenant, assessment.order_id) == (OrderStatus.PAID, {LineStatus.PENDING}, 0)
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 3500  # the charge is booked
    staff = operator(client_for, shop.tenant)
    response = staff.get(QUEUE)
    page = response.content.decode()
    assert f"Order {assessment.order_id}" in page and "A first order of 35.00" in page
    chart = response.context["chart"]
    assert chart.id == "risk-outcomes" and 'id="chart-risk-outcomes"' in page
    assert [series.values[-1] for series in chart.series] == [0, 1, 0]  # today: one reviewed

    with django_capture_on_commit_callbacks(execute=True):
        answer = decide(staff, assessment, "approve", note="called the buyer")
    with django_capture_on_commit_callbacks(execute=True):
        again = decide(staff, assessment, "approve")

    assert answer.status_code == again.status_code == 302
    assert state(shop.tenant, assessment.order_id) == (
        OrderStatus.COMPLETED,
        {LineStatus.COMPLETED},
        2,  # each line fulfilled once, the second approval refused
    )
    with schema_context(shop.tenant.schema_name):
        assessment.refresh_from_db()
        assert assessment.review_status == ReviewStatus.APPROVED
        assert assessment.decision_note == "called the buyer"
        assert assessment.decided_by.email == "op@example.com"
    assert ledger_totals(shop.tenant) == {"USD": 0}
    assert "Nothing is waiting for a review" in staff.get(QUEUE).content.decode()


def test_a_rejected_order_is_refunded_in_full_and_nothing_is_fulfilled(
    shop, client_for, django_capture_on_commit_callbacks
):
    assessment = held_order(shop, client_for, django_capture_on_commit_callbacks)
    staff = operator(client_for, shop.tenant)

    with django_capture_on_commit_callbacks(execute=True):
        decide(staff, assessment, "reject", note="stolen card")

    status, lines, fulfilments = state(shop.tenant, assessment.order_id)
    assert (status, fulfilments) == (OrderStatus.REFUNDED, 0)
    assert lines == {LineStatus.REVOKED}
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.get(pk=assessment.order_id).refunded_total == 3500
    assert ledger_totals(shop.tenant) == {"USD": 0}
    assert account_balance(shop.tenant, ledger.PROVIDER_CASH) == 0
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == 0
    assert account_balance(shop.tenant, ledger.buyer_clearing(assessment.order_id)) == 0
    # Approving after the rejection changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        decide(staff, assessment, "approve")
    assert state(shop.tenant, assessment.order_id)[2] == 0


def test_buyers_and_sellers_can_neither_see_the_queue_nor_decide(
    shop, client_for, django_capture_on_commit_callbacks
):
    assessment = held_order(shop, client_for, django_capture_on_commit_callbacks)

    assert_refused(refusals(client_for, shop.tenant, shop, QUEUE), QUEUE)
    buyer = signed_in_as(client_for, shop.tenant, shop.buyer.email)
    seller = signed_in_as(client_for, shop.tenant, shop.seller_one.owner.email)
    for client in (buyer, seller):
        assert decide(client, assessment, "approve").status_code == 403
        assert client.post("/operator/risk/settings/", {"window_minutes": "1"}).status_code == 403
    with schema_context(shop.tenant.schema_name):
        assessment.refresh_from_db()
        assert assessment.review_status == ReviewStatus.PENDING
        assert risk_settings().window_minutes == 60
    assert state(shop.tenant, assessment.order_id)[2] == 0


def test_operators_set_the_thresholds_and_a_block_below_review_is_refused(shop, client_for):
    staff = operator(client_for, shop.tenant)
    form = {
        "window_minutes": "30",
        "orders_review_at": "4",
        "orders_block_at": "9",
        "cards_review_at": "3",
        "cards_block_at": "6",
        "accounts_review_at": "3",
        "accounts_block_at": "6",
        "first_order_review_above": "250.00",
        "first_order_block_above": "0",
        "country_mismatch_outcome": "block",
        "new_seller_days": "14",
        "payout_spike_multiplier": "4",
        "first_payout_review_above": "500.50",
    }

    saved = staff.post("/operator/risk/settings/", form)
    refused = staff.post("/operator/risk/settings/", {**form, "orders_block_at": "2"})

    assert saved.status_code == 302
    assert refused.status_code == 200
    assert "Blocking must start at or above where review starts" in refused.content.decode()
    with schema_context(shop.tenant.schema_name):
        row = risk_settings()
        assert (row.window_minutes, row.orders_block_at, row.first_order_review_above) == (
            30,
            9,
            25_000,
        )
        assert (row.country_mismatch_outcome, row.first_payout_review_above) == ("block", 50_050)


def paid_sales(shop, client_for, capture, count):
    client = bearer_client(client_for, shop.tenant, shop.buyer)
    for _ in range(count):
        add(client, shop.editor)
        with capture(execute=True):
            assert checkout(client).status_code == 201


def request_payout(client, amount=None):
    body = {"currency": "USD", **({"amount": amount} if amount else {})}
    return call(client, "post", "/seller/payouts", body, **{"Idempotency-Key": uuid.uuid4().hex})


def seller_with_account(client_for, shop):
    client = client_for(shop.tenant)
    assert sign_in(client, shop.seller_one.owner.email).status_code == 200
    connected = call(
        client,
        "post",
        "/seller/payouts/account",
        {"return_url": "https://x.example/done", "refresh_url": "https://x.example/again"},
    )
    assert connected.json()["is_payouts_enabled"] is True
    return client


def test_a_new_sellers_payout_spike_is_held_until_approved(
    shop, client_for, django_capture_on_commit_callbacks
):
    paid_sales(shop, client_for, django_capture_on_commit_callbacks, 4)  # 4 x 18.00 owed
    acme = seller_with_account(client_for, shop)
    first = request_payout(acme, 1000)
    assert first.json()["status"] == PayoutStatus.PAID
    risk(shop.tenant, payout_spike_multiplier=3)

    spike = request_payout(acme, 3001)  # above 3x the largest paid before
    at_limit = request_payout(acme, 3000)  # 3x: not above it (the held one was not paid)

    assert at_limit.json()["status"] == PayoutStatus.PAID
    assert spike.status_code == 201, spike.content
    assert spike.json()["status"] == PayoutStatus.PROCESSING
    seller_id = shop.seller_one.pk
    assert account_balance(shop.tenant, ledger.payouts_in_transit(seller_id)) == -3001
    with schema_context(shop.tenant.schema_name):
        held = RiskAssessment.objects.get(payout_id=spike.json()["id"])
    assert (held.outcome, held.review_status) == (Outcome.REVIEW, ReviewStatus.PENDING)
    assert operator(client_for, shop.tenant).get(QUEUE).content.decode().count("Payout ") >= 1

    decide(operator(client_for, shop.tenant), held, "approve")

    with schema_context(shop.tenant.schema_name):
        assert Payout.objects.get(pk=held.payout_id).status == PayoutStatus.PAID
    assert account_balance(shop.tenant, ledger.payouts_in_transit(seller_id)) == 0
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_rejected_payout_returns_the_money_and_old_sellers_are_not_held(
    shop, client_for, django_capture_on_commit_callbacks
):
    paid_sales(shop, client_for, django_capture_on_commit_callbacks, 2)  # 36.00 owed
    acme = seller_with_account(client_for, shop)
    risk(shop.tenant, first_payout_review_above=2000, new_seller_days=30)
    spike = request_payout(acme, 2001).json()
    with schema_context(shop.tenant.schema_name):
        held = RiskAssessment.objects.get(payout_id=spike["id"])

    decide(operator(client_for, shop.tenant), held, "reject")

    with schema_context(shop.tenant.schema_name):
        assert Payout.objects.get(pk=spike["id"]).status == PayoutStatus.FAILED
    assert account_balance(shop.tenant, ledger.seller_payable(shop.seller_one.pk)) == -3600
    assert ledger_totals(shop.tenant) == {"USD": 0}
    # The same request from a seller of exactly 30 days is no longer a new seller's.
    with schema_context(shop.tenant.schema_name):
        Seller.objects.filter(pk=shop.seller_one.pk).update(
            created_at=timezone.now() - timedelta(days=30)
        )
    older = request_payout(acme, 2001)
    assert older.json()["status"] == PayoutStatus.PAID, older.content
