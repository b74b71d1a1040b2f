"""The operator's quality check in Chromium against a real server process: a marketplace
checks its "Design" category; two logo orders are delivered (one with a locked image, so
the buyer would get a watermarked preview) and wait in review. The operator (two factors)
opens the QC queue, sees the oldest first with its checklist and files, returns it with a
note (the seller's studio page shows the note), and approves the other and the redelivery;
the queue empties. The queue and the gig orders page fit a 390 px phone. Screenshots go
to ``$SOUK_SHOTS`` (default: the test's tmp_path)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django_tenants.utils import schema_context
from PIL import Image
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from core.catalog.models import Product
from core.commerce.models import OrderLine
from core.commerce.services import cart as carts
from core.commerce.services.checkout import CheckoutInput, pay_order, place_order
from core.commerce.services.fulfilment import fulfil_line
from core.payments.providers.sandbox import SUCCESS_CARD
from modules.gigs.models import DeliveryStatus, GigDelivery, GigOrder, OrderStatus
from modules.gigs.services import deliveries, orders, quotes
from modules.gigs.tests.helpers import make_gig
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import (  # noqa: F401
    CHROMIUM_ARGS,
    LiveServer,
    Marketplace,
    _running_server,
    chromium_executable,
    marketplace_with_operator,
    operator_code,
    page_width,
)
from tests.catalog_helpers import make_category, make_seller

SLUG = "gig-qc-market"


@pytest.fixture
def qc_marketplace(django_db_setup: None, django_db_blocker: Any) -> Iterator[Marketplace]:
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug=SLUG, name="QC Market", operator_email="op@qc.example", modules=["gigs"]
        ) as market,
    ):
        yield market


def _png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (320, 200), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def _ordered(market: Marketplace, seller: Any, gig: Product, email: str) -> GigOrder:
    buyer = make_user(market.tenant, email, full_name="Bea Buyer")
    with schema_context(market.tenant.schema_name):
        quote = quotes.create_quote(buyer=buyer, product_id=gig.pk, tier="standard", extra_ids=[])
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
        by_kind = {question["kind"]: str(question["id"]) for question in order.questions}
        answers = {by_kind["text"]: "Nordlicht", by_kind["choice"]: "Flat"}
        orders.submit_requirements(buyer=buyer, order_id=order.pk, answers=answers)
        return GigOrder.objects.get(pk=order.pk)


def _deliver(market: Marketplace, order: GigOrder, *, with_file: bool) -> None:
    with schema_context(market.tenant.schema_name):
        draft = deliveries.save_draft(
            seller_id=order.seller_id,
            order_id=order.pk,
            data=deliveries.DraftData(
                description="The logo, two colour variants",
                links=["https://files.example/logo.zip"],
                checklist_ticked=order.checklist,
            ),
        )
        if with_file:
            deliveries.attach_file(
                seller_id=order.seller_id,
                order_id=order.pk,
                delivery_id=draft.pk,
                upload=SimpleUploadedFile("final-logo.png", _png(), content_type="image/png"),
                is_locked_until_accepted=True,
            )
        deliveries.deliver(seller_id=order.seller_id, order_id=order.pk, delivery_id=draft.pk)


def _operator(
    context: BrowserContext, server: LiveServer, market: Marketplace, blocker: Any
) -> Page:
    page = context.new_page()
    page.goto(server.url(market.host, "/accounts/login/?next=/operator/gigs/qc/"))
    page.get_by_label("E-mail address").fill(market.operator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from your authenticator app").fill(operator_code(market, blocker))
    page.get_by_role("button", name="Verify and sign in").click()
    return page


def _fits(page: Page, width: int, shot: Path) -> None:
    assert page_width(page) <= width, (page.url, width)
    page.screenshot(path=str(shot), full_page=True)


def test_an_operator_returns_and_approves_deliveries_in_the_qc_queue(
    qc_marketplace: Marketplace,
    chromium_executable: str,  # noqa: F811
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    market = qc_marketplace
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        with transaction.atomic():
            set_module_enabled(
                tenant=market.tenant,
                key="gigs",
                is_enabled=True,
                config={"qc_category_slugs": ["design"]},
            )
        design = make_category(market.tenant, "Design")
        seller = make_seller(market.tenant, "studio", "Studio Nord", product_types=["gig"])
        gig = make_gig(market.tenant, seller, "Logo design")
        with schema_context(market.tenant.schema_name):
            Product.objects.filter(pk=gig.pk).update(category=design)
        first = _ordered(market, seller, gig, "bea@qc.example")
        second = _ordered(market, seller, gig, "otto@qc.example")
        _deliver(market, first, with_file=True)
        _deliver(market, second, with_file=False)
        use_public_schema()

    with (
        _running_server(market.host, tmp_path, request) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        desktop = browser.new_context(viewport={"width": 1280, "height": 900})
        page = _operator(desktop, server, market, django_db_blocker)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        expect(page.get_by_role("heading", level=1)).to_have_text("Quality check")
        cards = page.locator("article.delivery")
        expect(cards).to_have_count(2)
        oldest = cards.first
        expect(oldest).to_contain_text(f"Order #{first.pk}")
        expect(oldest).to_contain_text("final-logo.png")
        expect(oldest).to_contain_text("locked until acceptance")
        expect(oldest.locator(".checklist li.ticked")).to_have_count(len(first.checklist))
        _fits(page, 1280, shots / "gig-qc-queue-1280.png")

        oldest.get_by_label("Note to the seller").fill("The SVG is missing; attach it.")
        oldest.get_by_role("button", name="Return to the seller").click()
        expect(page.locator("body")).to_contain_text("returned to the seller with your note")
        expect(page.locator("article.delivery")).to_have_count(1)

        phone = browser.new_context(viewport={"width": 390, "height": 844})
        small = _operator(phone, server, market, django_db_blocker)
        expect(small.locator("article.delivery")).to_have_count(1)
        _fits(small, 390, shots / "gig-qc-queue-390.png")
        small.get_by_role("button", name="Approve and show the buyer").click()
        expect(small.locator("body")).to_contain_text("approved: the buyer has been told")
        expect(small.locator("body")).to_contain_text("No delivery is waiting")
        small.goto(server.url(market.host, "/operator/gigs/"))
        expect(small.locator(f'[data-gig-order="{first.pk}"]')).to_be_visible()
        _fits(small, 390, shots / "gig-operator-orders-390.png")
        small.goto(server.url(market.host, f"/operator/gigs/orders/{first.pk}/"))
        expect(small.locator(".timeline")).to_contain_text("returned to the seller")
        expect(small.locator(".timeline")).to_contain_text("The SVG is missing")
        _fits(small, 390, shots / "gig-operator-order-390.png")

        with django_db_blocker.unblock():
            _deliver(market, first, with_file=False)
            use_public_schema()
        page.goto(server.url(market.host, "/operator/gigs/qc/"))
        expect(page.locator("article.delivery")).to_have_count(1)
        page.get_by_role("button", name="Approve and show the buyer").click()
        expect(page.locator("body")).to_contain_text("No delivery is waiting")
        page.goto(server.url(market.host, "/operator/gigs/"))
        _fits(page, 1280, shots / "gig-operator-orders-1280.png")
        page.goto(server.url(market.host, f"/operator/gigs/orders/{first.pk}/"))
        _fits(page, 1280, shots / "gig-operator-order-1280.png")
        browser.close()
        assert errors == []

    with django_db_blocker.unblock():
        with schema_context(market.tenant.schema_name):
            statuses = {
                order.pk: order.status
                for order in GigOrder.objects.filter(pk__in=[first.pk, second.pk])
            }
            returned = GigDelivery.objects.get(order_id=first.pk, status=DeliveryStatus.RETURNED)
        use_public_schema()
    assert statuses == {first.pk: OrderStatus.DELIVERED, second.pk: OrderStatus.DELIVERED}
    assert returned.qc_note == "The SVG is missing; attach it."
    assert returned.qc_decided_by_id == market.operator.pk
