"""Renewal by the beat: an order per period charged off-session, fulfilled by the module's
hook; dunning with a failing card; cancelling at the period end; an operator's cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import (
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Refund,
    TaxRule,
)
from core.commerce.services.payment_events import cancel_order, expire_unpaid_orders
from core.commerce.services.refunds import LineRefund, refund_order
from core.payments.models import JournalEntry, SavedPaymentMethod
from core.payments.providers.sandbox import (
    DECLINED_CARD,
    SUCCESS_CARD,
    THREE_D_SECURE_CARD,
    THREE_D_SECURE_CODE,
)
from core.subscriptions.models import (
    CancelReason,
    Subscription,
    SubscriptionEvent,
    SubscriptionOrder,
    SubscriptionStatus,
)
from core.subscriptions.tests.helpers import (
    emitted,
    make_plan,
    only_subscription,
    post,
    renew_at,
    subscribe,
)
from tests.accounts_helpers import call, signed_in_operator
from tests.commerce_helpers import buyer_client, ledger_totals, make_shop
from tests.testmodules.alpha.models import FulfilmentRecord

DAY = timedelta(days=1)


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


@pytest.fixture
def subscribed(shop, client_for, django_capture_on_commit_callbacks):
    """A buyer on a 10.00 USD monthly plan of the editor, paid by the success card."""
    plan = make_plan(shop.tenant, shop.editor, amount=1000)
    client = buyer_client(client_for, shop)
    response = subscribe(client, shop.editor, plan, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.content
    return client, only_subscription(shop.tenant)


def use_declined_card(shop, subscription):
    """The buyer's card starts declining: a saved method the sandbox refuses off-session."""
    with schema_context(shop.tenant.schema_name):
        declined = SavedPaymentMethod.objects.create(
            user=shop.buyer,
            provider="sandbox",
            reference=f"pm_sandbox_{DECLINED_CARD}",
            brand="visa",
            last4="0002",
        )
        Subscription.objects.filter(pk=subscription.pk).update(payment_method=declined)


def test_a_due_renewal_is_an_order_charged_to_the_saved_card_that_extends_the_period(
    shop, subscribed, django_capture_on_commit_callbacks
):
    _, subscription = subscribed
    with schema_context(shop.tenant.schema_name):
        # Tax follows the first order's billing country (DE), set after the first checkout.
        TaxRule.objects.create(country="DE", name="VAT", rate_bp=1900)
        first_order_id = subscription.first_order_line.order_id

    outcomes = renew_at(
        shop.tenant, subscription.current_period_end, django_capture_on_commit_callbacks
    )

    assert outcomes == {"renewed": 1}
    with schema_context(shop.tenant.schema_name):
        renewal = Order.objects.get(subscription_id=subscription.pk)
        line = OrderLine.objects.get(order=renewal)
        assert renewal.idempotency_key == (
            f"renewal:{subscription.pk}:{subscription.current_period_end.isoformat()}"
        )
        assert renewal.billing_country == "DE"
        assert (renewal.subtotal, renewal.tax_total, renewal.total) == (1000, 190, 1190)
        assert (line.commission_amount, line.seller_net) == (100, 900)
        assert line.recurring_price_id == subscription.recurring_price_id
        assert renewal.status == OrderStatus.COMPLETED
        assert line.status == LineStatus.COMPLETED
        payment = Payment.objects.get(order=renewal)
        assert payment.payment_method == f"pm_sandbox_{SUCCESS_CARD}"
        assert payment.charge_options["off_session"] is True
        assert renewal.transitions.first().actor_label == "system:renewal"
        # The module's hook handed over the renewal line like any paid line.
        assert set(FulfilmentRecord.objects.values_list("line_id", flat=True)) == {
            str(OrderLine.objects.get(order_id=first_order_id).pk),
            str(line.pk),
        }
        renewed = Subscription.objects.get()
        assert renewed.status == SubscriptionStatus.ACTIVE
        assert renewed.current_period_start == subscription.current_period_end
        assert renewed.current_period_end > renewed.current_period_start
        assert renewed.next_attempt_at == renewed.current_period_end
        assert SubscriptionOrder.objects.get(order_id=renewal.pk).applied_at is not None
    [event] = emitted(shop.tenant, "subscription.renewed")
    assert event["order_id"] == renewal.pk
    assert event["order_line_id"] == line.pk
    assert event["current_period_end"] == renewed.current_period_end.isoformat()
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_the_same_beat_run_twice_makes_one_order(
    shop, subscribed, django_capture_on_commit_callbacks
):
    _, subscription = subscribed
    due = subscription.current_period_end

    first = renew_at(shop.tenant, due, django_capture_on_commit_callbacks)
    second = renew_at(shop.tenant, due, django_capture_on_commit_callbacks)

    assert (first, second) == ({"renewed": 1}, {})
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.filter(subscription_id=subscription.pk).count() == 1
        assert Payment.objects.filter(order__subscription_id=subscription.pk).count() == 1
    assert len(emitted(shop.tenant, "subscription.renewed")) == 1


def test_a_claimed_renewal_is_skipped_and_resumed_with_the_same_order_after_the_claim(
    shop, subscribed, django_capture_on_commit_callbacks
):
    """A worker died between placing the period's order and charging it: another run skips
    the subscription while it is claimed, then charges that same order."""
    from core.subscriptions.services.renew import _prepare

    _, subscription = subscribed
    due = subscription.current_period_end
    with schema_context(shop.tenant.schema_name):
        claimed = _prepare(Subscription.objects.get(), due)  # step 1 only, then "crash"
        order_id = claimed.order.pk

    assert (
        renew_at(shop.tenant, due + timedelta(minutes=1), django_capture_on_commit_callbacks) == {}
    )
    outcomes = renew_at(shop.tenant, claimed.claimed_until, django_capture_on_commit_callbacks)

    assert outcomes == {"renewed": 1}
    with schema_context(shop.tenant.schema_name):
        assert list(
            Order.objects.filter(subscription_id=subscription.pk).values_list("pk", flat=True)
        ) == [order_id]
        assert Order.objects.get(pk=order_id).status == OrderStatus.COMPLETED


def test_a_failing_card_goes_past_due_is_retried_after_1_3_and_5_days_then_cancelled(
    shop, subscribed, django_capture_on_commit_callbacks
):
    _, subscription = subscribed
    use_declined_card(shop, subscription)
    due = subscription.current_period_end

    tries = [due, due + 1 * DAY, due + 4 * DAY, due + 9 * DAY]
    early = [due + 1 * DAY - timedelta(seconds=1), due + 4 * DAY - timedelta(seconds=1)]
    outcomes = [renew_at(shop.tenant, tries[0], django_capture_on_commit_callbacks)]
    with schema_context(shop.tenant.schema_name):
        after_first = Subscription.objects.get()
    outcomes.append(renew_at(shop.tenant, early[0], django_capture_on_commit_callbacks))
    outcomes.append(renew_at(shop.tenant, tries[1], django_capture_on_commit_callbacks))
    outcomes.append(renew_at(shop.tenant, early[1], django_capture_on_commit_callbacks))
    outcomes.append(renew_at(shop.tenant, tries[2], django_capture_on_commit_callbacks))
    with schema_context(shop.tenant.schema_name):
        before_last = Subscription.objects.get()
    outcomes.append(renew_at(shop.tenant, tries[3], django_capture_on_commit_callbacks))

    assert outcomes == [
        {"failed": 1},
        {},
        {"failed": 1},
        {},
        {"failed": 1},
        {"cancelled": 1},
    ]
    assert (after_first.status, after_first.failed_attempts) == (SubscriptionStatus.PAST_DUE, 1)
    assert after_first.next_attempt_at == due + DAY
    assert after_first.current_period_end == due  # the unpaid period is not granted
    assert (before_last.failed_attempts, before_last.next_attempt_at) == (3, due + 9 * DAY)
    with schema_context(shop.tenant.schema_name):
        ended = Subscription.objects.get()
        assert ended.status == SubscriptionStatus.CANCELLED
        assert ended.cancel_reason == CancelReason.PAYMENT_FAILED
        assert (ended.cancelled_at, ended.next_attempt_at) == (due + 9 * DAY, None)
        [renewal] = Order.objects.filter(subscription_id=subscription.pk)
        assert renewal.status == OrderStatus.CANCELLED
        assert (
            list(Payment.objects.filter(order=renewal).values_list("failure_code", flat=True))
            == ["card_declined"] * 4
        )
        assert not JournalEntry.objects.filter(order_id=renewal.pk).exists()
        assert list(
            SubscriptionEvent.objects.filter(subscription=subscription).values_list(
                "kind", flat=True
            )
        ) == [
            "created",
            "payment_failed",
            "past_due",
            "payment_failed",
            "payment_failed",
            "payment_failed",
            "cancelled",
        ]
    [past_due] = emitted(shop.tenant, "subscription.past_due")
    assert past_due["failure_code"] == "card_declined"
    assert past_due["next_attempt_at"] == (due + DAY).isoformat()
    [cancelled] = emitted(shop.tenant, "subscription.cancelled")
    assert cancelled["reason"] == "payment_failed"
    assert cancelled["status"] == "cancelled"
    assert emitted(shop.tenant, "subscription.renewed") == []
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_past_due_buyer_who_pays_the_renewal_order_is_active_again(
    shop, subscribed, django_capture_on_commit_callbacks
):
    client, subscription = subscribed
    use_declined_card(shop, subscription)
    due = subscription.current_period_end
    assert renew_at(shop.tenant, due, django_capture_on_commit_callbacks) == {"failed": 1}
    with schema_context(shop.tenant.schema_name):
        renewal = Order.objects.get(subscription_id=subscription.pk)

    with django_capture_on_commit_callbacks(execute=True):
        paid = post(
            client,
            f"/orders/{renewal.pk}/pay",
            {"payment_method": SUCCESS_CARD},
            **{"Idempotency-Key": "fix-card"},
        )

    assert paid.status_code == 201, paid.content
    with schema_context(shop.tenant.schema_name):
        active = Subscription.objects.get()
        assert active.status == SubscriptionStatus.ACTIVE
        assert active.failed_attempts == 0
        assert active.current_period_start == due
        assert active.next_attempt_at == active.current_period_end
        assert active.payment_method.reference == f"pm_sandbox_{SUCCESS_CARD}"
    assert renew_at(shop.tenant, due + DAY, django_capture_on_commit_callbacks) == {}
    assert len(emitted(shop.tenant, "subscription.renewed")) == 1
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_card_that_needs_3d_secure_fails_off_session_and_a_new_card_is_retried_next_run(
    shop, client_for, django_capture_on_commit_callbacks
):
    plan = make_plan(shop.tenant, shop.editor)
    client = buyer_client(client_for, shop)
    order_id = subscribe(
        client, shop.editor, plan, django_capture_on_commit_callbacks, card=THREE_D_SECURE_CARD
    ).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        post(client, f"/orders/{order_id}/confirm", {"confirmation": THREE_D_SECURE_CODE})
    subscription = only_subscription(shop.tenant)
    due = subscription.current_period_end

    assert renew_at(shop.tenant, due, django_capture_on_commit_callbacks) == {"failed": 1}
    with schema_context(shop.tenant.schema_name):
        failed = Payment.objects.get(order__subscription_id=subscription.pk)
        assert failed.failure_code == "authentication_required"
        good = SavedPaymentMethod.objects.create(
            user=shop.buyer, provider="sandbox", reference=f"pm_sandbox_{SUCCESS_CARD}"
        )
    changed = post(
        client,
        f"/me/subscriptions/{subscription.pk}/payment-method",
        {"payment_method_id": good.pk},
    )
    assert changed.status_code == 200, changed.content
    retry_at = changed.json()["next_attempt_at"]

    assert renew_at(shop.tenant, due + timedelta(hours=1), django_capture_on_commit_callbacks) == {
        "renewed": 1
    }
    assert retry_at < (due + DAY).isoformat()
    with schema_context(shop.tenant.schema_name):
        assert Subscription.objects.get().status == SubscriptionStatus.ACTIVE


def test_cancel_at_the_period_end_renews_nothing_and_ends_then(
    shop, subscribed, django_capture_on_commit_callbacks
):
    client, subscription = subscribed
    path = f"/me/subscriptions/{subscription.pk}"

    cancelled = post(client, f"{path}/cancel")
    resumed = post(client, f"{path}/resume")
    again = post(client, f"{path}/cancel")
    twice = post(client, f"{path}/cancel")

    assert [r.status_code for r in (cancelled, resumed, again, twice)] == [200] * 4
    assert (cancelled.json()["cancel_at_period_end"], resumed.json()["cancel_at_period_end"]) == (
        True,
        False,
    )
    assert twice.json()["status"] == "active"
    assert [e["kind"] for e in twice.json()["history"]] == [
        "created",
        "cancel_scheduled",
        "resumed",
        "cancel_scheduled",
    ]
    end = subscription.current_period_end
    assert (
        renew_at(shop.tenant, end - timedelta(seconds=1), django_capture_on_commit_callbacks) == {}
    )

    outcomes = renew_at(shop.tenant, end + timedelta(hours=2), django_capture_on_commit_callbacks)

    assert outcomes == {"cancelled": 1}
    with schema_context(shop.tenant.schema_name):
        ended = Subscription.objects.get()
        assert (ended.status, ended.cancelled_at, ended.cancel_reason) == (
            SubscriptionStatus.CANCELLED,
            end,
            CancelReason.BUYER,
        )
        assert not Order.objects.filter(subscription_id=subscription.pk).exists()
    [event] = emitted(shop.tenant, "subscription.cancelled")
    assert (event["reason"], event["ended_at"]) == ("buyer", end.isoformat())
    late = post(client, f"{path}/resume")
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "already_cancelled"


def test_an_operator_cancels_at_once_without_a_refund(
    shop, subscribed, client_for, django_capture_on_commit_callbacks
):
    client, subscription = subscribed
    operator, _ = signed_in_operator(client_for, shop.tenant)

    response = post(
        operator, f"/operator/subscriptions/{subscription.pk}/cancel", {"note": "fraud"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["cancel_reason"], body["buyer"]["email"]) == (
        "cancelled",
        "operator",
        shop.buyer.email,
    )
    assert body["history"][-1] == {
        "kind": "cancelled",
        "actor": "operator",
        "order_id": None,
        "note": "fraud",
        "at": body["history"][-1]["at"],
    }
    with schema_context(shop.tenant.schema_name):
        assert not Refund.objects.exists()
    assert (
        renew_at(shop.tenant, subscription.current_period_end, django_capture_on_commit_callbacks)
        == {}
    )
    assert call(client, "get", f"/me/subscriptions/{subscription.pk}").json()["status"] == (
        "cancelled"
    )
    assert post(client, f"/me/subscriptions/{subscription.pk}/cancel").status_code == 409
    assert [e["reason"] for e in emitted(shop.tenant, "subscription.cancelled")] == ["operator"]


def test_refunding_the_current_period_ends_the_subscription_a_partial_refund_does_not(
    shop, subscribed, django_capture_on_commit_callbacks
):
    _, subscription = subscribed
    order_id = subscription.first_order_line.order_id
    with schema_context(shop.tenant.schema_name):
        with django_capture_on_commit_callbacks(execute=True):
            refund_order(
                order_id=order_id,
                lines=[LineRefund(subscription.first_order_line_id, 100)],
                reason="goodwill",
                idempotency_key="partial",
                actor=None,
                actor_label="operator",
            )
        assert Subscription.objects.get().status == SubscriptionStatus.ACTIVE

        with django_capture_on_commit_callbacks(execute=True):
            refund_order(
                order_id=order_id,
                lines=None,
                reason="changed their mind",
                idempotency_key="rest",
                actor=None,
                actor_label="operator",
            )

        ended = Subscription.objects.get()
        assert (ended.status, ended.cancel_reason) == ("cancelled", CancelReason.REFUNDED)
    assert [e["reason"] for e in emitted(shop.tenant, "subscription.cancelled")] == ["refunded"]
    assert (
        renew_at(shop.tenant, subscription.current_period_end, django_capture_on_commit_callbacks)
        == {}
    )
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_cancelled_renewal_order_is_replaced_at_the_next_try(
    shop, subscribed, django_capture_on_commit_callbacks
):
    """The checkout's unpaid-order expiry leaves renewal orders to dunning; one cancelled by an
    operator between dunning tries is replaced at the next try by a fresh order for the same
    period (keyed with the try) instead of giving up."""
    _, subscription = subscribed
    use_declined_card(shop, subscription)
    due = subscription.current_period_end
    assert renew_at(shop.tenant, due, django_capture_on_commit_callbacks) == {"failed": 1}
    with schema_context(shop.tenant.schema_name):
        assert expire_unpaid_orders(older_than_minutes=-1) == 0
        unpaid = Order.objects.get(subscription_id=subscription.pk)
        assert cancel_order(order_id=unpaid.pk, actor_label="operator") is True
        good = SavedPaymentMethod.objects.get(reference=f"pm_sandbox_{SUCCESS_CARD}")
        Subscription.objects.filter(pk=subscription.pk).update(payment_method=good)

    assert renew_at(shop.tenant, due + DAY, django_capture_on_commit_callbacks) == {"renewed": 1}
    with schema_context(shop.tenant.schema_name):
        orders = Order.objects.filter(subscription_id=subscription.pk).order_by("id")
        key = f"renewal:{subscription.pk}:{due.isoformat()}"
        assert [(o.idempotency_key, o.status) for o in orders] == [
            (key, OrderStatus.CANCELLED),
            (f"{key}:1", OrderStatus.COMPLETED),
        ]
        renewed = Subscription.objects.get()
        assert (renewed.status, renewed.current_period_start) == ("active", due)
    assert ledger_totals(shop.tenant) == {"USD": 0}
