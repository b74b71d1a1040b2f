"""The product page's buy form chooses a plan (an active recurring price) for any product that
has one: the line becomes a subscription of one, a bad plan is a field error beside the plan
choice and adds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import CartLine
from core.subscriptions.tests.helpers import make_plan
from tests.commerce_helpers import Shop, make_shop

HX = {"HX-Request": "true"}


@pytest.fixture
def shop(tenant_a: Any) -> Shop:
    return make_shop(tenant_a)


def lines(shop: Shop) -> list[tuple[int, int | None, int]]:
    with schema_context(shop.tenant.schema_name):
        return list(CartLine.objects.values_list("product_id", "recurring_price_id", "quantity"))


def test_a_plan_added_from_the_form_is_one_recurring_line(client_for: Any, shop: Shop) -> None:
    monthly = make_plan(shop.tenant, shop.editor, amount=1000)
    client = client_for(shop.tenant)

    answer = client.post(
        "/cart/add/",
        {"product_id": shop.editor.pk, "plan": str(monthly.pk), "quantity": "4"},
        headers=HX,
    )

    assert answer.status_code == 200
    assert "Added Swift Editor" in answer.content.decode()
    assert lines(shop) == [(shop.editor.pk, monthly.pk, 1)]


def test_the_form_offers_the_plans_and_the_one_off_price(client_for: Any, shop: Shop) -> None:
    monthly = make_plan(shop.tenant, shop.editor, amount=1000)
    yearly = make_plan(shop.tenant, shop.editor, amount=9000, interval="year", trial_days=14)
    client = client_for(shop.tenant)

    # A failed add answers the form again, now with the product's plans.
    answer = client.post(
        "/cart/add/", {"product_id": shop.editor.pk, "quantity": "0"}, headers=HX
    ).content.decode()

    assert f'name="plan" value="{monthly.pk}"' in answer
    assert f'name="plan" value="{yearly.pk}"' in answer
    assert "10.00 USD per month" in answer
    assert "90.00 USD per year after a 14-day free trial" in answer
    assert "One-off purchase" in answer and 'id="add-to-cart-quantity"' in answer
    assert lines(shop) == []


@pytest.mark.parametrize("plan", ["999999", "not-a-number", "other-product", "retired"])
def test_a_bad_plan_is_a_field_error(client_for: Any, shop: Shop, plan: str) -> None:
    make_plan(shop.tenant, shop.editor, amount=1000)
    if plan == "other-product":
        plan = str(make_plan(shop.tenant, shop.scanner, amount=500).pk)
    elif plan == "retired":
        retired = make_plan(shop.tenant, shop.editor, amount=700)
        with schema_context(shop.tenant.schema_name):
            retired.is_active = False
            retired.save(update_fields=["is_active"])
        plan = str(retired.pk)
    client = client_for(shop.tenant)

    answer = client.post(
        "/cart/add/", {"product_id": shop.editor.pk, "plan": plan}, headers=HX
    ).content.decode()

    fieldset = answer.split("data-plans>")[0].rsplit("<fieldset", 1)[1]
    assert "has-error" in fieldset
    assert lines(shop) == []


def test_without_plans_the_form_is_as_before(client_for: Any, shop: Shop) -> None:
    client = client_for(shop.tenant)

    answer = client.post(
        "/cart/add/", {"product_id": shop.editor.pk, "quantity": "2"}, headers=HX
    ).content.decode()

    assert "data-plans" not in answer
    assert lines(shop) == [(shop.editor.pk, None, 2)]
