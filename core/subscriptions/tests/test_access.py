"""Who sees and changes what: a buyer only their own subscriptions (another's is 404), sellers
their own prices and subscribers, operators all of their marketplace's, and nothing crosses a
marketplace - objects, URLs or the renewal task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import schema_context

from core.commerce.models import Order, RecurringPrice
from core.sellers.models import TeamMember, TeamPermission
from core.subscriptions import tasks as subscription_tasks
from core.subscriptions.models import Subscription
from core.subscriptions.tests.helpers import make_plan, only_subscription, post, subscribe
from tenants.tasks import fan_out
from tests.accounts_helpers import call, make_user, sign_in, signed_in_operator
from tests.commerce_helpers import buyer_client, make_shop

# Workers import every app's tasks at start (autodiscovery); the tests import the module.
RENEW_TASK = subscription_tasks.renew_due_subscriptions.name


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


@pytest.fixture
def subscribed(shop, client_for, django_capture_on_commit_callbacks):
    plan = make_plan(shop.tenant, shop.editor, amount=1000)
    client = buyer_client(client_for, shop)
    assert (
        subscribe(client, shop.editor, plan, django_capture_on_commit_callbacks).status_code == 201
    )
    return client, only_subscription(shop.tenant), plan


def test_another_buyer_gets_404_for_every_subscription_url(shop, subscribed, client_for):
    _, subscription, plan = subscribed
    make_user(shop.tenant, "other@example.com")
    other = buyer_client(client_for, shop, "other@example.com")
    base = f"/me/subscriptions/{subscription.pk}"

    responses = [
        call(other, "get", base),
        post(other, f"{base}/cancel"),
        post(other, f"{base}/resume"),
        post(other, f"{base}/payment-method", {"payment_method_id": 1}),
        post(
            other,
            f"{base}/change-plan",
            {"recurring_price_id": plan.pk},
            **{"Idempotency-Key": "x"},
        ),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert {r.json()["error"]["code"] for r in responses} == {"subscription_not_found"}
    assert call(other, "get", "/me/subscriptions").json() == {"items": [], "next_cursor": None}
    fresh = only_subscription(shop.tenant)
    assert (fresh.status, fresh.cancel_at_period_end) == ("active", False)


def test_a_buyer_cannot_charge_someone_elses_saved_card(shop, subscribed, client_for):
    client, subscription, _ = subscribed
    stranger = make_user(shop.tenant, "stranger@example.com")
    with schema_context(shop.tenant.schema_name):
        from core.payments.models import SavedPaymentMethod

        theirs = SavedPaymentMethod.objects.create(
            user=stranger, provider="sandbox", reference="pm_sandbox_4242424242424242"
        )

    response = post(
        client,
        f"/me/subscriptions/{subscription.pk}/payment-method",
        {"payment_method_id": theirs.pk},
    )

    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "payment_method_id"


def test_subscriptions_are_invisible_from_another_marketplace(
    tenant_b, shop, subscribed, client_for, django_capture_on_commit_callbacks
):
    _, subscription, _ = subscribed
    # The same e-mail on marketplace B is another account with nothing of A's.
    make_user(tenant_b, shop.buyer.email)
    elsewhere = client_for(tenant_b)
    assert sign_in(elsewhere, shop.buyer.email).status_code == 200
    operator_b, _ = signed_in_operator(client_for, tenant_b)

    assert call(elsewhere, "get", "/me/subscriptions").json()["items"] == []
    assert call(elsewhere, "get", f"/me/subscriptions/{subscription.pk}").status_code == 404
    assert post(elsewhere, f"/me/subscriptions/{subscription.pk}/cancel").status_code == 404
    assert call(operator_b, "get", "/operator/subscriptions").json()["items"] == []
    assert call(operator_b, "get", f"/operator/subscriptions/{subscription.pk}").status_code == 404
    assert post(operator_b, f"/operator/subscriptions/{subscription.pk}/cancel").status_code == 404
    with schema_context(tenant_b.schema_name):
        assert not Subscription.objects.exists()


def test_the_beat_renews_in_each_marketplace_s_own_schema(
    tenant_b, shop, subscribed, django_capture_on_commit_callbacks
):
    _, subscription, _ = subscribed
    with schema_context(shop.tenant.schema_name):
        # A month went by: the period (and its timer) are a month earlier.
        month = subscription.current_period_end - subscription.current_period_start
        Subscription.objects.update(
            current_period_start=F("current_period_start") - month,
            current_period_end=F("current_period_end") - month,
            next_attempt_at=F("next_attempt_at") - month,
        )

    with django_capture_on_commit_callbacks(execute=True):
        fan_out.delay(RENEW_TASK)

    with schema_context(shop.tenant.schema_name):
        renewal = Order.objects.get(subscription_id=subscription.pk)
        assert renewal.total == 1000
        assert Subscription.objects.get().current_period_end > subscription.current_period_start
    with schema_context(tenant_b.schema_name):
        assert not Order.objects.exists()


def test_sellers_price_their_own_products_by_subscription(shop, client_for):
    seller = client_for(shop.tenant)
    assert sign_in(seller, "acme@example.com").json()["status"] == "signed_in"
    body = {"product_id": shop.editor.pk, "interval": "month", "currency": "usd", "amount": 900}

    created = post(seller, "/seller/recurring-prices", body)
    foreign = post(seller, "/seller/recurring-prices", {**body, "product_id": shop.scanner.pk})
    bad_currency = post(seller, "/seller/recurring-prices", {**body, "currency": "XYZ"})
    bad_interval = post(seller, "/seller/recurring-prices", {**body, "interval": "week"})

    assert created.status_code == 201, created.content
    price = created.json()
    assert (price["interval"], price["interval_count"], price["trial_days"]) == ("month", 1, 0)
    assert price["amount"] == {"amount": 900, "currency": "USD", "display": "9.00 USD"}
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (422, "product_not_found")
    assert bad_currency.json()["error"]["details"]["field"] == "currency"
    assert bad_interval.status_code == 422
    listed = call(seller, "get", "/seller/recurring-prices").json()
    assert [item["id"] for item in listed["items"]] == [price["id"]]
    retired = call(seller, "patch", f"/seller/recurring-prices/{price['id']}", {"is_active": False})
    assert retired.json()["is_active"] is False
    other_seller = client_for(shop.tenant)
    sign_in(other_seller, "bolt@example.com")
    assert call(other_seller, "get", "/seller/recurring-prices").json()["items"] == []
    assert (
        call(
            other_seller, "patch", f"/seller/recurring-prices/{price['id']}", {"is_active": True}
        ).status_code
        == 404
    )
    with schema_context(shop.tenant.schema_name):
        assert RecurringPrice.objects.get(pk=price["id"]).is_active is False


def test_a_team_member_needs_manage_products_for_prices(shop, client_for):
    helper = make_user(shop.tenant, "helper@example.com")
    with schema_context(shop.tenant.schema_name):
        TeamMember.objects.create(
            seller=shop.seller_one, user=helper, permissions=[TeamPermission.PROCESS_ORDERS]
        )
    client = client_for(shop.tenant)
    sign_in(client, "helper@example.com")

    denied = post(
        client,
        "/seller/recurring-prices",
        {"product_id": shop.editor.pk, "interval": "month", "currency": "USD", "amount": 900},
    )

    assert denied.status_code == 403
    assert denied.json()["error"]["details"]["required_permission"] == "manage_products"
    assert call(client, "get", "/seller/subscriptions").status_code == 200


def test_sellers_see_their_subscribers_only(shop, subscribed, client_for):
    _, subscription, _ = subscribed
    acme = client_for(shop.tenant)
    sign_in(acme, "acme@example.com")
    bolt = client_for(shop.tenant)
    sign_in(bolt, "bolt@example.com")

    mine = call(acme, "get", "/seller/subscriptions").json()
    theirs = call(bolt, "get", "/seller/subscriptions").json()

    assert [item["id"] for item in mine["items"]] == [subscription.pk]
    assert mine["items"][0]["buyer"]["email"] == shop.buyer.email
    assert theirs["items"] == []


def test_operators_list_every_subscription_and_buyers_may_not(shop, subscribed, client_for):
    client, subscription, _ = subscribed
    operator, _ = signed_in_operator(client_for, shop.tenant)

    listed = call(operator, "get", "/operator/subscriptions?status=active").json()
    none_cancelled = call(operator, "get", "/operator/subscriptions?status=cancelled").json()

    assert [item["id"] for item in listed["items"]] == [subscription.pk]
    assert none_cancelled["items"] == []
    assert call(client, "get", "/operator/subscriptions").status_code == 403


def test_the_buyer_list_costs_the_same_queries_for_one_or_many(
    shop, subscribed, client_for, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client, _, plan = subscribed
    with django_assert_max_num_queries(8) as one:
        assert len(call(client, "get", "/me/subscriptions").json()["items"]) == 1
    queries_for_one = len(one.captured_queries)
    for _ in range(3):
        subscribe(client, shop.editor, plan, django_capture_on_commit_callbacks)

    with django_assert_max_num_queries(queries_for_one):
        assert len(call(client, "get", "/me/subscriptions").json()["items"]) == 4


def test_an_ended_period_cannot_be_resumed(shop, subscribed):
    client, subscription, _ = subscribed
    post(client, f"/me/subscriptions/{subscription.pk}/cancel")
    with schema_context(shop.tenant.schema_name):
        now = timezone.now()
        Subscription.objects.update(
            current_period_start=now - timedelta(days=31),
            current_period_end=now - timedelta(hours=1),
        )

    response = post(client, f"/me/subscriptions/{subscription.pk}/resume")

    assert (response.status_code, response.json()["error"]["code"]) == (409, "period_over")
