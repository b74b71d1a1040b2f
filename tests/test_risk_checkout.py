"""Fraud checks on checkout, through the API a buyer uses: velocity per address and device
within a window (with a controlled clock), mismatched countries, first-order size and
chargeback marks; block refuses the checkout with nothing charged and nothing booked; review
holds the paid order until an operator decides; the check's queries are pinned; one
marketplace's counters and marks never reach another's."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.commerce.models import Order, OrderStatus, Payment, PaymentStatus
from core.commerce.services.payment_events import on_dispute_closed, on_dispute_opened
from core.payments.models import JournalEntry
from core.payments.providers.sandbox import (
    DECLINED_CARD,
    SUCCESS_CARD,
    THREE_D_SECURE_CARD,
)
from core.risk.models import MarkKind, Outcome, ReviewStatus, RiskAssessment, RiskMark
from core.risk.services.assess_checkout import assess_checkout
from core.risk.services.settings import update_risk_settings
from core.risk.signals import DEVICE_COOKIE, RequestSignals, current_signals
from tests.accounts_helpers import PASSWORD, call, make_user
from tests.commerce_helpers import add, bearer_client, ledger_totals, make_shop
from tests.risk_helpers import spy_on_sandbox_charges
from tests.testmodules.alpha.models import FulfilmentRecord

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


@pytest.fixture
def charges(monkeypatch):
    return spy_on_sandbox_charges(monkeypatch)


def risk(tenant, **changes):
    with schema_context(tenant.schema_name):
        update_risk_settings(**changes)


def client_of(client_for, tenant, user, *, ip="203.0.113.7", device=None):
    client = bearer_client(client_for, tenant, user)
    client.defaults["REMOTE_ADDR"] = ip
    if device:
        client.cookies[DEVICE_COOKIE] = device
    return client


def buy(client, product, *, card=SUCCESS_CARD, country="DE", **headers):
    assert add(client, product).status_code == 200
    body = {"country": country, "payment_method": card}
    return call(
        client, "post", "/checkout", body, **{"Idempotency-Key": uuid.uuid4().hex, **headers}
    )


def assessment_of(tenant, order_id):
    with schema_context(tenant.schema_name):
        return RiskAssessment.objects.get(order_id=order_id)


def order_status(tenant, order_id):
    with schema_context(tenant.schema_name):
        return Order.objects.get(pk=order_id).status


def fulfilled(tenant):
    with schema_context(tenant.schema_name):
        return FulfilmentRecord.objects.filter(action="fulfil").count()


def journal_entries(tenant, order_id=None):
    with schema_context(tenant.schema_name):
        entries = JournalEntry.objects.all()
        return entries.filter(order_id=order_id).count() if order_id else entries.count()


def test_orders_from_one_address_are_reviewed_then_blocked_within_the_window_only(
    shop, client_for, charges, django_capture_on_commit_callbacks
):
    risk(shop.tenant, orders_review_at=2, orders_block_at=3, window_minutes=60)
    client = client_of(client_for, shop.tenant, shop.buyer)

    with time_machine.travel(START, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            first = buy(client, shop.editor)
        assert first.status_code == 201, first.content
        assert assessment_of(shop.tenant, first.json()["id"]).outcome == Outcome.ALLOW
    with time_machine.travel(START + timedelta(minutes=30), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            second = buy(client, shop.editor)
        assert second.status_code == 201, second.content
        held = assessment_of(shop.tenant, second.json()["id"])
        assert (held.outcome, held.review_status) == (Outcome.REVIEW, ReviewStatus.PENDING)
        # Counted per address and per device (the first checkout set the device cookie).
        assert [reason["reason"] for reason in held.reasons] == [
            "2 orders from this address recently.",
            "2 orders from this device recently.",
        ]
        assert second.json()["status"] == OrderStatus.PAID  # charged, not fulfilled
        charged_before_block = len(charges)
        entries_before_block = journal_entries(shop.tenant)

        third = buy(client, shop.editor)

        assert third.status_code == 402, third.content
        error = third.json()["error"]
        assert error["code"] == "checkout_blocked"
        assert "could not accept this order" in error["message"]
        blocked_id = error["details"]["order_id"]
        assert len(charges) == charged_before_block  # the provider never heard of it
        assert journal_entries(shop.tenant) == entries_before_block
        assert journal_entries(shop.tenant, blocked_id) == 0
        assert order_status(shop.tenant, blocked_id) == OrderStatus.CANCELLED
        with schema_context(shop.tenant.schema_name):
            payment = Payment.objects.get(order_id=blocked_id)
            assert (payment.status, payment.failure_code) == (PaymentStatus.FAILED, "risk_blocked")
            assert RiskAssessment.objects.get(order_id=blocked_id).outcome == Outcome.BLOCK
    # An hour after the second and third attempts, they have left the window.
    with time_machine.travel(START + timedelta(minutes=90, seconds=1), tick=False):
        later = buy(client, shop.editor)
        assert later.status_code == 201, later.content
        assert assessment_of(shop.tenant, later.json()["id"]).outcome == Outcome.ALLOW
    assert fulfilled(shop.tenant) == 1  # only the allowed first order
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_replayed_blocked_checkout_answers_the_same_and_still_charges_nothing(
    shop, client_for, charges
):
    risk(shop.tenant, orders_review_at=0, orders_block_at=1)
    client = client_of(client_for, shop.tenant, shop.buyer)
    add(client, shop.editor)
    key = uuid.uuid4().hex
    body = {"country": "DE", "payment_method": SUCCESS_CARD}

    first = call(client, "post", "/checkout", body, **{"Idempotency-Key": key})
    again = call(client, "post", "/checkout", body, **{"Idempotency-Key": key})

    assert first.status_code == again.status_code == 402
    assert first.json()["error"]["code"] == again.json()["error"]["code"] == "checkout_blocked"
    assert charges == []
    assert journal_entries(shop.tenant) == 0


def test_a_device_gets_an_httponly_cookie_and_cards_and_accounts_are_counted_per_device(
    shop, client_for, charges
):
    risk(
        shop.tenant, cards_review_at=2, cards_block_at=0, accounts_review_at=2, accounts_block_at=3
    )
    first = client_of(client_for, shop.tenant, shop.buyer, ip="198.51.100.1")

    declined = buy(first, shop.editor, card=DECLINED_CARD)

    assert declined.status_code == 402
    cookie = declined.cookies[DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["domain"]
    device = cookie.value
    # A second card on the same device (another address): review.
    first.cookies[DEVICE_COOKIE] = device
    first.defaults["REMOTE_ADDR"] = "198.51.100.2"
    second = buy(first, shop.scanner, card=SUCCESS_CARD)
    assert second.status_code == 201, second.content
    reasons = assessment_of(shop.tenant, second.json()["id"]).reasons
    assert [(r["rule"], r["outcome"]) for r in reasons] == [("velocity_cards", "review")]
    assert "device" in reasons[0]["reason"]
    # Two more accounts on that device: review at 2, block at 3.
    other = make_user(shop.tenant, "mallory@example.com")
    third = client_of(client_for, shop.tenant, other, ip="198.51.100.3", device=device)
    assert assessment_of(shop.tenant, buy(third, shop.editor).json()["id"]).outcome == "review"
    fourth_user = make_user(shop.tenant, "trent@example.com")
    fourth = client_of(client_for, shop.tenant, fourth_user, ip="198.51.100.4", device=device)
    blocked = buy(fourth, shop.editor)
    assert blocked.status_code == 402
    assert blocked.json()["error"]["code"] == "checkout_blocked"
    assert len(charges) == 3  # every attempt but the blocked one reached the provider


def test_the_clients_country_counts_only_from_a_trusted_header(shop, client_for, settings):
    client = client_of(client_for, shop.tenant, shop.buyer)
    untrusted = buy(client, shop.editor, **{"CF-IPCountry": "FR"})
    assert assessment_of(shop.tenant, untrusted.json()["id"]).ip_country == ""

    settings.SOUK_RISK_IP_COUNTRY_HEADER = "CF-IPCountry"
    same = buy(client, shop.editor, **{"CF-IPCountry": "DE"})
    elsewhere = buy(client, shop.editor, **{"CF-IPCountry": "FR"})
    risk(shop.tenant, country_mismatch_outcome=Outcome.BLOCK)
    blocked = buy(client, shop.editor, **{"CF-IPCountry": "fr"})

    assert assessment_of(shop.tenant, same.json()["id"]).outcome == Outcome.ALLOW
    held = assessment_of(shop.tenant, elsewhere.json()["id"])
    assert (held.outcome, held.ip_country, held.billing_country) == ("review", "FR", "DE")
    assert blocked.status_code == 402


def test_a_buyers_first_order_above_the_threshold_is_reviewed_and_later_ones_are_not(
    shop, client_for, django_capture_on_commit_callbacks
):
    risk(shop.tenant, first_order_review_above=1999, first_order_block_above=2000)
    client = client_of(client_for, shop.tenant, shop.buyer)
    add(client, shop.editor)  # 20.00 + 15.00: above the block threshold
    big = buy(client, shop.scanner)
    assert big.status_code == 402

    with django_capture_on_commit_callbacks(execute=True):
        first = buy(client, shop.editor)  # 20.00: above 19.99, not above 20.00

    assert assessment_of(shop.tenant, first.json()["id"]).outcome == Outcome.REVIEW
    risk(shop.tenant, first_order_review_above=0, first_order_block_above=0)
    allowed = buy(client, shop.editor)  # the first paid order made this one not the first
    risk(shop.tenant, first_order_review_above=1999, first_order_block_above=2000)
    second = buy(client, shop.editor)
    assert allowed.status_code == second.status_code == 201
    assert assessment_of(shop.tenant, second.json()["id"]).reasons == []


def test_a_lost_chargeback_blocks_the_buyer_and_reviews_their_device_for_others(
    shop, client_for, django_capture_on_commit_callbacks
):
    device = "d" * 32
    client = client_of(client_for, shop.tenant, shop.buyer, device=device)
    with django_capture_on_commit_callbacks(execute=True):
        order = buy(client, shop.editor).json()
    with schema_context(shop.tenant.schema_name):
        payment = Payment.objects.get(order_id=order["id"])
        with django_capture_on_commit_callbacks(execute=True):
            on_dispute_opened(provider="sandbox", reference=payment.reference, event_id="evt_o")
            on_dispute_closed(
                provider="sandbox", reference=payment.reference, is_won=False, event_id="evt_c"
            )
        marks = set(RiskMark.objects.values_list("kind", "value"))
    assert marks == {
        (MarkKind.BUYER, str(shop.buyer.pk)),
        (MarkKind.DEVICE, device),
        (MarkKind.IP, "203.0.113.7"),
        (MarkKind.CARD, assessment_of(shop.tenant, order["id"]).card_fingerprint),
    }

    again = buy(client, shop.editor)
    someone = make_user(shop.tenant, "housemate@example.com")
    same_device = client_of(client_for, shop.tenant, someone, ip="192.0.2.9", device=device)
    # (Another card: the sandbox's only succeeding card is marked now; this one asks for 3-DS.)
    theirs = buy(same_device, shop.editor, card=THREE_D_SECURE_CARD)

    assert again.status_code == 402
    assert again.json()["error"]["code"] == "checkout_blocked"
    held = assessment_of(shop.tenant, theirs.json()["id"])
    assert held.outcome == Outcome.REVIEW
    assert [r["rule"] for r in held.reasons] == ["chargeback_history"]


def test_velocity_counters_and_chargeback_marks_stay_in_their_marketplace(
    tenant_a, tenant_b, client_for
):
    shop_a, shop_b = make_shop(tenant_a), make_shop(tenant_b)
    for shop in (shop_a, shop_b):
        risk(shop.tenant, orders_review_at=2, orders_block_at=3)
    device = "e" * 32
    client_a = client_of(client_for, tenant_a, shop_a.buyer, device=device)
    for _ in range(2):
        buy(client_a, shop_a.editor)
    with schema_context(tenant_a.schema_name):
        RiskMark.objects.create(kind=MarkKind.IP, value="203.0.113.7", reason="t", created_at=START)
        RiskMark.objects.create(
            kind=MarkKind.BUYER, value=str(shop_b.buyer.pk), reason="t", created_at=START
        )
    assert buy(client_a, shop_a.editor).status_code == 402  # A is at its block threshold

    # The same address, device cookie and (same-numbered) buyer on marketplace B: a clean slate.
    client_b = client_of(client_for, tenant_b, shop_b.buyer, device=device)
    answer = buy(client_b, shop_b.editor)

    assert answer.status_code == 201, answer.content
    clean = assessment_of(tenant_b, answer.json()["id"])
    assert (clean.outcome, clean.reasons) == (Outcome.ALLOW, [])
    with schema_context(tenant_b.schema_name):
        assert RiskMark.objects.count() == 0
        assert RiskAssessment.objects.count() == 1


def test_the_checkout_risk_check_runs_two_queries_whatever_the_history(shop, client_for):
    """One read (window counts, marks, first order) and one insert; thresholds are cached."""
    client = client_of(client_for, shop.tenant, shop.buyer, device="f" * 32)
    for _ in range(3):
        buy(client, shop.editor)
    with schema_context(shop.tenant.schema_name):
        order = Order.objects.order_by("-id").first()
        payment = Payment.objects.get(order=order)
        RiskAssessment.objects.filter(order_id=order.pk).delete()
        token = current_signals.set(RequestSignals(ip="203.0.113.7", device_id="f" * 32))
        try:
            with CaptureQueriesContext(connection) as queries:
                assessment = assess_checkout(order=order, payment=payment)
        finally:
            current_signals.reset(token)

    assert len(queries) == 2, [q["sql"][:80] for q in queries]
    assert assessment.outcome == Outcome.ALLOW
    assert order.status == OrderStatus.FULFILLING  # the check changes nothing of the order


def test_the_checkout_page_shows_a_blocked_buyer_why_and_sets_the_device_cookie(
    shop, client_for, charges
):
    risk(shop.tenant, first_order_review_above=0, first_order_block_above=1999)
    client = client_for(shop.tenant)
    signed = client.post("/accounts/login/", {"username": shop.buyer.email, "password": PASSWORD})
    assert signed.status_code == 302
    client.post("/cart/add/", {"product_id": shop.editor.pk, "quantity": 1})
    form = client.get("/checkout/").content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)

    response = client.post(
        "/checkout/",
        {
            "name": "Bea Buyer",
            "country": "DE",
            "region": "",
            "payment_method": SUCCESS_CARD,
            "idempotency_key": key,
        },
    )

    assert response.status_code == 200  # the form again, with the reason
    assert "could not accept this order" in response.content.decode()
    assert response.cookies[DEVICE_COOKIE]["httponly"]
    assert charges == []
    assert journal_entries(shop.tenant) == 0
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.get().status == OrderStatus.CANCELLED
