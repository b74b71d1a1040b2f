"""The seller's side of course memberships: what a pass includes (own courses only; a
change reaches live subscribers at once) and its prices, through the services, the seller API
and the studio's product step; another seller, another marketplace and a marketplace without
the courses module see nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.commerce.models import RecurringPrice
from core.commerce.services.cart import add_product, get_or_create_cart
from core.errors import DomainError
from modules.courses.errors import CourseError, CourseErrorCode
from modules.courses.models import Course, CoursePass, Enrolment, PassCourse
from modules.courses.services import passes
from modules.courses.services.passes import NO_LONGER_INCLUDED
from modules.courses.tests.helpers_cpass import Membership
from modules.courses.tests.helpers_cprog import T0
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call
from tests.catalog_helpers import make_product
from tests.fleet_helpers import host_of

API = "/courses/seller/passes"


@pytest.fixture
def shop(make_tenant: Any, time_machine: Any) -> Membership:
    time_machine.move_to(T0, tick=False)
    return Membership(make_tenant, "code-school")


def owner_client(shop: Membership, seller: Any = None) -> Client:
    with schema_context(shop.tenant.schema_name):
        owner = User.objects.get(pk=(seller or shop.seller).owner_id)
    return shop.client(owner)


def test_a_course_of_another_seller_is_a_field_error_and_nothing_is_written(
    shop: Membership,
) -> None:
    theirs = shop.add_course("Rival's course", lessons=1, seller=shop.rival)
    with schema_context(shop.tenant.schema_name):
        with pytest.raises(CourseError) as refused:
            passes.save_pass(
                seller_id=shop.seller.pk,
                product_id=shop.pass_product.pk,
                contents=passes.PassContents(
                    includes_all=False, course_ids=(shop.course.pk, theirs.pk)
                ),
            )
        assert refused.value.code == CourseErrorCode.INVALID_PASS
        assert refused.value.details == {"field": "course_ids"}
        assert CoursePass.objects.get(pk=shop.course_pass.pk).includes_all is True
        assert not PassCourse.objects.exists()

    response = call(
        owner_client(shop),
        "put",
        f"{API}/{shop.pass_product.pk}",
        {"includes_all": False, "course_ids": [theirs.pk]},
    )
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == CourseErrorCode.INVALID_PASS
    assert response.json()["error"]["details"]["field"] == "course_ids"
    with schema_context(shop.tenant.schema_name):
        assert not PassCourse.objects.exists()


def test_another_seller_cannot_read_or_edit_the_pass(shop: Membership) -> None:
    rival = owner_client(shop, shop.rival)
    path = f"{API}/{shop.pass_product.pk}"
    assert call(rival, "get", path).status_code == 404
    body = {"includes_all": False, "course_ids": []}
    assert call(rival, "put", path, body).status_code == 404
    plan = {"amount": 1, "currency": "USD"}
    assert call(rival, "put", f"{path}/plans/month", plan).status_code == 404
    assert call(rival, "delete", f"{path}/plans/month").status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert CoursePass.objects.get(pk=shop.course_pass.pk).includes_all is True
        assert list(RecurringPrice.objects.filter(is_active=True)) == [shop.plan]


def test_changing_the_courses_reaches_live_subscribers_at_once(
    shop: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)
    owner = owner_client(shop)
    path = f"{API}/{shop.pass_product.pk}"

    narrowed = call(owner, "put", path, {"includes_all": False, "course_ids": [shop.second.pk]})

    assert narrowed.status_code == 200, narrowed.content
    assert [c["id"] for c in narrowed.json()["courses"]] == [shop.second.pk]
    assert narrowed.json()["live_subscribers"] == 1
    assert shop.places(shop.buyer) == {
        shop.course.pk: (False, shop.course_pass.pk, NO_LONGER_INCLUDED),
        shop.second.pk: (True, shop.course_pass.pk, ""),
    }

    third = shop.add_course("Web scraping", lessons=2)
    widened = call(
        owner, "put", path, {"includes_all": False, "course_ids": [shop.second.pk, third.pk]}
    )
    assert widened.status_code == 200
    assert shop.places(shop.buyer)[third.pk] == (True, shop.course_pass.pk, "")

    everything = call(owner, "put", path, {"includes_all": True})
    assert everything.status_code == 200
    assert {c["id"] for c in everything.json()["courses"]} == {
        shop.course.pk,
        shop.second.pk,
        third.pk,
    }
    assert shop.places(shop.buyer) == {
        shop.course.pk: (True, shop.course_pass.pk, ""),
        shop.second.pk: (True, shop.course_pass.pk, ""),
        third.pk: (True, shop.course_pass.pk, ""),
    }
    assert shop.places(shop.other) == {}


def test_a_new_price_retires_the_old_one_and_bad_input_is_a_field_error(
    shop: Membership,
) -> None:
    owner = owner_client(shop)
    path = f"{API}/{shop.pass_product.pk}/plans"

    same = call(owner, "put", f"{path}/month", {"amount": 1500, "currency": "USD"})
    assert same.status_code == 200 and same.json()["id"] == shop.plan.pk
    dearer = call(owner, "put", f"{path}/month", {"amount": 1900, "currency": "USD"})
    assert dearer.status_code == 200
    yearly = call(owner, "put", f"{path}/year", {"amount": 15000, "currency": "USD"})
    assert yearly.status_code == 200

    weekly = call(owner, "put", f"{path}/week", {"amount": 500, "currency": "USD"})
    assert weekly.status_code == 422
    assert weekly.json()["error"]["details"]["field"] == "interval"
    free = call(owner, "put", f"{path}/month", {"amount": 0, "currency": "USD"})
    assert free.status_code == 422
    with schema_context(shop.tenant.schema_name):
        active = RecurringPrice.objects.filter(product=shop.pass_product, is_active=True)
        assert sorted(active.values_list("interval", "amount")) == [
            ("month", 1900),
            ("year", 15000),
        ]
        assert RecurringPrice.objects.get(pk=shop.plan.pk).is_active is False
    listed = call(owner, "get", f"{API}/{shop.pass_product.pk}").json()
    assert sorted(p["amount"] for p in listed["plans"]) == [1900, 15000]


def test_the_studio_step_offers_own_courses_and_sets_the_prices(shop: Membership) -> None:
    theirs = shop.add_course("Rival's course", lessons=1, seller=shop.rival)
    owner = owner_client(shop)
    url = f"/studio/products/{shop.pass_product.pk}/details/"

    page = owner.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-course-pass-step" in html
    assert "Data with Pandas" in html and "Rival&#x27;s course" not in html

    refused = owner.post(url, {"course_ids": [str(theirs.pk)], "monthly_price": "12.00"})
    assert refused.status_code == 422
    with schema_context(shop.tenant.schema_name):
        assert not PassCourse.objects.exists()
        assert not RecurringPrice.objects.filter(amount=1200).exists()

    empty = owner.post(url, {"monthly_price": "12.00"})
    assert empty.status_code == 422
    assert "Choose the courses it includes" in empty.content.decode()

    saved = owner.post(
        url, {"course_ids": [str(shop.second.pk)], "monthly_price": "12.00", "yearly_price": ""}
    )
    assert saved.status_code == 302, saved.content.decode()[-2000:]
    with schema_context(shop.tenant.schema_name):
        course_pass = CoursePass.objects.get(pk=shop.course_pass.pk)
        assert course_pass.includes_all is False
        assert list(course_pass.courses.values_list("pk", flat=True)) == [shop.second.pk]
        active = RecurringPrice.objects.filter(product=shop.pass_product, is_active=True)
        assert list(active.values_list("interval", "amount")) == [("month", 1200)]
    again = owner.get(url).content.decode()
    assert 'value="12.00"' in again


def test_another_marketplace_sees_nothing(
    shop: Membership, make_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    elsewhere = Membership(make_tenant, "other-school")
    stranger = owner_client(elsewhere)
    assert call(stranger, "get", f"{API}/{shop.pass_product.pk}").status_code == 404
    visitor = Client(HTTP_HOST=host_of(elsewhere.tenant))
    if shop.pass_product.slug != elsewhere.pass_product.slug:
        assert visitor.get(f"/p/{shop.pass_product.slug}/").status_code == 404
    shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)
    assert elsewhere.places(elsewhere.buyer) == {}
    with schema_context(elsewhere.tenant.schema_name):
        assert CoursePass.objects.get().pk == elsewhere.course_pass.pk
        with pytest.raises(DomainError):
            add_product(
                cart=get_or_create_cart(buyer=elsewhere.buyer, token=None),
                product_id=elsewhere.pass_product.pk,
                recurring_price_id=shop.plan.pk if shop.plan.pk != elsewhere.plan.pk else 10**9,
            )


def test_without_the_courses_module_the_pass_cannot_be_bought(shop: Membership) -> None:
    owner = owner_client(shop)
    set_module_enabled(tenant=shop.tenant, key="courses", is_enabled=False)

    assert (
        Client(HTTP_HOST=host_of(shop.tenant)).get(f"/p/{shop.pass_product.slug}/").status_code
        == 404
    )
    assert call(owner, "get", f"{API}/{shop.pass_product.pk}").status_code == 404
    with schema_context(shop.tenant.schema_name), pytest.raises(DomainError):
        add_product(
            cart=get_or_create_cart(buyer=shop.buyer, token=None),
            product_id=shop.pass_product.pk,
            recurring_price_id=shop.plan.pk,
        )


def test_a_new_published_course_joins_an_all_courses_membership_at_once(
    shop: Membership, django_capture_on_commit_callbacks: Any
) -> None:
    shop.subscribe(shop.buyer, django_capture_on_commit_callbacks)
    fresh = make_product(shop.tenant, shop.seller, "Testing with pytest", product_type="course")
    draft = make_product(
        shop.tenant, shop.seller, "Not approved yet", product_type="course", publish=False
    )
    owner_client(shop).post(f"/studio/products/{draft.pk}/details/", {"language": "en"})

    saved = owner_client(shop).post(
        f"/studio/products/{fresh.pk}/details/",
        {"level": "Beginner", "language": "en", "issues_certificate": "on"},
    )

    assert saved.status_code == 302
    with schema_context(shop.tenant.schema_name):
        course = Course.objects.get(product=fresh)
        place = Enrolment.objects.get(buyer=shop.buyer, course=course)
        assert (place.via_pass_id, place.revoked_at) == (shop.course_pass.pk, None)
        assert not Enrolment.objects.filter(course=course).exclude(buyer=shop.buyer).exists()
        assert not Enrolment.objects.filter(course__product=draft).exists()
