"""The order flow: a paid gig line becomes a gig order with its package, extras, checklist
and the marketplace's policy frozen; the clock starts at the requirements; reminders, then
cancellation with a full refund without them; late and very late; the buyer cancels a very
late order. Policy changes by the operator never reach orders already placed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django_tenants.utils import schema_context

from core.commerce.models import LineStatus, OrderLine, Refund
from core.outbox.models import OutboxEvent
from core.payments import ledger
from modules.gigs.manifest import GigsSettings
from modules.gigs.models import GigOrder, OrderStatus
from modules.gigs.services.orders import lateness
from modules.gigs.tests.helpers import (
    CHECKLIST,
    answers_for,
    buy,
    paying,
    refreshed,
    signed_in,
    sweep,
)
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call
from tests.commerce_helpers import ledger_totals

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEFAULT_POLICY = {
    "auto_accept_days": 3,
    "requirements_reminder_hours": 24,
    "requirements_cancel_days": 7,
    "very_late_hours": 24,
    "revision_days": 3,
    "cancellation_answer_hours": 48,
    "qc_category_slugs": [],
    "delivery_file_max_mb": 100,
}


def _events(tenant, event_type):
    with schema_context(tenant.schema_name):
        return OutboxEvent.objects.filter(event_type=event_type).count()


def _escrow_held(tenant, order: GigOrder) -> int:
    with schema_context(tenant.schema_name):
        return -ledger.balance(ledger.escrow(order.order_line_id), order.currency).amount


def test_a_paid_gig_line_becomes_an_order_with_what_was_bought_frozen(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    extras = [shop.extra_id("Express"), shop.extra_id("One more revision")]

    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks, extra_ids=extras)

    assert order.status == OrderStatus.AWAITING_REQUIREMENTS
    assert order.amount == 10000 + 2500 + 1000
    assert order.package["tier"] == "standard" and order.package["price"] == 10000
    assert [extra["title"] for extra in order.extras] == ["Express", "One more revision"]
    assert order.delivery_days == 5 - 2  # the package's days less express delivery's
    assert order.revisions_allowed == 2 + 1
    assert order.checklist == CHECKLIST
    # The marketplace's whole policy of the day (the timing rules checked here by value).
    # plus whether its deliveries wait for an operator's check, decided once, now.
    assert order.policy == {**GigsSettings().model_dump(mode="json"), "qc_required": False}
    assert {key: order.policy[key] for key in DEFAULT_POLICY} == DEFAULT_POLICY
    assert order.due_at is None and order.requirements_submitted_at is None
    with schema_context(shop.tenant.schema_name):
        line = OrderLine.objects.get(pk=order.order_line_id)
        assert (line.is_escrow, line.status, line.product_type) == (
            True,
            LineStatus.FULFILLED,
            "gig",
        )
        # Fulfilling again (a retried task) makes no second order.
        from modules.gigs.hooks import fulfil

        fulfil(line)
        assert GigOrder.objects.filter(order_line=line).count() == 1
    assert _escrow_held(shop.tenant, order) == line.seller_net
    assert _events(shop.tenant, "gig.order_placed") == 1
    assert set(ledger_totals(shop.tenant).values()) == {0}


def test_the_clock_starts_only_when_the_requirements_are_submitted(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(
        buyer,
        shop.tenant,
        shop.gig,
        django_capture_on_commit_callbacks,
        extra_ids=[shop.extra_id("Social media kit")],
    )
    assert order.delivery_days == 5 + 1
    path = f"/gigs/orders/{order.pk}/requirements"
    answers = answers_for(order)
    text_id, choice_id = list(answers)

    missing = call(buyer, "post", path, {"answers": {choice_id: "Flat"}})
    assert missing.status_code == 422
    assert missing.json()["error"]["details"]["field"] == f"answers.{text_id}"
    wrong = call(buyer, "post", path, {"answers": {**answers, choice_id: "Baroque"}})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "invalid_answers"
    assert refreshed(shop.tenant, order).due_at is None

    time_machine.move_to(T0 + timedelta(days=2), tick=False)
    response = call(buyer, "post", path, {"answers": answers})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "in_progress"
    assert body["lateness"] == "on_time"
    assert datetime.fromisoformat(body["due_at"]) == T0 + timedelta(days=2 + 6)
    assert {q["answer"] for q in body["requirements"]} == {"Nordlicht", "Flat", None}

    again = call(buyer, "post", path, {"answers": answers})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "wrong_state"
    with schema_context(shop.tenant.schema_name):
        frozen = GigOrder.objects.get(pk=order.pk)
        assert frozen.answers == answers
        assert lateness(frozen, T0 + timedelta(days=8, minutes=1)) == "late"
        assert lateness(frozen, T0 + timedelta(days=9, minutes=1)) == "very_late"
    # Submitting the requirements stopped the reminders and the auto-cancel; what fires is
    # the notice, 24 h past due, that the buyer may now cancel.
    assert sweep(shop.tenant, T0 + timedelta(days=9, minutes=-1)).fired == 0
    assert sweep(shop.tenant, T0 + timedelta(days=9)).fired == 1
    assert _events(shop.tenant, "gig.very_late") == 1
    assert sweep(shop.tenant, T0 + timedelta(days=30)).fired == 0
    assert refreshed(shop.tenant, order).status == OrderStatus.IN_PROGRESS


def test_without_requirements_the_buyer_is_reminded_then_the_order_is_cancelled_and_refunded(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    held = _escrow_held(shop.tenant, order)
    assert held > 0

    assert sweep(shop.tenant, T0 + timedelta(hours=23)).fired == 0
    assert sweep(shop.tenant, T0 + timedelta(hours=24, minutes=1)).fired == 1
    assert sweep(shop.tenant, T0 + timedelta(hours=48, minutes=2)).fired == 1
    assert refreshed(shop.tenant, order).requirements_reminders == 2
    assert _events(shop.tenant, "gig.requirements_needed") == 2

    time_machine.move_to(T0 + timedelta(days=7, minutes=5), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        sweep(shop.tenant, T0 + timedelta(days=7, minutes=5))
    cancelled = refreshed(shop.tenant, order)
    assert (cancelled.status, cancelled.cancel_reason) == (OrderStatus.CANCELLED, "no_requirements")
    with schema_context(shop.tenant.schema_name):
        assert Refund.objects.get().amount == order.amount
    assert _escrow_held(shop.tenant, order) == 0
    assert set(ledger_totals(shop.tenant).values()) == {0}
    # Nothing fires any more: no reminders after the cancellation, no second refund.
    assert sweep(shop.tenant, T0 + timedelta(days=60)).fired == 0
    with schema_context(shop.tenant.schema_name):
        assert Refund.objects.count() == 1
    late = call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", {"answers": {}})
    assert late.status_code == 409


def test_orders_keep_the_policy_they_were_placed_with_after_the_operator_changes_it(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    before = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    with transaction.atomic():
        set_module_enabled(
            tenant=shop.tenant,
            key="gigs",
            is_enabled=True,
            config={**DEFAULT_POLICY, "requirements_cancel_days": 1, "auto_accept_days": 10},
        )
    other = signed_in(client_for, shop.tenant, shop.other_buyer)
    after = buy(other, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    assert before.policy["requirements_cancel_days"] == 7
    assert after.policy["requirements_cancel_days"] == 1
    assert after.policy["auto_accept_days"] == 10

    time_machine.move_to(T0 + timedelta(days=1, minutes=5), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        sweep(shop.tenant, T0 + timedelta(days=1, minutes=5))
    assert refreshed(shop.tenant, after).status == OrderStatus.CANCELLED
    assert refreshed(shop.tenant, before).status == OrderStatus.AWAITING_REQUIREMENTS


def test_a_very_late_order_may_be_cancelled_by_its_buyer_with_a_full_refund(
    shop, client_for, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(T0, tick=False)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    # Pixel's icon set asks nothing: the clock starts at once (basic: 3 days).
    order = buy(
        buyer, shop.tenant, shop.other_gig, django_capture_on_commit_callbacks, tier="basic"
    )
    assert order.status == OrderStatus.IN_PROGRESS
    assert order.due_at == T0 + timedelta(days=3)
    path = f"/gigs/orders/{order.pk}/cancel"

    time_machine.move_to(T0 + timedelta(days=3, hours=2), tick=False)
    assert call(buyer, "get", f"/gigs/orders/{order.pk}").json()["lateness"] == "late"
    refused = call(buyer, "post", path, **paying())
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "not_very_late"
    with schema_context(shop.tenant.schema_name):
        assert not Refund.objects.exists()

    time_machine.move_to(T0 + timedelta(days=4, minutes=1), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = call(buyer, "post", path, **paying())
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["cancel_reason"]) == (
        "cancelled",
        "very_late",
    )
    with schema_context(shop.tenant.schema_name):
        assert Refund.objects.get().amount == order.amount
    assert _escrow_held(shop.tenant, order) == 0
    assert set(ledger_totals(shop.tenant).values()) == {0}
    assert call(buyer, "post", path, **paying()).status_code == 409


def test_another_buyers_order_is_not_found(shop, client_for, django_capture_on_commit_callbacks):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    other = signed_in(client_for, shop.tenant, shop.other_buyer)
    for method, path, body in [
        ("get", f"/gigs/orders/{order.pk}", None),
        ("post", f"/gigs/orders/{order.pk}/requirements", {"answers": answers_for(order)}),
        ("post", f"/gigs/orders/{order.pk}/cancel", None),
        ("post", f"/gigs/orders/{order.pk}/accept", None),
        ("post", f"/gigs/orders/{order.pk}/revisions", {"notes": "More"}),
    ]:
        response = call(other, method, path, body)
        assert response.status_code == 404, (path, response.content)
        assert response.json()["error"]["code"] == "order_not_found"
    assert call(other, "get", "/gigs/orders").json() == []
    assert refreshed(shop.tenant, order).status == OrderStatus.AWAITING_REQUIREMENTS
