"""The gig set-up page in Chromium against a real server process, signed in as the seller:
an extra added with htmx, moved up and saved (its price typed in major units kept exactly in
minor units), a bad price refused beside its field with the typing kept, a choice question
added, an FAQ row removed and one added. The set-up list, the set-up page, the order queue
(a very late order highlighted first) and the seller's public profile with its gig stats fit
a 390 px phone. Screenshots go to ``$SOUK_SHOTS`` (default: the test's tmp_path)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from core.commerce.models import OrderLine
from core.commerce.services import cart as carts
from core.commerce.services.checkout import CheckoutInput, pay_order, place_order
from core.commerce.services.fulfilment import fulfil_line
from core.payments.providers.sandbox import SUCCESS_CARD
from modules.gigs.models import GigExtra, GigFaq, GigOrder, GigQuestion, OrderStatus
from modules.gigs.services import quotes
from modules.gigs.tests.helpers import make_gig
from tenants.models import Tenant
from tenants.schemas_sql import use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    LiveServer,
    _delete_marketplace,
    _running_server,
    chromium_executable,
    page_width,
)
from tests.catalog_helpers import make_seller
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG = "gig-studio-browser-market"
HOST = f"{SLUG}.{settings.PLATFORM_DOMAIN}"


@pytest.fixture
def studio_marketplace(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        tenant = provision_tenant(
            slug=SLUG,
            name="Gig Studio Market",
            owner_email=f"owner@{SLUG}.example",
            owner_password=None,
            modules=["gigs"],
            branding={"theme": "bazaar", "primary_colour": "#1b6f5c"},
        ).tenant
        use_public_schema()
        try:
            yield tenant
        finally:
            _delete_marketplace(SLUG)
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


def _sign_in(context: BrowserContext, server: LiveServer, email: str, path: str) -> Page:
    page = context.new_page()
    page.goto(server.url(HOST, f"/accounts/login/?next={path}"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def _fits(page: Page, width: int, shot: Path) -> None:
    assert page_width(page) <= width, (page.url, width)
    page.screenshot(path=str(shot), full_page=True)


def _orders(tenant: Tenant, gig: Any, buyer: Any, count: int) -> list[GigOrder]:
    made = []
    with schema_context(tenant.schema_name):
        for _ in range(count):
            quote = quotes.create_quote(buyer=buyer, product_id=gig.pk, tier="basic", extra_ids=[])
            cart = carts.get_or_create_cart(buyer=buyer, token=None)
            carts.add_offer(cart=cart, buyer=buyer, offer_id=quote.offer_id)
            placed = place_order(
                buyer=buyer,
                cart=cart,
                details=CheckoutInput(country="DE"),
                idempotency_key=uuid.uuid4().hex,
            )
            pay_order(order=placed, payment_method=SUCCESS_CARD)
            line = OrderLine.objects.get(order=placed)
            fulfil_line(line_id=line.pk)
            made.append(GigOrder.objects.get(order_line=line))
    return made


def _set_states(tenant: Tenant, orders: list[GigOrder]) -> None:
    """One very late, two completed, one cancelled, one still waiting for requirements."""
    now = timezone.now()
    started = {"requirements_submitted_at": now - timedelta(days=9)}
    with schema_context(tenant.schema_name):
        GigOrder.objects.filter(pk=orders[0].pk).update(
            status=OrderStatus.IN_PROGRESS, due_at=now - timedelta(days=2), **started
        )
        for order in orders[1:3]:
            GigOrder.objects.filter(pk=order.pk).update(
                status=OrderStatus.COMPLETED, due_at=now - timedelta(days=5), completed_at=now,
                **started,
            )  # fmt: skip
        GigOrder.objects.filter(pk=orders[3].pk).update(status=OrderStatus.CANCELLED)


def test_a_seller_sets_up_extras_questions_and_faq_in_chromium(
    studio_marketplace: Tenant,
    chromium_executable: str,  # noqa: F811
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    tenant = studio_marketplace
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        seller = make_seller(tenant, "studio", "Studio Nord", product_types=["gig"])
        gig = make_gig(tenant, seller, "Logo design")
        buyer = make_user(tenant, "buyer@gigs.example", full_name="Bea Buyer")
        orders = _orders(tenant, gig, buyer, 5)
        _set_states(tenant, orders)
        use_public_schema()
    setup = f"/studio/gigs/setup/{gig.pk}/"

    with _running_server(HOST, tmp_path, request) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = _sign_in(context, server, "studio@example.com", "/studio/gigs/setup/")
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Your gigs")
        _fits(page, 1280, shots / "gig-setup-list-1280.png")
        page.get_by_role("link", name="Logo design").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Logo design")
        _fits(page, 1280, shots / "gig-setup-1280.png")

        extras = page.locator("#extras")
        extras.get_by_role("button", name="+ Add an extra").click()
        expect(extras.locator(".setup-row")).to_have_count(4)  # htmx: no page load
        new = extras.locator(".setup-row").nth(3)
        new.get_by_label("Kind").select_option("custom")
        new.get_by_label("Title").fill("Print-ready files")
        new.get_by_label("Price (USD)").fill("12.345")
        new.get_by_label("Days").fill("1")
        new.get_by_role("button", name="Move up").click()
        moved = extras.locator(".setup-row").nth(2)
        expect(moved.get_by_label("Title")).to_have_value("Print-ready files")  # typing kept
        extras.get_by_role("button", name="Save extras").click()
        error = page.locator("#extras .setup-row").nth(2).locator(".field-error")
        expect(error).to_have_text("Give a price in USD, like 15.00.")
        _fits(page, 1280, shots / "gig-setup-error-1280.png")
        page.locator("#extras .setup-row").nth(2).get_by_label("Price (USD)").fill("12.35")
        page.locator("#extras").get_by_role("button", name="Save extras").click()
        expect(page.locator(".messages, [role=status]").first).to_contain_text("Saved the extras")

        questions = page.locator("#questions")
        questions.get_by_role("button", name="+ Add a question").click()
        expect(questions.locator(".setup-row")).to_have_count(4)
        added = questions.locator(".setup-row").nth(3)
        added.get_by_label("Question", exact=True).fill("Which format?")
        added.get_by_label("Answer", exact=True).select_option("choice")
        added.get_by_label("Options (choice questions, one per line)").fill("PNG\nSVG")
        added.get_by_label("Required").uncheck()
        questions.get_by_role("button", name="Save requirements questions").click()
        expect(page.locator("#questions .setup-row")).to_have_count(4)

        faq = page.locator("#faq")
        faq.locator(".setup-row").first.get_by_role("button", name="Remove").click()
        expect(faq.locator(".setup-row")).to_have_count(0)
        faq.get_by_role("button", name="+ Add a question").click()
        faq.locator(".setup-row").first.get_by_label("Question").fill("Do you sign an NDA?")
        faq.locator(".setup-row").first.get_by_label("Answer").fill("Yes, gladly.")
        faq.get_by_role("button", name="Save faq").click()
        expect(page.locator("#faq .setup-row")).to_have_count(1)

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        small = _sign_in(phone, server, "studio@example.com", setup)
        expect(small.get_by_role("heading", level=1)).to_contain_text("Logo design")
        _fits(small, 390, shots / "gig-setup-390.png")
        small.goto(server.url(HOST, "/studio/gigs/setup/"))
        _fits(small, 390, shots / "gig-setup-list-390.png")
        small.goto(server.url(HOST, "/studio/gigs/"))
        first = small.locator("tr[data-gig-order]").first
        expect(first).to_have_attribute("data-gig-order", str(orders[0].pk))
        expect(first).to_have_class("very_late")
        _fits(small, 390, shots / "gig-queue-390.png")
        page.goto(server.url(HOST, "/studio/gigs/"))
        _fits(page, 1280, shots / "gig-queue-1280.png")
        small.goto(server.url(HOST, "/s/studio/"))
        expect(small.locator("[data-gig-stats]")).to_contain_text("Completion rate")
        _fits(small, 390, shots / "seller-stats-390.png")
        page.goto(server.url(HOST, "/s/studio/"))
        _fits(page, 1280, shots / "seller-stats-1280.png")
        browser.close()
        assert errors == []

    with django_db_blocker.unblock():
        with schema_context(tenant.schema_name):
            saved_extras = list(
                GigExtra.objects.filter(product=gig)
                .order_by("position")
                .values_list("title", "price", "days")
            )
            saved_questions = list(
                GigQuestion.objects.filter(product=gig)
                .order_by("position")
                .values_list("prompt", "kind", "is_required", "choices")
            )
            saved_faq = list(GigFaq.objects.filter(product=gig).values_list("question", "answer"))
        use_public_schema()
    assert saved_extras == [
        ("Express", 2500, 2),
        ("One more revision", 1000, 0),
        ("Print-ready files", 1235, 1),
        ("Social media kit", 1500, 1),
    ]
    assert saved_questions[-1] == ("Which format?", "choice", False, ["PNG", "SVG"])
    assert saved_faq == [("Do you sign an NDA?", "Yes, gladly.")]
