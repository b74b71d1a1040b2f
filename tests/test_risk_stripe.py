"""Stripe Radar's view of a charge (charge.outcome) is recorded on the checkout's assessment,
with the card's fingerprint and country; an "elevated" Radar risk holds the paid order for an
operator. Stripe is localstripe behind the test front (tests/stripe_fixtures.py); localstripe
has no Radar, so the front here adds ``outcome`` to the charge in Stripe's documented shape
(https://docs.stripe.com/api/charges/object#charge_object-outcome)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.commerce.models import OrderStatus
from core.risk.models import MarkKind, Outcome, ReviewStatus, RiskAssessment, RiskMark
from tests.accounts_helpers import make_user
from tests.commerce_helpers import add, bearer_client, checkout, make_shop
from tests.stripe_fixtures import CARD_SUCCEEDS
from tests.testmodules.alpha.models import FulfilmentRecord

pytest_plugins = ["tests.stripe_fixtures"]


@pytest.fixture
def shop(tenant_a, stripe_testbed):
    return make_shop(tenant_a)


def radar_says(monkeypatch, front, *, risk_level: str, risk_score: int, outcome_type: str):
    plain = front.answer

    def with_radar(call, raw_path, body):
        status, document = plain(call, raw_path, body)
        charge = document.get("latest_charge") if isinstance(document, dict) else None
        if call.path.startswith("/v1/payment_intents") and isinstance(charge, dict):
            charge["outcome"] = {
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": risk_level,
                "risk_score": risk_score,
                "seller_message": "Payment complete.",
                "type": outcome_type,
            }
        return status, document

    monkeypatch.setattr(front, "answer", with_radar)


def pay(shop, client_for, testbed, capture):
    client = bearer_client(client_for, shop.tenant, shop.buyer)
    add(client, shop.editor)
    with capture(execute=True):
        response = checkout(client, card=testbed.payment_method(CARD_SUCCEEDS))
    assert response.status_code == 201, response.content
    with schema_context(shop.tenant.schema_name):
        return response.json(), RiskAssessment.objects.get(order_id=response.json()["id"])


def test_radars_outcome_and_the_cards_identity_are_recorded_on_the_assessment(
    shop, client_for, stripe_testbed, monkeypatch, django_capture_on_commit_callbacks
):
    radar_says(
        monkeypatch,
        stripe_testbed.front,
        risk_level="normal",
        risk_score=12,
        outcome_type="authorized",
    )

    order, assessment = pay(shop, client_for, stripe_testbed, django_capture_on_commit_callbacks)

    assert (assessment.radar_risk_level, assessment.radar_risk_score) == ("normal", 12)
    assert assessment.radar_outcome_type == "authorized"
    method = stripe_testbed.client.v1.payment_intents.retrieve(
        assessment_reference(shop, order["id"]), {"expand": ["payment_method"]}
    ).payment_method
    assert assessment.card_fingerprint == method.card.fingerprint != ""
    assert assessment.card_country == method.card.country
    assert assessment.outcome == Outcome.ALLOW
    with schema_context(shop.tenant.schema_name):
        assert FulfilmentRecord.objects.filter(action="fulfil").count() == 1


def test_an_elevated_radar_risk_holds_the_paid_order_for_review(
    shop, client_for, stripe_testbed, monkeypatch, django_capture_on_commit_callbacks
):
    radar_says(
        monkeypatch,
        stripe_testbed.front,
        risk_level="elevated",
        risk_score=71,
        outcome_type="authorized",
    )

    order, assessment = pay(shop, client_for, stripe_testbed, django_capture_on_commit_callbacks)

    assert order["status"] == OrderStatus.PAID
    assert (assessment.outcome, assessment.review_status) == (Outcome.REVIEW, ReviewStatus.PENDING)
    assert "Stripe Radar rates it elevated." in [r["reason"] for r in assessment.reasons]
    with schema_context(shop.tenant.schema_name):
        assert FulfilmentRecord.objects.filter(action="fulfil").count() == 0


def assessment_reference(shop, order_id):
    from core.commerce.models import Payment

    with schema_context(shop.tenant.schema_name):
        return Payment.objects.get(order_id=order_id).reference


def test_a_card_that_lost_a_chargeback_is_refused_before_stripe_charges_it(
    shop, client_for, stripe_testbed, django_capture_on_commit_callbacks
):
    """Stripe's PaymentMethod names the card (its fingerprint) before any charge, so a new
    method id for a marked card is refused at checkout rather than charged and reviewed."""
    _, first = pay(shop, client_for, stripe_testbed, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        RiskMark.objects.create(
            kind=MarkKind.CARD,
            value=first.card_fingerprint,
            reason="lost chargeback",
            created_at=timezone.now(),
        )
    intents_before = len(stripe_testbed.client.v1.payment_intents.list({"limit": 100}).data)
    someone = make_user(shop.tenant, "second@example.com")
    client = bearer_client(client_for, shop.tenant, someone)
    client.defaults["REMOTE_ADDR"] = "198.51.100.23"
    add(client, shop.editor)

    refused = checkout(client, card=stripe_testbed.payment_method(CARD_SUCCEEDS))

    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "checkout_blocked"
    assert len(stripe_testbed.client.v1.payment_intents.list({"limit": 100}).data) == (
        intents_before
    )
    with schema_context(shop.tenant.schema_name):
        blocked = RiskAssessment.objects.get(buyer=someone)
        assert blocked.card_fingerprint == first.card_fingerprint
        assert blocked.outcome == Outcome.BLOCK
        assert {r["rule"]: r["outcome"] for r in blocked.reasons}["chargeback_history"] == "block"
