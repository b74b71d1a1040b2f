"""Course memberships through the real subscription path: subscribing enrols in every
included course, a renewal in the courses added since, the subscription's end (or a refund)
closes what came through the pass with the reason, and subscribing again reopens it with
progress intact; a course bought outright is never touched."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import OrderLine
from core.subscriptions.models import Subscription, SubscriptionStatus
from core.subscriptions.services.cancel import cancel_at_period_end
from core.subscriptions.services.renew import renew_due_subscriptions
from modules.courses import consumers, hooks
from modules.courses.models import Enrolment, LessonProgress
from modules.courses.services import passes
from modules.courses.services.passes import MEMBERSHIP_ENDED, MEMBERSHIP_REFUNDED
from modules.courses.tests.helpers_cpass import Membership
from modules.courses.tests.helpers_cprog import T0, report


@pytest.fixture
def shop(make_tenant: Any, time_machine: Any) -> Membership:
    time_machine.move_to(T0, tick=False)
    return Membership(make_tenant, "code-school")


def test_subscribing_enrols_in_every_included_course(
    shop: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    order = shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)

    subscription = shop.subscription_of(shop.buyer)
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.product_id == shop.pass_product.pk
    with schema_context(shop.tenant.schema_name):
        line = OrderLine.objects.get(order=order)
        rows = Enrolment.objects.filter(buyer=shop.buyer).order_by("course_id")
        assert [(e.course_id, e.order_line_id, e.via_pass_id, e.revoked_at) for e in rows] == [
            (shop.course.pk, line.pk, shop.course_pass.pk, None),
            (shop.second.pk, line.pk, shop.course_pass.pk, None),
        ]
        hooks.fulfil(line)  # again after a crash: nothing new
        assert Enrolment.objects.filter(buyer=shop.buyer).count() == 2
    assert shop.places(shop.other) == {}


def renew(shop: Membership, capture: Any, time_machine: Any) -> None:
    """The renewal beat at the period's end (the clock moves there)."""
    end = shop.subscription_of(shop.buyer).current_period_end
    time_machine.move_to(end + timedelta(minutes=1), tick=False)
    with schema_context(shop.tenant.schema_name), capture(execute=True):
        renew_due_subscriptions(now=end + timedelta(minutes=1))
    shop.deliver()


def test_a_renewal_enrols_in_a_course_added_since(
    shop: Membership, django_capture_on_commit_callbacks: Any, time_machine: Any
) -> None:
    shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)
    third = shop.add_course("Web scraping", lessons=3)

    renew(shop, django_capture_on_commit_callbacks, time_machine)

    subscription = shop.subscription_of(shop.buyer)
    assert subscription.status == SubscriptionStatus.ACTIVE
    with schema_context(shop.tenant.schema_name):
        renewal_line = OrderLine.objects.filter(product=shop.pass_product).latest("pk")
        assert renewal_line.pk != subscription.first_order_line_id
        added = Enrolment.objects.get(buyer=shop.buyer, course=third)
        assert (added.order_line_id, added.via_pass_id, added.revoked_at) == (
            renewal_line.pk,
            shop.course_pass.pk,
            None,
        )
        # The places from the first period are kept as they were.
        first = Enrolment.objects.get(buyer=shop.buyer, course=shop.course)
        assert first.order_line_id == subscription.first_order_line_id
    assert shop.places(shop.buyer) == {
        shop.course.pk: (True, shop.course_pass.pk, ""),
        shop.second.pk: (True, shop.course_pass.pk, ""),
        third.pk: (True, shop.course_pass.pk, ""),
    }


def test_cancelling_at_period_end_closes_pass_places_but_not_a_course_bought_outright(
    shop: Membership, django_capture_on_commit_callbacks: Any, time_machine: Any
) -> None:
    shop.buy(shop.buyer, django_capture_on_commit_callbacks)  # Python from Zero, outright
    shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        cancel_at_period_end(subscription=shop.subscription_of(shop.buyer), actor=shop.buyer)
    shop.deliver()
    assert shop.places(shop.buyer)[shop.second.pk] == (True, shop.course_pass.pk, "")

    renew(shop, django_capture_on_commit_callbacks, time_machine)

    assert shop.subscription_of(shop.buyer).status == SubscriptionStatus.CANCELLED
    assert shop.places(shop.buyer) == {
        shop.course.pk: (True, None, ""),
        shop.second.pk: (False, shop.course_pass.pk, MEMBERSHIP_ENDED),
    }
    assert shop.deliver() == 0  # delivered once; a redelivery would change nothing


def test_a_course_bought_outright_during_a_membership_stays_after_it(
    shop: Membership, django_capture_on_commit_callbacks: Any, time_machine: Any
) -> None:
    shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)
    order = shop.buy(shop.buyer, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        place = Enrolment.objects.get(buyer=shop.buyer, course=shop.course)
        assert (place.via_pass_id, place.order_line_id) == (
            None,
            OrderLine.objects.get(order=order).pk,
        )
        cancel_at_period_end(subscription=shop.subscription_of(shop.buyer), actor=shop.buyer)

    renew(shop, django_capture_on_commit_callbacks, time_machine)

    assert shop.places(shop.buyer) == {
        shop.course.pk: (True, None, ""),
        shop.second.pk: (False, shop.course_pass.pk, MEMBERSHIP_ENDED),
    }


def test_a_refund_closes_the_membership_places(
    shop: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    order = shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)

    shop.refund(order.pk, django_capture_on_commit_callbacks)
    shop.deliver()

    assert shop.subscription_of(shop.buyer).status == SubscriptionStatus.CANCELLED
    assert shop.places(shop.buyer) == {
        shop.course.pk: (False, shop.course_pass.pk, "The order was refunded."),
        shop.second.pk: (False, shop.course_pass.pk, "The order was refunded."),
    }


def test_subscribing_again_reopens_the_places_with_progress_intact(
    shop: Membership, django_capture_on_commit_callbacks: Any, time_machine: Any
) -> None:
    shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)
    client = shop.client(shop.buyer)
    assert report(client, shop.video, [[0, 40]], 40).status_code == 200
    with schema_context(shop.tenant.schema_name):
        place = Enrolment.objects.get(buyer=shop.buyer, course=shop.course)
        cancel_at_period_end(subscription=shop.subscription_of(shop.buyer), actor=shop.buyer)
    renew(shop, django_capture_on_commit_callbacks, time_machine)
    assert shop.places(shop.buyer)[shop.course.pk][0] is False
    client = shop.client(shop.buyer)  # a month later: signed in again
    assert report(client, shop.video, [[40, 50]], 50).status_code == 404

    shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)

    with schema_context(shop.tenant.schema_name):
        again = Enrolment.objects.get(buyer=shop.buyer, course=shop.course)
        assert again.pk == place.pk and again.revoked_at is None and again.revoked_reason == ""
        assert again.via_pass_id == shop.course_pass.pk
        progress = LessonProgress.objects.get(enrolment=again, lesson=shop.video)
        assert progress.watched == [0, 40]
        assert Enrolment.objects.filter(buyer=shop.buyer).count() == 2


def test_another_live_subscription_to_the_pass_keeps_the_places(
    shop: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    with schema_context(shop.tenant.schema_name):
        yearly = passes.set_plan(
            seller=shop.seller,
            product_id=shop.pass_product.pk,
            interval="year",
            amount=15000,
            currency="USD",
        )
    monthly_order = shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)
    shop.subscribe(shop.buyer, django_capture_on_commit_callbacks, plan=yearly)
    with schema_context(shop.tenant.schema_name):
        assert Subscription.objects.filter(buyer=shop.buyer).count() == 2
        yearly_sub = Subscription.objects.get(buyer=shop.buyer, recurring_price=yearly)

    shop.refund(monthly_order.pk, django_capture_on_commit_callbacks)
    shop.deliver()

    with schema_context(shop.tenant.schema_name):
        assert Subscription.objects.exclude(status=SubscriptionStatus.CANCELLED).get() == (
            yearly_sub
        )
        lines = set(Enrolment.objects.filter(buyer=shop.buyer).values_list("order_line_id"))
        assert lines == {(yearly_sub.first_order_line_id,)}
    assert shop.places(shop.buyer) == {
        shop.course.pk: (True, shop.course_pass.pk, ""),
        shop.second.pk: (True, shop.course_pass.pk, ""),
    }

    with schema_context(shop.tenant.schema_name):
        passes.end_for_subscription(
            subscription_id=yearly_sub.pk,
            buyer_id=shop.buyer.pk,
            product_id=shop.pass_product.pk,
            reason="operator",
        )
    assert shop.places(shop.buyer)[shop.second.pk] == (False, shop.course_pass.pk, MEMBERSHIP_ENDED)


def test_the_cancelled_consumer_is_idempotent_and_names_a_refund(
    shop: Membership, django_capture_on_commit_callbacks: Any, time_machine: Any
) -> None:
    shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)
    subscription = shop.subscription_of(shop.buyer)
    payload = {
        "subscription_id": subscription.pk,
        "buyer_id": shop.buyer.pk,
        "product_id": shop.pass_product.pk,
        "reason": "refunded",
    }

    with schema_context(shop.tenant.schema_name):
        consumers.end_membership(payload)
        closed_at = set(Enrolment.objects.values_list("revoked_at", flat=True))
        time_machine.move_to(T0 + timedelta(hours=1), tick=False)
        consumers.end_membership(payload)  # redelivered
        assert set(Enrolment.objects.values_list("revoked_at", flat=True)) == closed_at == {T0}
    assert shop.places(shop.buyer) == {
        shop.course.pk: (False, shop.course_pass.pk, MEMBERSHIP_REFUNDED),
        shop.second.pk: (False, shop.course_pass.pk, MEMBERSHIP_REFUNDED),
    }
