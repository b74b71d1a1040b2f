"""Providers do not promise the order of their webhooks: a dispute's closing can arrive before
its opening. The closing then opens and closes it at once (the chargeback is booked, the
dispute record closed), and the late opening changes nothing."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import Order, OrderStatus, Payment
from core.commerce.services.payment_events import on_dispute_closed, on_dispute_opened
from core.payments.providers.sandbox import SUCCESS_CARD
from core.risk.models import MarkKind, RiskMark
from tests.accounts_helpers import call
from tests.commerce_helpers import add, bearer_client, make_shop


@pytest.fixture
def paid(tenant_a, client_for, django_capture_on_commit_callbacks):
    shop = make_shop(tenant_a)
    client = bearer_client(client_for, tenant_a, shop.buyer)
    with django_capture_on_commit_callbacks(execute=True):
        assert add(client, shop.editor).status_code == 200
        answer = call(
            client,
            "post",
            "/checkout",
            {"country": "DE", "payment_method": SUCCESS_CARD},
            **{"Idempotency-Key": uuid.uuid4().hex},
        )
    assert answer.status_code == 201, answer.content
    with schema_context(tenant_a.schema_name):
        order = Order.objects.get(pk=answer.json()["id"])
        return shop, order, Payment.objects.get(order=order).reference


def deliver(shop, capture, *calls):
    with schema_context(shop.tenant.schema_name), capture(execute=True):
        for fn, kwargs in calls:
            fn(provider="sandbox", **kwargs)


def test_a_lost_dispute_closed_before_it_opened_is_booked_once_and_stays_closed(
    paid, django_capture_on_commit_callbacks
):
    shop, order, reference = paid
    deliver(
        shop,
        django_capture_on_commit_callbacks,
        (on_dispute_closed, {"reference": reference, "is_won": False, "event_id": "evt_closed"}),
        (on_dispute_opened, {"reference": reference, "event_id": "evt_opened_late"}),
    )

    with schema_context(shop.tenant.schema_name):
        order.refresh_from_db()
        assert order.status == OrderStatus.REFUNDED
        assert order.refunded_total == order.total
        assert RiskMark.objects.filter(kind=MarkKind.BUYER, value=str(shop.buyer.pk)).exists()
        statuses = list(order.transitions.order_by("id").values_list("to_status", flat=True))
    assert statuses.count(OrderStatus.DISPUTED) == 1


def test_a_won_dispute_closed_before_it_opened_leaves_the_order_as_it_was(
    paid, django_capture_on_commit_callbacks
):
    shop, order, reference = paid
    before = order.status
    deliver(
        shop,
        django_capture_on_commit_callbacks,
        (on_dispute_closed, {"reference": reference, "is_won": True, "event_id": "evt_won"}),
        (on_dispute_opened, {"reference": reference, "event_id": "evt_opened_late"}),
    )

    with schema_context(shop.tenant.schema_name):
        order.refresh_from_db()
        assert order.status == before
        assert order.refunded_total == 0
        assert not RiskMark.objects.exists()
