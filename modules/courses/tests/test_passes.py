"""Course memberships through the real subscription path: subscribing enrols in every
included course, a renewal in the courses added since, the subscription's end (or a refund)
closes what came through the pass with the reason, and subscribing again reopens it with
progress intact; a course bought outright is never touched."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import OrderLine
from core.subscriptions.models import SubscriptionStatus
from modules.courses import hooks
from modules.courses.models import Enrolment
from modules.courses.tests.helpers_cpass import Membership
from modules.courses.tests.helpers_cprog import T0


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
