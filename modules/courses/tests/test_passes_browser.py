"""A buyer subscribes to a course membership in Chromium against a real server process: the
product page lists the included courses and offers the monthly plan, the buyer subscribes,
pays by card at checkout, and "My courses" lists both courses as included in the membership.
The server runs the test settings (Celery eager): the paid order's fulfilment and the outbox
(which makes the subscription) run in the server process, as a worker would run them."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from playwright.sync_api import expect, sync_playwright

from core.catalog.models import Product
from core.payments.providers.sandbox import SUCCESS_CARD
from core.subscriptions.models import Subscription, SubscriptionStatus
from modules.courses.manifest import COURSE_PASS
from modules.courses.models import Course, Enrolment, Lesson, Section
from modules.courses.services import passes
from tenants.models import Tenant
from tenants.schemas_sql import use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    _delete_marketplace,
    _running_server,
    chromium_executable,
    page_width,
)
from tests.catalog_helpers import make_product, make_seller
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG = "courses-pass-browser"
HOST = f"{SLUG}.{settings.PLATFORM_DOMAIN}"
BUYER_EMAIL = f"noor@{SLUG}.example"
TITLES = ("Practical Git", "Python from Zero")


@pytest.fixture
def academy(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[Tenant, Product]]:
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        tenant = provision_tenant(
            slug=SLUG,
            name="Byte Bazaar",
            owner_email=f"owner@{SLUG}.example",
            owner_password=None,
            modules=["courses"],
            branding={"theme": "bazaar", "primary_colour": "#1f6f5c"},
        ).tenant
        use_public_schema()
        try:
            seller = make_seller(
                tenant, "nimbus", "Nimbus Labs", product_types=["course", COURSE_PASS]
            )
            for title in TITLES:
                course_product = make_product(tenant, seller, title, product_type="course")
                with schema_context(tenant.schema_name):
                    course = Course.objects.create(product=course_product, duration_seconds=90)
                    section = Section.objects.create(course=course, title="Start")
                    Lesson.objects.create(
                        course=course, section=section, title="Hello", kind="text"
                    )
            membership = make_product(
                tenant, seller, "All-access membership", product_type=COURSE_PASS
            )
            make_user(tenant, BUYER_EMAIL, full_name="Noor Haddad")
            with schema_context(tenant.schema_name):
                passes.save_pass(
                    seller_id=seller.pk,
                    product_id=membership.pk,
                    contents=passes.PassContents(includes_all=True),
                )
                passes.set_plan(
                    seller=seller,
                    product_id=membership.pk,
                    interval="month",
                    amount=900,
                    currency="USD",
                )
            use_public_schema()
            yield tenant, membership
        finally:
            _delete_marketplace(SLUG)
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


def test_a_buyer_subscribes_to_a_membership_and_finds_its_courses(
    academy: tuple[Tenant, Product],
    chromium_executable: str,  # noqa: F811
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
) -> None:
    tenant, membership = academy
    with _running_server(HOST, tmp_path, request) as server, sync_playwright() as playwright:

        def url(path: str) -> str:
            return server.url(HOST, path)

        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        phone.goto(url("/s/nimbus/"))  # the seller page: its card says what subscribers pay
        card = phone.locator(f'[data-product="{membership.slug}"]')
        expect(card.locator(".product-price")).to_have_text("9.00 USD per month")
        assert page_width(phone) <= 390
        phone.screenshot(path=str(tmp_path / "membership-card-390.png"), full_page=True)
        keep = os.environ.get("SOUK_SCREENSHOT_DIR")
        if keep:
            shutil.copy(tmp_path / "membership-card-390.png", keep)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(30_000)
        page.goto(url(f"/p/{membership.slug}/"))
        expect(page.locator("[data-included-course]")).to_have_count(2)
        expect(page.locator("#add-to-cart")).to_contain_text("9.00 USD per month")
        page.get_by_role("button", name="Subscribe").click()
        page.locator("#add-to-cart").get_by_role("link", name="View cart").click()
        page.get_by_role("link", name="Checkout").click()
        page.get_by_label("E-mail address").fill(BUYER_EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(url("/checkout/"))
        page.get_by_label("Billing country").fill("DE")
        page.get_by_label("Billing country").press("Tab")
        page.get_by_label("Card number").fill(SUCCESS_CARD)
        page.get_by_role("button", name="Place order and pay").click()
        expect(page).to_have_url(re.compile(re.escape(url("/account/orders/")) + r"\d+/$"))

        page.goto(url("/courses/mine/"))
        cards = page.locator("li.cl-card")
        expect(cards).to_have_count(2)
        for title in TITLES:
            expect(page.locator("li.cl-card", has_text=title)).to_contain_text(
                "Included in All-access membership"
            )
        browser.close()

    with django_db_blocker.unblock(), schema_context(tenant.schema_name):
        subscription = Subscription.objects.get(product=membership)
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert (
            Enrolment.objects.filter(via_pass__product=membership, revoked_at__isnull=True).count()
            == 2
        )
    use_public_schema()
