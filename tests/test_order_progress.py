"""Sub-orders only move forward on the happy path: in a two-seller order, the seller whose
line completes first keeps "completed" when the whole order catches up (its history never
reads "Completed -> Fulfilled")."""

from __future__ import annotations

from django_tenants.utils import schema_context

from core.commerce.models import OrderStatus, OrderTransition, SubOrder
from tests.commerce_helpers import add, bearer_client, checkout, make_shop


def test_a_sub_order_that_completed_first_never_steps_back(
    tenant_b, client_for, django_capture_on_commit_callbacks
):
    shop = make_shop(tenant_b)
    client = bearer_client(client_for, tenant_b, shop.buyer)
    for product in (shop.editor, shop.scanner):  # two sellers' software, delivered at once
        assert add(client, product).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert checkout(client).status_code == 201

    with schema_context(tenant_b.schema_name):
        steps = list(
            OrderTransition.objects.filter(sub_order__isnull=False)
            .order_by("id")
            .values_list("sub_order__seller__slug", "from_status", "to_status")
        )
        statuses = set(SubOrder.objects.values_list("status", flat=True))
    assert statuses == {OrderStatus.COMPLETED}
    assert all((before, after) != ("completed", "fulfilled") for _, before, after in steps), steps
