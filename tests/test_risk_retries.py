"""A buyer's later attempts to pay an order (another card after a decline, through
``/orders/{id}/pay``) are judged on their own before the provider hears of them: trying card
after card on one order is how stolen cards are tested, so the cards a device or address tried
count towards its thresholds, a card that lost a chargeback is refused before it is charged,
and a blocked attempt cancels the order with nothing charged and nothing booked."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import Order, OrderStatus, Payment, PaymentStatus
from core.commerce.services.payment_events import on_dispute_closed, on_dispute_opened
from core.payments.models import JournalEntry
from core.payments.providers.sandbox import DECLINED_CARD, SUCCESS_CARD
from core.risk.models import Outcome, ReviewStatus, RiskAssessment, RiskAttempt
from core.risk.services.settings import update_risk_settings
from core.risk.signals import DEVICE_COOKIE
from tests.accounts_helpers import call, make_user
from tests.backoffice_helpers import operator
from tests.commerce_helpers import add, bearer_client, make_shop
from tests.risk_helpers import spy_on_sandbox_charges
from tests.testmodules.alpha.models import FulfilmentRecord

# Numbers the sandbox declines as "not a test card": distinct cards for card testing.
UNKNOWN_CARDS = ("4111111111111111", "5555555555554444", "378282246310005", "6011111111111117")


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


@pytest.fixture
def charged(monkeypatch):
    return spy_on_sandbox_charges(monkeypatch)


def cards(charged) -> list[str]:
    """The cards the sandbox was asked to charge, in order."""
    return [request.payment_method for request in charged]


def client_of(client_for, shop, user, *, device="a" * 32, ip="203.0.113.7"):
    client = bearer_client(client_for, shop.tenant, user)
    client.defaults["REMOTE_ADDR"] = ip
    client.cookies[DEVICE_COOKIE] = device
    return client


def declined_order(client, shop) -> int:
    assert add(client, shop.editor).status_code == 200
    answer = call(
        client,
        "post",
        "/checkout",
        {"country": "DE", "payment_method": DECLINED_CARD},
        **{"Idempotency-Key": uuid.uuid4().hex},
    )
    assert answer.status_code == 402, answer.content
    return answer.json()["error"]["details"]["order_id"]


def retry(client, order_id: int, card: str, key: str | None = None):
    return call(
        client,
        "post",
        f"/orders/{order_id}/pay",
        {"payment_method": card},
        **{"Idempotency-Key": key or uuid.uuid4().hex},
    )


def in_shop(shop, fn):
    with schema_context(shop.tenant.schema_name):
        return fn()


def test_card_after_card_on_one_order_is_reviewed_then_blocked_before_the_card_is_charged(
    shop, client_for, charged, django_capture_on_commit_callbacks
):
    in_shop(shop, lambda: update_risk_settings(cards_review_at=3, cards_block_at=5))
    client = client_of(client_for, shop, shop.buyer)
    order_id = declined_order(client, shop)  # card 1

    assert retry(client, order_id, UNKNOWN_CARDS[0]).status_code == 402  # card 2: declined
    assessment = in_shop(shop, lambda: RiskAssessment.objects.get(order_id=order_id))
    assert assessment.outcome == Outcome.ALLOW

    assert retry(client, order_id, UNKNOWN_CARDS[1]).status_code == 402  # card 3: review
    assessment = in_shop(shop, lambda: RiskAssessment.objects.get(order_id=order_id))
    assert (assessment.outcome, assessment.review_status) == (Outcome.REVIEW, ReviewStatus.PENDING)
    assert any(
        r["rule"] == "velocity_cards" and r["reason"].startswith("On a later attempt: 3 cards")
        for r in assessment.reasons
    ), assessment.reasons
    queue = operator(client_for, shop.tenant).get("/operator/risk/").content.decode()
    assert f"Order {order_id}" in queue
    assert "3 (paid again 2 times after the first charge failed)" in queue

    assert retry(client, order_id, UNKNOWN_CARDS[2]).status_code == 402  # card 4: declined
    blocked = retry(client, order_id, UNKNOWN_CARDS[3])  # card 5: blocked, never charged

    assert blocked.status_code == 402
    assert blocked.json()["error"]["code"] == "checkout_blocked"
    assert cards(charged) == [DECLINED_CARD, *UNKNOWN_CARDS[:3]]  # card 5 never charged
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.get(pk=order_id).status == OrderStatus.CANCELLED
        last = Payment.objects.filter(order_id=order_id).order_by("-id").first()
        assert (last.status, last.failure_code) == (PaymentStatus.FAILED, "risk_blocked")
        assert list(RiskAttempt.objects.values_list("outcome", flat=True)) == [
            Outcome.ALLOW,
            Outcome.REVIEW,
            Outcome.REVIEW,
            Outcome.BLOCK,
        ]
        assert not JournalEntry.objects.exists()
    # The cancelled order cannot be paid again with any card.
    assert retry(client, order_id, SUCCESS_CARD).status_code == 409


def test_a_card_that_lost_a_chargeback_is_refused_on_a_retry_before_it_is_charged(
    shop, client_for, charged, django_capture_on_commit_callbacks
):
    # A chargeback lost on an order someone paid with the succeeding test card marks the card.
    someone = make_user(shop.tenant, "first@example.com")
    first = client_of(client_for, shop, someone, device="b" * 32, ip="198.51.100.4")
    with django_capture_on_commit_callbacks(execute=True):
        assert add(first, shop.editor).status_code == 200
        paid = call(
            first,
            "post",
            "/checkout",
            {"country": "DE", "payment_method": SUCCESS_CARD},
            **{"Idempotency-Key": uuid.uuid4().hex},
        )
    assert paid.status_code == 201, paid.content
    with schema_context(shop.tenant.schema_name):
        reference = Payment.objects.get(order_id=paid.json()["id"]).reference
        with django_capture_on_commit_callbacks(execute=True):
            on_dispute_opened(provider="sandbox", reference=reference, event_id="evt_open")
            on_dispute_closed(
                provider="sandbox", reference=reference, is_won=False, event_id="evt_lost"
            )
        entries_before = JournalEntry.objects.count()
    charged.clear()

    # Another buyer, another device and address: declined first, then retries with that card.
    client = client_of(client_for, shop, shop.buyer)
    order_id = declined_order(client, shop)
    refused = retry(client, order_id, SUCCESS_CARD)

    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "checkout_blocked"
    assert cards(charged) == [DECLINED_CARD]
    with schema_context(shop.tenant.schema_name):
        attempt = RiskAttempt.objects.get(order_id=order_id)
        assert attempt.outcome == Outcome.BLOCK
        assert [r["rule"] for r in attempt.reasons] == ["chargeback_history"]
        assert Order.objects.get(pk=order_id).status == OrderStatus.CANCELLED
        assert JournalEntry.objects.count() == entries_before
        assert FulfilmentRecord.objects.filter(action="fulfil").count() == 1  # the first only


def test_a_replayed_retry_is_assessed_once_and_a_clean_retry_pays_and_fulfils(
    shop, client_for, django_capture_on_commit_callbacks
):
    client = client_of(client_for, shop, shop.buyer)
    order_id = declined_order(client, shop)

    with django_capture_on_commit_callbacks(execute=True):
        paid = retry(client, order_id, SUCCESS_CARD, key="retry-once")
        again = retry(client, order_id, SUCCESS_CARD, key="retry-once")

    assert paid.status_code == again.status_code == 201
    with schema_context(shop.tenant.schema_name):
        assert RiskAttempt.objects.filter(order_id=order_id).count() == 1
        assert RiskAttempt.objects.get(order_id=order_id).outcome == Outcome.ALLOW
        assert Order.objects.get(pk=order_id).status == OrderStatus.COMPLETED
        assert FulfilmentRecord.objects.filter(action="fulfil").count() == 1


def test_retried_cards_count_only_in_their_own_marketplace(tenant_a, tenant_b, client_for):
    shop_a, shop_b = make_shop(tenant_a), make_shop(tenant_b)
    for shop in (shop_a, shop_b):
        in_shop(shop, lambda: update_risk_settings(cards_review_at=2, cards_block_at=3))
    client_a = client_of(client_for, shop_a, shop_a.buyer)
    order_a = declined_order(client_a, shop_a)
    assert retry(client_a, order_a, UNKNOWN_CARDS[0]).status_code == 402
    assert retry(client_a, order_a, UNKNOWN_CARDS[1]).json()["error"]["code"] == (
        "checkout_blocked"
    )

    # The same device and address try the same cards on marketplace B: nothing counts there.
    client_b = client_of(client_for, shop_b, shop_b.buyer)
    order_b = declined_order(client_b, shop_b)
    answer = retry(client_b, order_b, UNKNOWN_CARDS[0])

    assert answer.json()["error"]["details"]["failure_code"] == "invalid_test_card"
    with schema_context(tenant_b.schema_name):
        assert RiskAttempt.objects.get(order_id=order_b).outcome == Outcome.REVIEW
        assert RiskAttempt.objects.count() == 1
