"""Changing plan: an upgrade pays the prorated difference now, a downgrade or another billing
interval waits for the next renewal, a trial switches at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import Order, OrderLine, Refund, TaxRule
from core.payments.models import SavedPaymentMethod
from core.payments.providers.sandbox import DECLINED_CARD
from core.subscriptions.billing import add_months, prorate_upgrade
from core.subscriptions.models import Subscription, SubscriptionOrder, SubscriptionStatus
from core.subscriptions.services.change_plan import PlanChangeKind, change_plan
from core.subscriptions.tests.helpers import (
    emitted,
    make_plan,
    only_subscription,
    post,
    renew_at,
    subscribe,
)
from tests.commerce_helpers import buyer_client, ledger_totals, make_shop

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2025, 1, 31, tzinfo=UTC)  # 30 days: 2,592,000 seconds


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


@pytest.mark.parametrize(
    ("unused_seconds", "expected"),
    [
        (2_592_000, 1000),  # the whole period: the whole difference
        (1_728_000, 667),  # two thirds: 666.67 -> the leftover unit goes to the larger share
        (864_000, 333),  # one third: 333.33 -> the leftover unit goes to the used share
        (1_296_000, 500),  # half
        (1, 0),  # 1000 / 2,592,000 of a cent
        (0, 0),  # the period is over
    ],
)
def test_proration_is_the_unused_share_of_the_difference(unused_seconds, expected):
    proration = prorate_upgrade(
        old_amount=1000,
        new_amount=2000,
        currency="USD",
        period_start=START,
        period_end=END,
        at=END - timedelta(seconds=unused_seconds, microseconds=0),
    )

    assert (proration.unused_seconds, proration.period_seconds, proration.amount) == (
        unused_seconds,
        2_592_000,
        expected,
    )


def test_a_partial_second_counts_as_used():
    proration = prorate_upgrade(
        old_amount=1000,
        new_amount=3592,  # difference 2592: one minor unit per 1000 seconds
        currency="USD",
        period_start=START,
        period_end=END,
        at=END - timedelta(seconds=10_000, microseconds=-1),  # 9999.999999 s unused
    )

    # 2592 * 9999 / 2,592,000 = 9.999: the floor, the leftover unit goes to the used share
    assert (proration.unused_seconds, proration.amount) == (9_999, 9)


def test_months_keep_the_anchor_day():
    anchor = datetime(2024, 1, 31, 9, 30, tzinfo=UTC)
    february = add_months(anchor, 1, anchor_day=31)
    march = add_months(february, 1, anchor_day=31)

    assert (february, march) == (
        datetime(2024, 2, 29, 9, 30, tzinfo=UTC),
        datetime(2024, 3, 31, 9, 30, tzinfo=UTC),
    )
    assert add_months(anchor, 12, anchor_day=31) == datetime(2025, 1, 31, 9, 30, tzinfo=UTC)


@pytest.fixture
def on_basic(shop, client_for, django_capture_on_commit_callbacks):
    basic = make_plan(shop.tenant, shop.editor, amount=1000)
    pro = make_plan(shop.tenant, shop.editor, amount=2000)
    client = buyer_client(client_for, shop)
    assert (
        subscribe(client, shop.editor, basic, django_capture_on_commit_callbacks).status_code == 201
    )
    return client, only_subscription(shop.tenant), basic, pro


def test_an_upgrade_charges_the_exact_prorated_difference_then_switches(
    shop, on_basic, django_capture_on_commit_callbacks
):
    _, subscription, _, pro = on_basic
    start, end = subscription.current_period_start, subscription.current_period_end
    period = int((end - start).total_seconds())
    unused = period * 2 // 3
    with schema_context(shop.tenant.schema_name):
        TaxRule.objects.create(country="DE", name="VAT", rate_bp=1900)
        expected = (1000 * unused // period) + (1 if (1000 * unused) % period else 0)
        assert expected == 667  # two thirds of the 10.00 difference, rounded by allocate

        with django_capture_on_commit_callbacks(execute=True):
            change = change_plan(
                subscription=subscription,
                recurring_price_id=pro.pk,
                actor=shop.buyer,
                idempotency_key="up-1",
                now=end - timedelta(seconds=unused),
            )

        assert change.kind == PlanChangeKind.UPGRADE_ORDERED
        assert change.payment is not None and change.payment.status == "succeeded"
        order = Order.objects.get(pk=change.order.pk)
        line = OrderLine.objects.get(order=order)
        tax = (expected * 1900 + 5000) // 10_000
        commission = (expected * 1000 + 5000) // 10_000
        assert (order.subtotal, order.tax_total, order.total) == (expected, tax, expected + tax)
        assert (line.recurring_price_id, line.commission_amount) == (pro.pk, commission)
        assert order.subscription_id == subscription.pk
        link = SubscriptionOrder.objects.get(order_id=order.pk)
        assert (link.unused_seconds, link.period_seconds) == (unused, period)
        upgraded = Subscription.objects.get()
        assert upgraded.recurring_price_id == pro.pk
        assert (upgraded.current_period_start, upgraded.current_period_end) == (start, end)
        assert upgraded.status == SubscriptionStatus.ACTIVE
    [event] = emitted(shop.tenant, "subscription.plan_changed")
    assert (event["recurring_price_id"], event["order_id"]) == (pro.pk, order.pk)
    assert ledger_totals(shop.tenant) == {"USD": 0}

    renew_at(shop.tenant, end, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        renewal = Order.objects.filter(subscription_id=subscription.pk).latest("id")
        assert renewal.subtotal == 2000


def test_upgrade_through_the_api_is_idempotent_and_prorated_from_the_recorded_seconds(
    shop, on_basic, django_capture_on_commit_callbacks
):
    client, subscription, _, pro = on_basic
    path = f"/me/subscriptions/{subscription.pk}/change-plan"

    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, path, {"recurring_price_id": pro.pk}, **{"Idempotency-Key": "a1"})
    replay = post(client, path, {"recurring_price_id": pro.pk}, **{"Idempotency-Key": "a1"})
    again = post(client, path, {"recurring_price_id": pro.pk}, **{"Idempotency-Key": "a2"})

    assert first.status_code == 200, first.content
    body = first.json()
    assert body["change"] == "upgrade_ordered"
    with schema_context(shop.tenant.schema_name):
        link = SubscriptionOrder.objects.get(subscription=subscription, kind="plan_change")
        assert 0 < link.period_seconds - link.unused_seconds < 120  # just subscribed
        used = link.period_seconds - link.unused_seconds
        shares = (
            1000 * link.unused_seconds // link.period_seconds,
            1000 * used // link.period_seconds,
        )
        leftover = 1000 - sum(shares)
        expected = shares[0] + (leftover if link.unused_seconds >= used else 0)
        assert Order.objects.filter(subscription_id=subscription.pk).count() == 1
    assert body["order"]["total"]["amount"] == expected
    assert body["order"]["payment"]["status"] == "succeeded"
    assert (replay.status_code, replay.json()) == (200, body)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "same_plan"
    assert only_subscription(shop.tenant).recurring_price_id == pro.pk


def test_a_declined_upgrade_keeps_the_plan(shop, on_basic, django_capture_on_commit_callbacks):
    client, subscription, basic, pro = on_basic
    with schema_context(shop.tenant.schema_name):
        declined = SavedPaymentMethod.objects.create(
            user=shop.buyer, provider="sandbox", reference=f"pm_sandbox_{DECLINED_CARD}"
        )
        Subscription.objects.filter(pk=subscription.pk).update(payment_method=declined)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            f"/me/subscriptions/{subscription.pk}/change-plan",
            {"recurring_price_id": pro.pk},
            **{"Idempotency-Key": "d1"},
        )

    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["code"], error["details"]["failure_code"]) == (
        "payment_declined",
        "card_declined",
    )
    assert only_subscription(shop.tenant).recurring_price_id == basic.pk
    assert emitted(shop.tenant, "subscription.plan_changed") == []


def test_a_downgrade_waits_for_the_next_renewal_and_refunds_nothing(
    shop, client_for, django_capture_on_commit_callbacks
):
    pro = make_plan(shop.tenant, shop.editor, amount=2000)
    basic = make_plan(shop.tenant, shop.editor, amount=1000)
    client = buyer_client(client_for, shop)
    subscribe(client, shop.editor, pro, django_capture_on_commit_callbacks)
    subscription = only_subscription(shop.tenant)

    response = post(
        client,
        f"/me/subscriptions/{subscription.pk}/change-plan",
        {"recurring_price_id": basic.pk},
        **{"Idempotency-Key": "down"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["change"], body["order"]) == ("scheduled", None)
    assert body["subscription"]["plan"]["id"] == pro.pk
    assert body["subscription"]["scheduled_plan"]["id"] == basic.pk
    renew_at(shop.tenant, subscription.current_period_end, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        renewal = Order.objects.get(subscription_id=subscription.pk)
        assert renewal.subtotal == 1000
        renewed = Subscription.objects.get()
        assert (renewed.recurring_price_id, renewed.scheduled_price_id) == (basic.pk, None)
        assert not Refund.objects.exists()


def test_another_billing_interval_starts_at_the_next_renewal(
    shop, on_basic, django_capture_on_commit_callbacks
):
    client, subscription, _, _ = on_basic
    yearly = make_plan(shop.tenant, shop.editor, amount=10_000, interval="year")

    response = post(
        client,
        f"/me/subscriptions/{subscription.pk}/change-plan",
        {"recurring_price_id": yearly.pk},
        **{"Idempotency-Key": "yearly"},
    )

    assert response.json()["change"] == "scheduled"
    end = subscription.current_period_end
    renew_at(shop.tenant, end, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        renewed = Subscription.objects.get()
        assert renewed.recurring_price_id == yearly.pk
        assert renewed.current_period_start == end
        assert renewed.current_period_end == add_months(
            end, 12, anchor_day=renewed.billing_anchor.day
        )
        assert Order.objects.get(subscription_id=subscription.pk).subtotal == 10_000


def test_a_trial_switches_plan_at_once_and_its_end_charges_the_new_price(
    shop, client_for, django_capture_on_commit_callbacks
):
    trial = make_plan(shop.tenant, shop.editor, amount=1000, trial_days=14)
    pro = make_plan(shop.tenant, shop.editor, amount=2500, trial_days=14)
    client = buyer_client(client_for, shop)
    subscribe(client, shop.editor, trial, django_capture_on_commit_callbacks)
    subscription = only_subscription(shop.tenant)

    response = post(
        client,
        f"/me/subscriptions/{subscription.pk}/change-plan",
        {"recurring_price_id": pro.pk},
        **{"Idempotency-Key": "t1"},
    )

    assert response.json()["change"] == "switched"
    assert response.json()["subscription"]["plan"]["id"] == pro.pk
    renew_at(shop.tenant, subscription.trial_end, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.get(subscription_id=subscription.pk).subtotal == 2500


def test_past_due_subscriptions_and_foreign_plans_cannot_change(
    shop, on_basic, client_for, django_capture_on_commit_callbacks
):
    client, subscription, _, pro = on_basic
    other = make_plan(shop.tenant, shop.scanner, amount=5000)
    path = f"/me/subscriptions/{subscription.pk}/change-plan"

    foreign = post(client, path, {"recurring_price_id": other.pk}, **{"Idempotency-Key": "f"})
    with schema_context(shop.tenant.schema_name):
        Subscription.objects.filter(pk=subscription.pk).update(
            status=SubscriptionStatus.PAST_DUE, failed_attempts=1
        )
    overdue = post(client, path, {"recurring_price_id": pro.pk}, **{"Idempotency-Key": "p"})

    assert (foreign.status_code, foreign.json()["error"]["code"]) == (
        422,
        "recurring_price_not_found",
    )
    assert foreign.json()["error"]["details"]["field"] == "recurring_price_id"
    assert (overdue.status_code, overdue.json()["error"]["code"]) == (409, "past_due")
