"""A dispute in Chromium, three browser contexts against uvicorn serving ``core.asgi``: the
buyer opens a dispute on a paid, escrowed line from the order page; the seller sees it in the
studio; an operator decides a split on the back-office page (the form checks the total as it
is typed); the buyer and the seller both see the decision (live over the socket when the page
joined the dispute's topic, else after a reload). Then every dispute page at 1280 and 390 px:
nothing wider than the phone. Screenshots go to ``$SOUK_SHOTS`` (default: the test's
tmp_path)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from core.commerce.models import LineStatus, OrderLine
from core.commerce.services import cart as carts
from core.commerce.services.checkout import CheckoutInput, pay_order, place_order
from core.commerce.services.fulfilment import fulfil_line
from core.disputes.models import Dispute
from core.payments import ledger
from core.payments.providers.sandbox import SUCCESS_CARD
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    LiveServer,
    Marketplace,
    _running_server,
    marketplace_with_operator,
    operator_code,
    page_width,
)
from tests.catalog_helpers import make_product, make_seller

WIDTHS = {"desktop": 1280, "phone": 390}
SLUG = "dispute-market"
WATCH_SUBSCRIPTIONS = (
    "window.__soukSubscribed = [];"
    "document.addEventListener('souk:subscribed', function (e) {"
    "  window.__soukSubscribed.push(e.detail.topic + ':' + e.detail.id); });"
)


@pytest.fixture
def dispute_marketplace(django_db_setup: None, django_db_blocker: Any) -> Iterator[Marketplace]:
    """A marketplace selling services (held in escrow) with an operator on two-factor."""
    with (
        django_db_blocker.unblock(),
        marketplace_with_operator(
            slug=SLUG,
            name="Dispute Market",
            operator_email="op@dispute.example",
            modules=["alpha", "beta"],
        ) as market,
    ):
        yield market


def _sign_in(context: BrowserContext, server: LiveServer, host: str, email: str, path: str) -> Page:
    page = context.new_page()
    page.goto(server.url(host, f"/accounts/login/?next={path}"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def _operator(
    context: BrowserContext, server: LiveServer, market: Marketplace, path: str, blocker: Any
):
    page = _sign_in(context, server, market.host, market.operator.email, path)
    page.get_by_label("Code from your authenticator app").fill(operator_code(market, blocker))
    page.get_by_role("button", name="Verify and sign in").click()
    return page


def _fits(page: Page, width: int, shot: Path) -> None:
    assert page_width(page) <= width, (page.url, width)
    page.screenshot(path=str(shot), full_page=True)


def _sees_decision(page: Page, dispute_id: int) -> str:
    """'live' when the decision arrived without a reload, else 'reload'."""
    subscribed = page.evaluate(
        f"(window.__soukSubscribed || []).indexOf('dispute:{dispute_id}') >= 0"
    )
    if subscribed:
        expect(page.locator("[data-decision]")).to_be_visible(timeout=10_000)
        assert page.evaluate("window.__notReloaded === true")
        how = "live"
    else:
        page.reload()
        how = "reload"
    decision = page.locator("[data-decision]")
    expect(decision).to_be_visible()
    expect(decision.locator("[data-refund]")).to_contain_text("60.00")
    expect(decision.locator("[data-release]")).to_contain_text("30.00")
    expect(decision.locator("[data-compensation]")).to_contain_text("5.00")
    expect(page.locator("[data-dispute-status]")).to_have_text("Resolved")
    return how


def test_buyer_opens_a_dispute_and_an_operator_decides_a_split_both_see_it(
    dispute_marketplace: Marketplace,
    chromium_executable: str,
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    market = dispute_marketplace
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        consultant = make_seller(
            market.tenant, "sage", "Sage Advice", product_types=("software", "service")
        )
        audit = make_product(
            market.tenant, consultant, "Security Audit", price=10_000, product_type="service"
        )
        buyer = make_user(market.tenant, "buyer@dispute.example", full_name="Bea Buyer")
        with schema_context(market.tenant.schema_name):
            cart = carts.get_or_create_cart(buyer=buyer, token=None)
            carts.add_product(cart=cart, product_id=audit.pk, quantity=1)
            order = place_order(
                buyer=buyer,
                cart=cart,
                details=CheckoutInput(country="DE"),
                idempotency_key=uuid.uuid4().hex,
            )
            pay_order(order=order, payment_method=SUCCESS_CARD)
            line = OrderLine.objects.get(order=order)
            if line.status == LineStatus.FULFILLING:
                fulfil_line(line_id=line.pk)
            assert -ledger.balance(ledger.escrow(line.pk), "USD").amount == 9000
        use_public_schema()
    with (
        _running_server(market.host, tmp_path, request, {"DEBUG": "1"}) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        errors: list[str] = []
        buyer_context = browser.new_context(viewport={"width": 1280, "height": 900})
        seller_context = browser.new_context(viewport={"width": 1280, "height": 900})
        operator_context = browser.new_context(viewport={"width": 1280, "height": 900})
        for context in (buyer_context, seller_context, operator_context):
            context.add_init_script(WATCH_SUBSCRIPTIONS)

        # The buyer opens a dispute from the order's page.
        buyer_page = _sign_in(
            buyer_context, server, market.host, buyer.email, f"/account/orders/{order.pk}/"
        )
        buyer_page.on("pageerror", lambda error: errors.append(str(error)))
        buyer_page.get_by_role("link", name="Open a dispute").click()
        expect(buyer_page.get_by_role("heading", level=1, name="Open a dispute")).to_be_visible()
        buyer_page.get_by_label("Quality").check()
        buyer_page.get_by_label("Tell the seller what happened").fill(
            "The audit report covers only half of the systems we agreed on."
        )
        buyer_page.get_by_role("button", name="Open the dispute").click()
        expect(buyer_page.locator("[data-dispute-status]")).to_have_text("Waiting for the seller")
        expect(buyer_page.locator("[data-frozen]")).to_contain_text("90.00")
        dispute_id = int(buyer_page.url.rstrip("/").rsplit("/", 1)[1])
        with django_db_blocker.unblock():
            with schema_context(market.tenant.schema_name):
                assert Dispute.objects.get(pk=dispute_id).order_line_id == line.pk
            use_public_schema()

        # The seller sees it in the studio and answers.
        seller_page = _sign_in(
            seller_context,
            server,
            market.host,
            consultant.owner.email,
            f"/studio/disputes/{dispute_id}/",
        )
        seller_page.on("pageerror", lambda error: errors.append(str(error)))
        expect(seller_page.get_by_text("covers only half of the systems")).to_be_visible()
        seller_page.get_by_label("Add a comment").fill("We audited every system listed.")
        seller_page.get_by_role("button", name="Post").click()
        expect(seller_page.get_by_text("We audited every system listed.")).to_be_visible()

        buyer_page.reload()
        for page in (buyer_page, seller_page):
            page.wait_for_timeout(1500)  # give the socket a moment to join the topic
            page.evaluate("window.__notReloaded = true")

        # An operator decides: 60 back to the buyer, 30 to the seller, 5 from the platform.
        op_page = _operator(
            operator_context, server, market, f"/operator/disputes/{dispute_id}/", django_db_blocker
        )
        op_page.on("pageerror", lambda error: errors.append(str(error)))
        expect(op_page.get_by_role("heading", name="Decide")).to_be_visible()
        op_page.get_by_label("Refund to the buyer (USD)").fill("60.00")
        check = op_page.locator("[data-split-check]")
        expect(check).to_contain_text("30.00 USD left to split")
        expect(op_page.locator("[data-split-submit]")).to_be_disabled()
        op_page.get_by_label("Release to the seller (USD)").fill("30.00")
        op_page.get_by_label("Compensation by the platform (USD)").fill("5.00")
        expect(check).to_contain_text("Buyer gets 65.00 USD, seller 30.00 USD")
        op_page.get_by_label("Note to both parties").fill("Partly delivered; goodwill 5.00.")
        op_page.screenshot(path=str(shots / "dispute-operator-resolve-desktop.png"), full_page=True)
        op_page.get_by_role("button", name="Record the decision").click()
        expect(op_page.locator("[data-dispute-status]")).to_have_text("Resolved")

        how = {
            "buyer": _sees_decision(buyer_page, dispute_id),
            "seller": _sees_decision(seller_page, dispute_id),
        }
        request.node.add_report_section("call", "decision seen", repr(how))
        with django_db_blocker.unblock():
            with schema_context(market.tenant.schema_name):
                assert -ledger.balance(ledger.escrow(line.pk), "USD").amount == 0
                assert -ledger.balance(ledger.seller_payable(consultant.pk), "USD").amount == 3000
                assert OrderLine.objects.get(pk=line.pk).refunded_amount == 6500
            use_public_schema()
        assert not errors, errors

        # Every dispute page at desktop and phone widths (the same signed-in contexts).
        for label, width in WIDTHS.items():
            for page in (buyer_page, seller_page, op_page):
                page.set_viewport_size({"width": width, "height": 900})
            buyer_page.goto(server.url(market.host, "/disputes/"))
            expect(buyer_page.get_by_role("heading", level=1, name="Your disputes")).to_be_visible()
            _fits(buyer_page, width, shots / f"dispute-buyer-list-{label}.png")
            buyer_page.goto(server.url(market.host, f"/disputes/{dispute_id}/"))
            expect(buyer_page.locator("[data-decision]")).to_be_visible()
            _fits(buyer_page, width, shots / f"dispute-buyer-detail-{label}.png")
            buyer_page.goto(server.url(market.host, f"/account/orders/{order.pk}/"))
            expect(buyer_page.get_by_role("link", name="Open a dispute")).to_be_visible()
            _fits(buyer_page, width, shots / f"dispute-buyer-order-{label}.png")

            seller_page.goto(server.url(market.host, "/studio/disputes/"))
            expect(seller_page.get_by_role("heading", level=1, name="Disputes")).to_be_visible()
            _fits(seller_page, width, shots / f"dispute-studio-list-{label}.png")
            seller_page.goto(server.url(market.host, f"/studio/disputes/{dispute_id}/"))
            expect(seller_page.locator("[data-decision]")).to_be_visible()
            _fits(seller_page, width, shots / f"dispute-studio-detail-{label}.png")

            op_page.goto(server.url(market.host, "/operator/disputes/?status=all"))
            expect(op_page.get_by_role("heading", level=1, name="Disputes")).to_be_visible()
            _fits(op_page, width, shots / f"dispute-operator-list-{label}.png")
            op_page.goto(server.url(market.host, f"/operator/disputes/{dispute_id}/"))
            expect(op_page.locator("[data-decision]")).to_be_visible()
            _fits(op_page, width, shots / f"dispute-operator-detail-{label}.png")
        assert not errors, errors
        browser.close()
