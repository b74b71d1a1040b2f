"""Starting a subscription: a checkout with a recurring price, paid or on a free trial; the
order.paid consumer makes the subscription once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_tenants.utils import schema_context

from core import events
from core.commerce.models import Order, OrderStatus, Payment
from core.payments.models import SavedPaymentMethod
from core.payments.providers.sandbox import (
    DECLINED_CARD,
    SUCCESS_CARD,
    THREE_D_SECURE_CARD,
    THREE_D_SECURE_CODE,
)
from core.subscriptions.models import Subscription, SubscriptionOrder, SubscriptionStatus
from core.subscriptions.services.paid_orders import on_order_paid
from core.subscriptions.tests.helpers import (
    emitted,
    make_plan,
    only_subscription,
    renew_at,
    subscribe,
)
from tests.accounts_helpers import call
from tests.commerce_helpers import buyer_client, ledger_totals, make_shop
from tests.testmodules.alpha.models import FulfilmentRecord


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def test_checkout_of_a_recurring_price_starts_an_active_subscription(
    shop, client_for, django_capture_on_commit_callbacks
):
    plan = make_plan(shop.tenant, shop.editor, amount=1000)
    client = buyer_client(client_for, shop)

    response = subscribe(client, shop.editor, plan, django_capture_on_commit_callbacks)

    assert response.status_code == 201, response.content
    order_id = response.json()["id"]
    subscription = only_subscription(shop.tenant)
    with schema_context(shop.tenant.schema_name):
        order = Order.objects.get(pk=order_id)
        method = SavedPaymentMethod.objects.get(user=shop.buyer)
        assert order.total == 1000
        assert subscription.first_order_line.order_id == order_id
        assert (subscription.buyer_id, subscription.seller_id, subscription.product_id) == (
            shop.buyer.pk,
            shop.seller_one.pk,
            shop.editor.pk,
        )
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.current_period_start == order.paid_at
        assert subscription.billing_anchor == order.paid_at
        assert subscription.trial_end is None
        assert subscription.payment_method == method
        assert method.reference == f"pm_sandbox_{SUCCESS_CARD}"
        assert subscription.next_attempt_at == subscription.current_period_end
    start, end = subscription.current_period_start, subscription.current_period_end
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == 1
    assert (end.day, end.time()) == (start.day, start.time()) or start.day > 28
    [created] = emitted(shop.tenant, "subscription.created")
    assert created["subscription_id"] == subscription.pk
    assert created["order_id"] == order_id
    assert created["first_order_line_id"] == subscription.first_order_line_id
    assert created["status"] == "active"
    listed = call(client, "get", "/me/subscriptions").json()
    assert [item["id"] for item in listed["items"]] == [subscription.pk]
    assert listed["items"][0]["plan"]["amount"]["amount"] == 1000
    assert listed["items"][0]["payment_method"]["last4"] == "4242"
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_trial_charges_nothing_keeps_the_card_and_the_first_renewal_charges_it(
    shop, client_for, django_capture_on_commit_callbacks
):
    plan = make_plan(shop.tenant, shop.editor, amount=1200, trial_days=14)
    client = buyer_client(client_for, shop)

    response = subscribe(client, shop.editor, plan, django_capture_on_commit_callbacks)

    assert response.status_code == 201, response.content
    assert response.json()["total"]["amount"] == 0
    subscription = only_subscription(shop.tenant)
    with schema_context(shop.tenant.schema_name):
        order = Order.objects.get(pk=response.json()["id"])
        payment = Payment.objects.get(order=order)
        assert payment.amount == 0
        assert payment.reference.startswith("seti_sandbox_")  # a setup, not a charge
        method = SavedPaymentMethod.objects.get(user=shop.buyer)
        assert method.reference == f"pm_sandbox_{SUCCESS_CARD}"
        assert subscription.status == SubscriptionStatus.TRIALING
        assert subscription.trial_end == order.paid_at + timedelta(days=14)
        assert subscription.current_period_end == subscription.trial_end
        assert subscription.billing_anchor == subscription.trial_end
        assert subscription.payment_method == method

    outcomes = renew_at(shop.tenant, subscription.trial_end, django_capture_on_commit_callbacks)

    assert outcomes == {"renewed": 1}
    with schema_context(shop.tenant.schema_name):
        renewed = Subscription.objects.get()
        renewal = Order.objects.get(subscription_id=subscription.pk)
        assert renewal.total == 1200
        assert renewal.status == OrderStatus.COMPLETED
        assert renewed.status == SubscriptionStatus.ACTIVE
        assert renewed.current_period_start == subscription.trial_end
        link = SubscriptionOrder.objects.get(order_id=renewal.pk)
        assert renewed.current_period_end == link.period_end > subscription.trial_end
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_a_trial_with_a_card_the_bank_declines_starts_nothing(
    shop, client_for, django_capture_on_commit_callbacks
):
    plan = make_plan(shop.tenant, shop.editor, trial_days=7)
    client = buyer_client(client_for, shop)

    response = subscribe(
        client, shop.editor, plan, django_capture_on_commit_callbacks, card=DECLINED_CARD
    )

    assert response.status_code == 402
    assert response.json()["error"]["details"]["failure_code"] == "card_declined"
    with schema_context(shop.tenant.schema_name):
        assert not Subscription.objects.exists()
        assert not SavedPaymentMethod.objects.exists()


def test_a_trial_with_a_three_d_secure_card_starts_once_confirmed(
    shop, client_for, django_capture_on_commit_callbacks
):
    plan = make_plan(shop.tenant, shop.editor, trial_days=7)
    client = buyer_client(client_for, shop)

    response = subscribe(
        client, shop.editor, plan, django_capture_on_commit_callbacks, card=THREE_D_SECURE_CARD
    )

    assert response.status_code == 202
    with schema_context(shop.tenant.schema_name):
        assert not Subscription.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = call(
            client,
            "post",
            f"/orders/{response.json()['id']}/confirm",
            {"confirmation": THREE_D_SECURE_CODE},
        )
    assert confirmed.status_code == 200
    subscription = only_subscription(shop.tenant)
    assert subscription.status == SubscriptionStatus.TRIALING
    with schema_context(shop.tenant.schema_name):
        assert subscription.payment_method is not None
        assert subscription.payment_method.reference == f"pm_sandbox_{THREE_D_SECURE_CARD}"


def test_order_paid_delivered_twice_makes_one_subscription(
    shop, client_for, django_capture_on_commit_callbacks
):
    plan = make_plan(shop.tenant, shop.editor)
    client = buyer_client(client_for, shop)
    order_id = subscribe(client, shop.editor, plan, django_capture_on_commit_callbacks).json()["id"]

    with schema_context(shop.tenant.schema_name):
        on_order_paid(order_id=order_id)
        [payload] = emitted(shop.tenant, "order.paid")
        for handler in events._consumers["order.paid"]:
            handler(payload)

        assert Subscription.objects.count() == 1
    assert len(emitted(shop.tenant, "subscription.created")) == 1


def test_an_order_without_recurring_lines_starts_nothing(
    shop, client_for, django_capture_on_commit_callbacks
):
    make_plan(shop.tenant, shop.editor)
    client = buyer_client(client_for, shop)
    call(client, "post", "/cart/lines", {"product_id": shop.editor.pk, "quantity": 1})

    with django_capture_on_commit_callbacks(execute=True):
        response = call(
            client,
            "post",
            "/checkout",
            {"country": "DE", "payment_method": SUCCESS_CARD},
            **{"Idempotency-Key": "plain-1"},
        )

    assert response.status_code == 201
    with schema_context(shop.tenant.schema_name):
        assert not Subscription.objects.exists()
        assert FulfilmentRecord.objects.count() == 1
