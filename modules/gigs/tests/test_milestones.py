"""Milestones: the seller proposes shares adding up to 100 %, the buyer agrees, the escrow
funded at checkout is split exactly into the milestones' amounts, each accepted milestone
releases its own amount once and the next one starts; a very late order cancelled after a
paid milestone refunds the rest only. The books balance throughout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django_tenants.utils import schema_context

from core.commerce.models import OrderLine, Refund
from core.payments import ledger
from core.payments.models import EntryKind, JournalEntry
from modules.gigs.models import GigDelivery, OrderStatus
from modules.gigs.tests.helpers import (
    answers_for,
    buy,
    deliver_link,
    paying,
    refreshed,
    seller_client,
    signed_in,
)
from tests.accounts_helpers import call
from tests.commerce_helpers import account_balance, ledger_totals

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PLAN = {
    "milestones": [
        {"title": "Sketches", "percent": 30, "days": 2},
        {"title": "Final artwork", "percent": 70, "days": 4, "description": "Vector files"},
    ]
}


def _line(tenant, order) -> OrderLine:
    with schema_context(tenant.schema_name):
        return OrderLine.objects.get(pk=order.order_line_id)


def _held(tenant, order) -> int:
    with schema_context(tenant.schema_name):
        return -ledger.balance(ledger.escrow(order.order_line_id), order.currency).amount


def _payable(shop) -> int:
    return -account_balance(shop.tenant, ledger.seller_payable(shop.seller.pk))


def test_milestones_release_their_agreed_shares_one_after_another(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    plan = f"/gigs/seller/orders/{order.pk}/milestones"
    agree = f"/gigs/orders/{order.pk}/milestones/agree"

    assert call(buyer, "post", agree).status_code == 409  # nothing proposed yet
    uneven = {"milestones": [{**PLAN["milestones"][0], "percent": 40}, PLAN["milestones"][1]]}
    refused = call(seller, "put", plan, uneven)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "milestones"
    proposed = call(seller, "put", plan, PLAN)
    assert proposed.status_code == 200, proposed.content
    assert [m["status"] for m in proposed.json()["milestones"]] == ["proposed", "proposed"]

    agreed = call(buyer, "post", agree)
    assert agreed.status_code == 200, agreed.content
    held = _held(shop.tenant, order)
    first, second = agreed.json()["milestones"]
    assert (first["amount"], second["amount"]) == (held * 30 // 100, held - held * 30 // 100)
    assert (first["status"], second["status"]) == ("pending", "pending")
    assert call(seller, "put", plan, PLAN).status_code == 409  # agreed: the plan is fixed

    answers = {"answers": answers_for(order)}
    started = call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).json()
    assert started["milestones"][0]["status"] == "in_progress"
    assert datetime.fromisoformat(started["milestones"][0]["due_at"]) == T0 + timedelta(days=2)

    payable = _payable(shop)
    assert deliver_link(seller, order).status_code == 200
    accepted = call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying())
    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert body["status"] == "in_progress"
    assert [m["status"] for m in body["milestones"]] == ["completed", "in_progress"]
    assert _payable(shop) - payable == first["amount"]
    assert _held(shop.tenant, order) == second["amount"]
    assert _line(shop.tenant, order).status == "fulfilled"  # not settled yet

    time_machine.move_to(T0 + timedelta(days=1), tick=False)
    assert deliver_link(seller, order, "https://files.example/final.zip").status_code == 200
    done = call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying()).json()
    assert done["status"] == "completed"
    assert _payable(shop) - payable == held
    assert _held(shop.tenant, order) == 0
    assert _line(shop.tenant, order).status == "completed"
    with schema_context(shop.tenant.schema_name):
        assert JournalEntry.objects.filter(kind=EntryKind.ESCROW_RELEASE).count() == 2
        assert list(
            GigDelivery.objects.order_by("number").values_list("milestone__number", flat=True)
        ) == [1, 2]
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying()).status_code == 409
    assert set(ledger_totals(shop.tenant).values()) == {0}


def test_cancelling_a_very_late_order_after_a_paid_milestone_refunds_the_rest_only(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    assert (
        call(seller, "put", f"/gigs/seller/orders/{order.pk}/milestones", PLAN).status_code == 200
    )
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/milestones/agree").status_code == 200
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    assert deliver_link(seller, order).status_code == 200
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/accept", **paying()).status_code == 200

    # Standard: 5 days; very late 24 h after that.
    time_machine.move_to(T0 + timedelta(days=6, minutes=1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = call(buyer, "post", f"/gigs/orders/{order.pk}/cancel", **paying())
    assert cancelled.status_code == 200, cancelled.content
    assert refreshed(shop.tenant, order).status == OrderStatus.CANCELLED
    line = _line(shop.tenant, order)
    with schema_context(shop.tenant.schema_name):
        assert Refund.objects.get().amount == line.total - line.total * 30 // 100
    assert _held(shop.tenant, order) == 0
    assert set(ledger_totals(shop.tenant).values()) == {0}
