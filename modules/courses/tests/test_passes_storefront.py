"""The buyer's side of course memberships: the product page lists the included courses and
offers the plans, the buy form adds a plan to the cart (a bad plan is a field error), "My
courses" says where a place came from and why one closed; and the fulfil hook of a pass line
costs the same number of queries however many courses it includes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.commerce.models import CartLine, OrderLine
from core.subscriptions.services.recurring_prices import (
    RecurringPriceData,
    create_recurring_price,
)
from modules.courses import hooks
from modules.courses.models import Enrolment
from modules.courses.services import passes
from modules.courses.services.passes import MEMBERSHIP_ENDED
from modules.courses.tests.helpers_cpass import Membership
from modules.courses.tests.helpers_cprog import T0
from tests.fleet_helpers import host_of

# The line, the pass, its course ids, a savepoint, the buyer's places (locked), one insert
# for the new ones, the savepoint's release: the same for 2 courses or 10.
FULFIL_QUERIES = 7


@pytest.fixture
def shop(make_tenant: Any, time_machine: Any) -> Membership:
    time_machine.move_to(T0, tick=False)
    return Membership(make_tenant, "code-school")


def test_the_product_page_lists_the_courses_and_offers_the_plans(shop: Membership) -> None:
    response = Client(HTTP_HOST=host_of(shop.tenant)).get(f"/p/{shop.pass_product.slug}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-included-course="{shop.course.pk}"' in html
    assert f'data-included-course="{shop.second.pk}"' in html
    assert f'href="/p/{shop.second.product.slug}/"' in html
    assert "Data with Pandas" in html and "2 lessons" in html and "7 lessons" in html
    assert f'name="plan" value="{shop.plan.pk}"' in html
    assert "15.00 USD per month" in html
    assert "One-off purchase" not in html  # a membership is only sold as a subscription
    assert '<p class="price" data-plan-price>15.00 USD per month</p>' in html
    assert ">Subscribe</button>" in html


def test_adding_a_plan_to_the_cart_makes_one_recurring_line(shop: Membership) -> None:
    client = shop.client(shop.buyer)

    response = client.post(
        "/cart/add/", {"product_id": shop.pass_product.pk, "plan": shop.plan.pk, "quantity": 5}
    )

    assert response.status_code == 302 and response["Location"] == "/cart/"
    with schema_context(shop.tenant.schema_name):
        line = CartLine.objects.get()
        assert (line.product_id, line.recurring_price_id, line.quantity) == (
            shop.pass_product.pk,
            shop.plan.pk,
            1,
        )


@pytest.mark.parametrize("plan", ["999999", "abc", "other"])
def test_a_bad_plan_is_a_field_error(shop: Membership, plan: str) -> None:
    if plan == "other":  # a real plan, of another product (the course)
        with schema_context(shop.tenant.schema_name):
            plan = str(
                create_recurring_price(
                    seller=shop.seller,
                    data=RecurringPriceData(
                        product_id=shop.product.pk, interval="year", currency="USD", amount=9000
                    ),
                ).pk
            )
    client = shop.client(shop.buyer)

    response = client.post(
        "/cart/add/",
        {"product_id": shop.pass_product.pk, "plan": plan},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="field plans has-error"' in html
    with schema_context(shop.tenant.schema_name):
        assert not CartLine.objects.exists()


def test_a_membership_cannot_be_bought_once_without_a_plan(shop: Membership) -> None:
    """Not through the API, not through the form (which, answering an error, offers no
    one-off purchase either): a line without a plan would enrol for good."""
    client = shop.client(shop.buyer)
    api = client.post(
        "/api/v1/cart/lines",
        {"product_id": shop.pass_product.pk, "quantity": 1},
        content_type="application/json",
    )
    assert api.status_code == 422, api.content
    error = api.json()["error"]
    assert error["code"] == "plan_required" and "subscription only" in error["message"]
    form = client.post(
        "/cart/add/", {"product_id": shop.pass_product.pk}, headers={"HX-Request": "true"}
    )
    html = form.content.decode()
    assert "sold by subscription only" in html and "One-off purchase" not in html
    with schema_context(shop.tenant.schema_name):
        assert not CartLine.objects.exists()


def test_my_courses_says_where_a_place_came_from_and_why_it_closed(
    shop: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)
    client = shop.client(shop.buyer)
    page = client.get("/courses/mine/").content.decode()
    assert page.count("Included in All-access membership") == 2

    with schema_context(shop.tenant.schema_name):
        subscription = shop.subscription_of(shop.buyer)
        passes.end_for_subscription(
            subscription_id=subscription.pk,
            buyer_id=shop.buyer.pk,
            product_id=shop.pass_product.pk,
            reason="buyer",
        )
    page = client.get("/courses/mine/").content.decode()
    assert "data-closed-enrolment" in page
    assert page.count(MEMBERSHIP_ENDED) == 2
    assert "Subscribe again" in page


def _fulfil_queries(shop: Membership, capture: Any) -> int:
    order = shop.subscribe(shop.buyer, capture)
    with schema_context(shop.tenant.schema_name):
        line = OrderLine.objects.get(order=order)
        Enrolment.objects.filter(buyer=shop.buyer).delete()
        with CaptureQueriesContext(connection) as queries:
            hooks.fulfil(line)
        assert Enrolment.objects.filter(buyer=shop.buyer, order_line=line).count() == len(
            passes.included_courses(shop.course_pass)
        )
    return len(queries)


def test_the_fulfil_hook_does_not_grow_with_the_courses(
    shop: Membership, make_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    few = _fulfil_queries(shop, django_capture_on_commit_callbacks)  # 2 courses
    bigger = Membership(make_tenant, "big-school")
    for number in range(8):
        bigger.add_course(f"Extra {number}", lessons=1)
    many = _fulfil_queries(bigger, django_capture_on_commit_callbacks)  # 10 courses

    assert few == many == FULFIL_QUERIES


def _card_of(html: str, slug: str) -> str:
    start = html.index(f'data-product="{slug}"')
    return html[start : html.index("</li>", start)]


def test_listing_cards_price_a_membership_by_its_plans_not_a_one_off_price(
    shop: Membership,
) -> None:
    """The catalogue's one-off price of a pass (10.00 here) is never sold: the cards on the
    home, category-less search, seller and listing pages say what a subscriber pays."""
    client = Client(HTTP_HOST=host_of(shop.tenant))
    slug = shop.pass_product.slug
    pages = ["/", f"/search/?q={shop.pass_product.name.split()[0]}", f"/s/{shop.seller.slug}/"]

    monthly_only = {page: _card_of(client.get(page).content.decode(), slug) for page in pages}
    with schema_context(shop.tenant.schema_name):
        passes.set_plan(
            seller=shop.seller,
            product_id=shop.pass_product.pk,
            interval="year",
            amount=15000,
            currency="USD",
        )
    two_plans = _card_of(client.get(f"/s/{shop.seller.slug}/").content.decode(), slug)
    course = _card_of(
        client.get(f"/s/{shop.seller.slug}/").content.decode(), shop.course.product.slug
    )

    for page, card in monthly_only.items():
        assert (
            '<span class="product-price" data-amount="1500">15.00 USD per month</span>' in card
        ), page
        assert "10.00 USD" not in card, page
    assert "From 15.00 USD per month" in two_plans  # monthly first, then yearly
    assert '<span class="product-price" data-amount="4900">49.00 USD</span>' in course  # one-off


def test_a_membership_with_no_plan_on_sale_shows_no_price_rather_than_a_one_off_one(
    shop: Membership,
) -> None:
    client = Client(HTTP_HOST=host_of(shop.tenant))
    with schema_context(shop.tenant.schema_name):
        passes.retire_plan(seller=shop.seller, product_id=shop.pass_product.pk, interval="month")
    card = _card_of(client.get(f"/s/{shop.seller.slug}/").content.decode(), shop.pass_product.slug)

    assert "product-price" not in card
    assert "10.00 USD" not in card
