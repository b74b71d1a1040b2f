"""A gig order in Chromium against a real server process: the buyer (who bought the
standard package with an extra on the gig's page and paid at the checkout) answers the
requirements on the order page, the seller delivers from the studio's order page, the buyer
asks for a revision, the seller redelivers, the buyer confirms the criteria and accepts; the
seller's balance grows by the line's net. The order pages fit a 390 px phone. Screenshots go
to ``$SOUK_SHOTS`` (default: the test's tmp_path)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django_tenants.utils import schema_context
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from core.commerce.models import OrderLine
from core.commerce.services import cart as carts
from core.commerce.services.checkout import CheckoutInput, pay_order, place_order
from core.commerce.services.fulfilment import fulfil_line
from core.payments import ledger
from core.payments.providers.sandbox import SUCCESS_CARD
from modules.gigs.models import GigOrder, OrderStatus
from modules.gigs.services import deliveries, quotes
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

SLUG = "gig-browser-market"
HOST = f"{SLUG}.{settings.PLATFORM_DOMAIN}"


@pytest.fixture
def gig_marketplace(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        tenant = provision_tenant(
            slug=SLUG,
            name="Gig Market",
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


def _deliver(tenant: Tenant, order: GigOrder, link: str, blocker: Any) -> None:
    with blocker.unblock():
        with schema_context(tenant.schema_name):
            fresh = GigOrder.objects.get(pk=order.pk)
            draft = deliveries.save_draft(
                seller_id=fresh.seller_id,
                order_id=fresh.pk,
                data=deliveries.DraftData(
                    description="The logo files", links=[link], checklist_ticked=fresh.checklist
                ),
            )
            deliveries.deliver(seller_id=fresh.seller_id, order_id=fresh.pk, delivery_id=draft.pk)
        use_public_schema()


def _fits(page: Page, width: int, shot: Path) -> None:
    assert page_width(page) <= width, (page.url, width)
    page.screenshot(path=str(shot), full_page=True)


def _deliver_in_studio(studio: Page, server: LiveServer, order_id: int, link: str) -> None:
    """The seller delivers on the studio's order page: what, a link, every checklist item."""
    studio.goto(server.url(HOST, f"/studio/gigs/orders/{order_id}/"))
    studio.get_by_label("What you deliver").fill("The logo files")
    studio.get_by_label("Links (one per line)").fill(link)
    for box in studio.locator('input[name="checklist"]').all():
        box.check()
    studio.get_by_role("button", name="Deliver").click()
    expect(studio.get_by_role("status")).to_contain_text("Delivered")


def test_a_buyer_orders_a_gig_answers_asks_a_revision_and_accepts_in_chromium(
    gig_marketplace: Tenant,
    chromium_executable: str,  # noqa: F811
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    # Playwright's sync API runs an event loop; the database calls between pages are sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    tenant = gig_marketplace
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        seller = make_seller(tenant, "studio", "Studio Nord", product_types=["gig"])
        gig = make_gig(tenant, seller, "Logo design")
        buyer = make_user(tenant, "buyer@gigs.example", full_name="Bea Buyer")
        with schema_context(tenant.schema_name):
            payable = ledger.seller_payable(seller.pk)
            before = -ledger.balance(payable, "USD").amount
        use_public_schema()

    with _running_server(HOST, tmp_path, request) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        # The buyer chooses the standard package with the Express extra on the gig's page...
        page = _sign_in(context, server, buyer.email, f"/p/{gig.slug}/")
        page.on("pageerror", lambda error: errors.append(str(error)))
        expect(page.locator("[data-gig-total]")).to_have_text("100.00 USD")  # standard
        page.get_by_label("Express").check()
        expect(page.locator("[data-gig-total]")).to_have_text("125.00 USD")
        page.get_by_role("button", name="Continue").click()
        # ...and pays at the checkout with the sandbox's test card.
        expect(page).to_have_url(server.url(HOST, "/checkout/"))
        page.get_by_label("Billing country").fill("DE")
        page.get_by_label("Billing country").press("Tab")
        page.get_by_label("Card number").fill(SUCCESS_CARD)
        page.get_by_role("button", name="Place order and pay").click()
        expect(page.get_by_role("status")).to_contain_text("is paid")
        with django_db_blocker.unblock():
            with schema_context(tenant.schema_name):
                order = GigOrder.objects.get(buyer=buyer)
            use_public_schema()
        assert order.amount == 12500  # standard 100.00 + Express 25.00
        page_path = f"/gigs/orders/{order.pk}/"
        page.goto(server.url(HOST, page_path))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Logo design")
        expect(page.get_by_role("heading", level=1)).to_contain_text(
            "Waiting for your requirements"
        )

        page.get_by_label("Your brand name?").fill("Nordlicht")
        page.get_by_label("Style?").select_option("Flat")
        page.get_by_role("button", name="Send requirements").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("In progress")
        expect(page.locator(".timeline")).to_contain_text("Requirements sent")

        # The seller delivers from the studio, in a browser of their own.
        studio = _sign_in(browser.new_context(), server, "studio@example.com", "/studio/gigs/")
        studio.on("pageerror", lambda error: errors.append(str(error)))
        _deliver_in_studio(studio, server, order.pk, "https://files.example/logo.zip")
        page.reload()
        expect(page.locator('[data-delivery="1"]')).to_contain_text("logo.zip")
        _fits(page, 1280, shots / "gig-order-delivered-1280.png")
        page.get_by_label("What should change?").fill("Warmer colours, please")
        page.get_by_role("button", name="Ask for a revision").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Revision requested")

        _deliver_in_studio(studio, server, order.pk, "https://files.example/logo-2.zip")
        page.reload()
        expect(page.locator('[data-delivery="2"]')).to_contain_text("logo-2.zip")
        for box in page.locator('input[name="confirm"]').all():
            box.check()  # the acceptance criteria, confirmed one by one
        page.get_by_role("button", name="Accept and pay the seller").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Completed")
        studio.goto(server.url(HOST, f"/studio/gigs/orders/{order.pk}/"))
        expect(studio.locator("[data-confirmed]").first).to_contain_text("Confirmed by the buyer")

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        small = _sign_in(phone, server, buyer.email, page_path)
        expect(small.get_by_role("heading", level=1)).to_contain_text("Completed")
        _fits(small, 390, shots / "gig-order-390.png")
        small.goto(server.url(HOST, "/gigs/orders/"))
        expect(small.locator(f'[data-gig-order="{order.pk}"]')).to_be_visible()
        _fits(small, 390, shots / "gig-orders-390.png")
        browser.close()
        assert errors == []

    with django_db_blocker.unblock():
        with schema_context(tenant.schema_name):
            done = GigOrder.objects.get(pk=order.pk)
            after = -ledger.balance(payable, "USD").amount
            net = OrderLine.objects.get(pk=order.order_line_id).seller_net
        use_public_schema()
    assert (done.status, done.revisions_used) == (OrderStatus.COMPLETED, 1)
    assert net > 0 and after - before == net  # the line's net, once


def test_a_milestone_offer_order_shows_its_plan_and_the_chat_in_chromium(
    gig_marketplace: Tenant,
    chromium_executable: str,  # noqa: F811
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    """A seller's custom offer in three milestones, the first paid at checkout: the order
    page shows each milestone's funding and status and the completion; the buyer writes to
    the seller from the order page's chat and the message is in /messages/ too."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    tenant = gig_marketplace
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        seller = make_seller(tenant, "studio", "Studio Nord", product_types=["gig"])
        gig = make_gig(tenant, seller, "Logo design", questions=False)
        buyer = make_user(tenant, "buyer@gigs.example", full_name="Bea Buyer")
        with schema_context(tenant.schema_name):
            quote = quotes.create_milestone_offer(
                seller=seller,
                product_id=gig.pk,
                buyer_email=buyer.email,
                title="Brand identity for the launch",
                description="",
                milestones=[
                    quotes.OfferMilestone(
                        title="Research and mood boards",
                        amount=30000,
                        days=3,
                        description="Two interviews, three mood boards",
                    ),
                    quotes.OfferMilestone(title="Logo and colours", amount=50000, days=5),
                    quotes.OfferMilestone(title="Brand guide hand-off", amount=20000, days=2),
                ],
            )
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
            order = GigOrder.objects.get(order_line=line)
        use_public_schema()

    page_path = f"/gigs/orders/{order.pk}/"
    with _running_server(HOST, tmp_path, request) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = _sign_in(context, server, buyer.email, page_path)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        expect(page.get_by_role("heading", level=1)).to_contain_text("In progress")
        first = page.locator('[data-milestone="1"]')
        expect(first).to_contain_text("In progress")
        expect(first).to_contain_text("held in escrow")
        expect(page.locator('[data-milestone="2"]')).to_contain_text("not funded yet")
        expect(page.locator(".milestones-plan")).to_contain_text("0 % complete")

        page.get_by_label("Your message").fill("Can we talk about colours first?")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#chat-messages")).to_contain_text("Can we talk about colours")
        _fits(page, 1280, shots / "gig-milestones-chat-1280.png")

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        small = _sign_in(phone, server, buyer.email, page_path)
        expect(small.locator("#chat-messages")).to_contain_text("Can we talk about colours")
        _fits(small, 390, shots / "gig-milestones-chat-390.png")
        small.goto(server.url(HOST, "/messages/"))
        expect(small.locator("body")).to_contain_text("Studio Nord")
        browser.close()
        assert errors == []
