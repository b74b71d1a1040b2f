"""A licence's life after checkout: revoked by a full refund, suspended while its payment is
disputed and reinstated when the dispute is won, expired by the beat, and kept in step with
its subscription (extended on renewal, expired on cancellation and failed dunning)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import timezone
from django_tenants.utils import schema_context

from core.commerce.models import Payment
from core.commerce.services.payment_events import on_dispute_closed, on_dispute_opened
from core.commerce.services.refunds import LineRefund, refund_order
from core.payments.models import SavedPaymentMethod
from core.payments.providers.sandbox import DECLINED_CARD
from core.subscriptions.models import Subscription, SubscriptionStatus
from core.subscriptions.services.cancel import cancel_at_period_end
from core.subscriptions.services.change_plan import change_plan
from core.subscriptions.tests.helpers import make_plan, only_subscription, renew_at
from modules.licensing.models import License
from modules.licensing.services import lifecycle
from modules.licensing.services.issue import subscription_grace
from modules.licensing.tasks import expire_licenses
from modules.licensing.tests.helpers import (
    buy,
    emitted,
    fresh,
    make_software,
    purchase,
    seat_variants,
    signed_in,
    variant_of,
)
from tenants.tasks import fan_out

EXPIRE_TASK = "modules.licensing.tasks.expire_licenses"
DAY = timedelta(days=1)


def _order_id(shop, license):
    with schema_context(shop.tenant.schema_name):
        return License.objects.values_list("order_line__order_id", flat=True).get(pk=license.pk)


def _refund(shop, license, capture, *, amount=None, key="refund-1"):
    order_id = _order_id(shop, license)
    with schema_context(shop.tenant.schema_name), capture(execute=True):
        refund_order(
            order_id=order_id,
            lines=[LineRefund(line_id=license.order_line_id, amount=amount)],
            reason="asked",
            idempotency_key=key,
            actor=None,
            actor_label="operator",
        )


def _reference(shop, license):
    with schema_context(shop.tenant.schema_name):
        return Payment.objects.get(order_id=_order_id(shop, license), status="succeeded").reference


def _dispute(shop, license, capture, *, closed=None, event="dp_1"):
    reference = _reference(shop, license)
    with schema_context(shop.tenant.schema_name), capture(execute=True):
        if closed is None:
            on_dispute_opened(provider="sandbox", reference=reference, event_id=event)
        else:
            on_dispute_closed(
                provider="sandbox", reference=reference, is_won=closed == "won", event_id=event
            )


def _statuses(shop, licenses):
    return [
        (fresh(shop.tenant, lic).status, fresh(shop.tenant, lic).status_reason) for lic in licenses
    ]


def test_a_full_refund_revokes_the_lines_licences_and_says_so(
    shop, client_for, django_capture_on_commit_callbacks
):
    team, _ = make_software(
        shop.tenant, shop.seller, "Team Editor", variants=seat_variants(2), is_license_per_seat=True
    )
    licenses = buy(
        client_for,
        shop,
        django_capture_on_commit_callbacks,
        product=team,
        variant=variant_of(shop.tenant, team, "seats-2"),
    )
    [kept] = buy(client_for, shop, django_capture_on_commit_callbacks)  # another order

    _refund(shop, licenses[0], django_capture_on_commit_callbacks)

    assert _statuses(shop, licenses) == [("revoked", "refunded")] * 2
    assert _statuses(shop, [kept]) == [("active", "")]
    revoked = emitted(shop.tenant, "license.revoked")
    assert [(e["license_id"], e["status"], e["status_reason"]) for e in revoked] == [
        (licenses[0].pk, "revoked", "refunded"),
        (licenses[1].pk, "revoked", "refunded"),
    ]
    assert {e["actor"] for e in revoked} == {"system:fulfilment"}


def test_a_partial_refund_takes_nothing_away(shop, client_for, django_capture_on_commit_callbacks):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)

    _refund(shop, license, django_capture_on_commit_callbacks, amount=500)

    assert _statuses(shop, [license]) == [("active", "")]
    assert emitted(shop.tenant, "license.revoked") == []


def test_an_open_dispute_suspends_and_a_won_one_reinstates(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    [other] = buy(client_for, shop, django_capture_on_commit_callbacks)

    _dispute(shop, license, django_capture_on_commit_callbacks)
    during = _statuses(shop, [license, other])
    _dispute(shop, license, django_capture_on_commit_callbacks, event="dp_1_again")  # repeated
    _dispute(shop, license, django_capture_on_commit_callbacks, closed="won", event="dp_2")

    assert during == [("suspended", "dispute"), ("active", "")]
    assert _statuses(shop, [license, other]) == [("active", ""), ("active", "")]
    assert [e["license_id"] for e in emitted(shop.tenant, "license.suspended")] == [license.pk]
    assert [e["license_id"] for e in emitted(shop.tenant, "license.reinstated")] == [license.pk]


def test_a_lost_dispute_revokes_through_the_chargeback_refund(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)

    _dispute(shop, license, django_capture_on_commit_callbacks)
    _dispute(shop, license, django_capture_on_commit_callbacks, closed="lost", event="dp_2")

    assert _statuses(shop, [license]) == [("revoked", "refunded")]
    assert emitted(shop.tenant, "license.reinstated") == []


def test_a_sellers_own_suspension_outlives_a_won_dispute(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        lifecycle.suspend(license=license, reason="shared on a forum", actor_label="seller:1")

    _dispute(shop, license, django_capture_on_commit_callbacks)
    _dispute(shop, license, django_capture_on_commit_callbacks, closed="won", event="dp_2")

    assert _statuses(shop, [license]) == [("suspended", "shared on a forum")]


def test_the_beat_expires_licences_past_their_end_in_each_marketplace(
    shop, other_licensing_tenant, client_for, django_capture_on_commit_callbacks
):
    yearly, _ = make_software(shop.tenant, shop.seller, "Year Editor", duration_days=365)
    [due] = buy(client_for, shop, django_capture_on_commit_callbacks, product=yearly)
    [later] = buy(client_for, shop, django_capture_on_commit_callbacks, product=yearly)
    [perpetual] = buy(client_for, shop, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        License.objects.filter(pk=due.pk).update(expires_at=F("expires_at") - 366 * DAY)

    with django_capture_on_commit_callbacks(execute=True):
        fan_out.delay(EXPIRE_TASK)
    with schema_context(shop.tenant.schema_name):
        again = expire_licenses.delay().get(disable_sync_subtasks=False)

    assert _statuses(shop, [due, later, perpetual]) == [
        ("expired", "expired"),
        ("active", ""),
        ("active", ""),
    ]
    assert again == 0
    assert [e["license_id"] for e in emitted(shop.tenant, "license.expired")] == [due.pk]


def test_a_suspended_licence_reinstated_after_its_end_is_expired(
    shop, client_for, django_capture_on_commit_callbacks
):
    yearly, _ = make_software(shop.tenant, shop.seller, "Year Editor", duration_days=30)
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks, product=yearly)
    with schema_context(shop.tenant.schema_name):
        lifecycle.suspend(license=license, reason="checking", actor_label="seller:1")
        License.objects.filter(pk=license.pk).update(expires_at=timezone.now() - DAY)
        lifecycle.reinstate(license=license, actor_label="seller:1")

    assert _statuses(shop, [license]) == [("expired", "expired")]


# --- subscriptions ------------------------------------------------------------------------------


def _subscribe(shop, client_for, capture, *, product=None, variant=None):
    product = product or shop.product
    plan = make_plan(shop.tenant, product, amount=1000)
    client = signed_in(client_for, shop.tenant, shop.buyer)
    bought = purchase(client, shop.tenant, product, capture, recurring_price=plan, variant=variant)
    return client, bought.licenses, only_subscription(shop.tenant)


def test_a_subscription_licence_runs_to_the_period_end_plus_the_dunning_grace(
    shop, client_for, django_capture_on_commit_callbacks
):
    _, [license], subscription = _subscribe(shop, client_for, django_capture_on_commit_callbacks)

    license = fresh(shop.tenant, license)
    assert subscription_grace() == 10 * DAY  # retries after 1, 3 and 5 days, and a day more
    assert license.subscription_id == subscription.pk
    assert license.expires_at == subscription.current_period_end + 10 * DAY
    assert license.status == "active"


def test_a_renewal_extends_the_same_licence_instead_of_issuing_another(
    shop, client_for, django_capture_on_commit_callbacks
):
    _, [license], subscription = _subscribe(shop, client_for, django_capture_on_commit_callbacks)

    outcomes = renew_at(
        shop.tenant, subscription.current_period_end, django_capture_on_commit_callbacks
    )

    renewed = only_subscription(shop.tenant)
    assert outcomes == {"renewed": 1}
    assert renewed.current_period_start == subscription.current_period_end
    with schema_context(shop.tenant.schema_name):
        assert list(License.objects.values_list("pk", flat=True)) == [license.pk]
    license = fresh(shop.tenant, license)
    assert (license.status, license.expires_at) == (
        "active",
        renewed.current_period_end + subscription_grace(),
    )
    extended = emitted(shop.tenant, "license.extended")
    assert {e["expires_at"] for e in extended} == {license.expires_at.isoformat()}
    assert len(emitted(shop.tenant, "license.issued")) == 1


def test_cancelling_at_the_period_end_expires_the_licence_then(
    shop, client_for, django_capture_on_commit_callbacks
):
    _, [license], subscription = _subscribe(shop, client_for, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name), django_capture_on_commit_callbacks(execute=True):
        cancel_at_period_end(subscription=subscription, actor=shop.buyer)
    assert fresh(shop.tenant, license).status == "active"

    outcomes = renew_at(
        shop.tenant, subscription.current_period_end, django_capture_on_commit_callbacks
    )

    assert outcomes == {"cancelled": 1}
    license = fresh(shop.tenant, license)
    assert (license.status, license.status_reason, license.expires_at) == (
        "expired",
        "subscription_cancelled",
        subscription.current_period_end,
    )
    assert [e["license_id"] for e in emitted(shop.tenant, "license.expired")] == [license.pk]


def test_failed_dunning_expires_the_licence_and_it_works_until_then(
    shop, client_for, django_capture_on_commit_callbacks
):
    _, [license], subscription = _subscribe(shop, client_for, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        declined = SavedPaymentMethod.objects.create(
            user=shop.buyer,
            provider="sandbox",
            reference=f"pm_sandbox_{DECLINED_CARD}",
            brand="visa",
            last4="0002",
        )
        Subscription.objects.filter(pk=subscription.pk).update(payment_method=declined)
    due = subscription.current_period_end

    for moment in (due, due + DAY, due + 4 * DAY):
        renew_at(shop.tenant, moment, django_capture_on_commit_callbacks)
    during = fresh(shop.tenant, license)
    renew_at(shop.tenant, due + 9 * DAY, django_capture_on_commit_callbacks)

    assert only_subscription(shop.tenant).status == SubscriptionStatus.CANCELLED
    assert (during.status, during.expires_at) == ("active", due + subscription_grace())
    license = fresh(shop.tenant, license)
    assert (license.status, license.status_reason, license.expires_at) == (
        "expired",
        "payment_failed",
        due + 9 * DAY,
    )


def test_refunding_the_current_period_revokes_the_subscription_licence(
    shop, client_for, django_capture_on_commit_callbacks
):
    _, [license], _ = _subscribe(shop, client_for, django_capture_on_commit_callbacks)

    _refund(shop, license, django_capture_on_commit_callbacks)

    assert _statuses(shop, [license]) == [("revoked", "refunded")]
    assert only_subscription(shop.tenant).status == SubscriptionStatus.CANCELLED


def test_a_per_seat_subscription_issues_every_seat_tied_to_it(
    shop, client_for, django_capture_on_commit_callbacks
):
    team, _ = make_software(
        shop.tenant, shop.seller, "Team Editor", variants=seat_variants(3), is_license_per_seat=True
    )
    three = variant_of(shop.tenant, team, "seats-3")
    plan = make_plan(shop.tenant, team, amount=3000)
    with schema_context(shop.tenant.schema_name):
        type(plan).objects.filter(pk=plan.pk).update(variant=three)
    client = signed_in(client_for, shop.tenant, shop.buyer)

    licenses = purchase(
        client,
        shop.tenant,
        team,
        django_capture_on_commit_callbacks,
        recurring_price=plan,
        variant=three,
    ).licenses
    subscription = only_subscription(shop.tenant)
    renew_at(shop.tenant, subscription.current_period_end, django_capture_on_commit_callbacks)

    renewed = only_subscription(shop.tenant)
    with schema_context(shop.tenant.schema_name):
        rows = list(
            License.objects.order_by("seat").values_list("seat", "subscription_id", "expires_at")
        )
    end = renewed.current_period_end + subscription_grace()
    assert [lic.seat for lic in licenses] == [1, 2, 3]
    assert rows == [(seat, subscription.pk, end) for seat in (1, 2, 3)]


def test_per_seat_licences_follow_an_upgrade_and_a_downgrade_at_renewal(
    shop, client_for, django_capture_on_commit_callbacks
):
    team, _ = make_software(
        shop.tenant,
        shop.seller,
        "Team Editor",
        variants=seat_variants(3, 5),
        is_license_per_seat=True,
    )
    three, five = (variant_of(shop.tenant, team, f"seats-{n}") for n in (3, 5))
    small, large = (
        make_plan(shop.tenant, team, amount=3000),
        make_plan(shop.tenant, team, amount=5000),
    )
    with schema_context(shop.tenant.schema_name):
        type(small).objects.filter(pk=small.pk).update(variant=three)
        type(large).objects.filter(pk=large.pk).update(variant=five)
    client = signed_in(client_for, shop.tenant, shop.buyer)
    first = purchase(
        client,
        shop.tenant,
        team,
        django_capture_on_commit_callbacks,
        recurring_price=small,
        variant=three,
    ).licenses
    subscription = only_subscription(shop.tenant)
    with schema_context(shop.tenant.schema_name), django_capture_on_commit_callbacks(execute=True):
        up = change_plan(
            subscription=subscription,
            recurring_price_id=large.pk,
            actor=shop.buyer,
            idempotency_key="u1",
        )
    after_upgrade = _live(shop)
    with schema_context(shop.tenant.schema_name), django_capture_on_commit_callbacks(execute=True):
        down = change_plan(
            subscription=subscription,
            recurring_price_id=small.pk,
            actor=shop.buyer,
            idempotency_key="d1",
        )
    renew_at(shop.tenant, subscription.current_period_end, django_capture_on_commit_callbacks)

    assert (up.kind, down.kind) == ("upgrade_ordered", "scheduled")
    assert len(first) == 3
    assert len(after_upgrade) == 5 and after_upgrade[:3] == [lic.pk for lic in first]
    assert _live(shop) == [lic.pk for lic in first]
    with schema_context(shop.tenant.schema_name):
        surplus = list(
            License.objects.exclude(pk__in=[lic.pk for lic in first]).values_list(
                "status", "status_reason", "subscription_id"
            )
        )
    assert surplus == [("revoked", "plan_downgraded", subscription.pk)] * 2


def _live(shop):
    with schema_context(shop.tenant.schema_name):
        return list(
            License.objects.exclude(status="revoked").order_by("id").values_list("pk", flat=True)
        )


def test_a_disputed_renewal_suspends_the_subscriptions_licence_until_won(
    shop, client_for, django_capture_on_commit_callbacks
):
    _, [license], subscription = _subscribe(shop, client_for, django_capture_on_commit_callbacks)
    renew_at(shop.tenant, subscription.current_period_end, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        reference = Payment.objects.get(order__subscription_id=subscription.pk).reference

    def dispute(**closed):
        with (
            schema_context(shop.tenant.schema_name),
            django_capture_on_commit_callbacks(execute=True),
        ):
            if closed:
                on_dispute_closed(
                    provider="sandbox", reference=reference, event_id="dp_9", **closed
                )
            else:
                on_dispute_opened(provider="sandbox", reference=reference, event_id="dp_8")

    dispute()
    during = _statuses(shop, [license])
    dispute(is_won=True)

    assert during == [("suspended", "dispute")]
    assert _statuses(shop, [license]) == [("active", "")]
