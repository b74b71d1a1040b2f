"""A buyer and a seller chat live in Chromium, each in their own browser context, against
uvicorn serving ``core.asgi`` with the real Redis channel layer: the buyer contacts the seller
from the product page, the seller's studio page shows the buyer's next message without a
reload, "typing..." while the buyer types, and the buyer's message turns "Seen" when the
seller has it on screen. Then every conversation page at 1280 and 390 px: nothing wider than
the phone. Screenshots go to ``$SOUK_SHOTS`` (default: the test's tmp_path)."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from core.conversations import services
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    LiveServer,
    Marketplace,
    _running_server,
    committed_marketplace,  # noqa: F401  (fixture)
    operator_code,
    page_width,
)
from tests.catalog_helpers import make_product, make_seller

WIDTHS = {"desktop": 1280, "phone": 390}
# Set before any page script runs: whether this document's socket joined a topic, and a
# marker that a reload would lose.
WATCH_SUBSCRIPTIONS = (
    "document.addEventListener('souk:subscribed', function (e) {"
    "  var root = document.documentElement;"
    "  root.dataset.subscribed = (root.dataset.subscribed || '') + ' ' +"
    "    e.detail.topic + ':' + e.detail.id; });"
)


def _sign_in(context: BrowserContext, server: LiveServer, host: str, email: str, path: str) -> Page:
    page = context.new_page()
    page.goto(server.url(host, f"/accounts/login/?next={path}"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def _wait_subscribed(page: Page, conversation_id: int) -> None:
    # An attribute, not wait_for_function: the pages' CSP (script-src 'self') forbids eval.
    expect(page.locator("html")).to_have_attribute(
        "data-subscribed", re.compile(rf"\bconversation:{conversation_id}\b"), timeout=10_000
    )


def _system_message_and_report(
    market: Marketplace, conversation_id: int, seller: Any, buyer: Any
) -> None:
    try:
        with schema_context(market.tenant.schema_name):
            services.post_system_message(
                conversation_id=conversation_id, text="Order 1042 was paid"
            )
            # Something for the operators' queue to show.
            answer = services.post_message(
                conversation_id=conversation_id,
                sender_id=seller.owner_id,
                text="Pay me by bank transfer instead, it is cheaper.",
            )
            services.report_message(
                message_id=answer.pk, user_id=buyer.pk, reason="Asks to pay outside"
            )
    finally:
        connection.close()


def test_buyer_and_seller_chat_live_and_the_pages_fit_a_phone(
    committed_marketplace: Marketplace,  # noqa: F811
    chromium_executable: str,
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    market = committed_marketplace
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        seller = make_seller(market.tenant, "lantern", "Lantern Works")
        lamp = make_product(market.tenant, seller, "Brass Lamp", price=4500)
        buyer = make_user(market.tenant, "buyer@browser.example", full_name="Bea Buyer")
        use_public_schema()
    with (
        _running_server(market.host, tmp_path, request) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        errors: list[str] = []
        buyer_context = browser.new_context(viewport={"width": 1280, "height": 900})
        seller_context = browser.new_context(viewport={"width": 1280, "height": 900})
        for context in (buyer_context, seller_context):
            context.add_init_script(WATCH_SUBSCRIPTIONS)

        # The buyer contacts the seller from the product page.
        buyer_page = _sign_in(buyer_context, server, market.host, buyer.email, f"/p/{lamp.slug}/")
        buyer_page.on("pageerror", lambda error: errors.append(str(error)))
        buyer_page.get_by_role("link", name="Contact seller").click()
        buyer_page.get_by_label("Your message").fill("Hello! Does the lamp come with a bulb?")
        buyer_page.get_by_role("button", name="Send").click()
        expect(buyer_page.get_by_role("heading", level=1, name="Lantern Works")).to_be_visible()
        conversation_id = int(buyer_page.url.rstrip("/").rsplit("/", 1)[1])

        # The seller opens it in the studio; both pages follow the conversation.
        seller_page = _sign_in(
            seller_context,
            server,
            market.host,
            seller.owner.email,
            f"/studio/messages/{conversation_id}/",
        )
        seller_page.on("pageerror", lambda error: errors.append(str(error)))
        expect(seller_page.get_by_text("Does the lamp come with a bulb?")).to_be_visible()
        _wait_subscribed(seller_page, conversation_id)
        _wait_subscribed(buyer_page, conversation_id)
        seller_page.evaluate("window.__notReloaded = true")

        # The buyer types (the seller sees it), then sends with Enter.
        compose = buyer_page.get_by_label("Your message")
        compose.fill("And can it be shipped to Lisbon")
        compose.press_sequentially("?", delay=20)
        expect(seller_page.locator("#chat-typing")).to_contain_text("Bea Buyer is typing")
        compose.press("Enter")
        expect(buyer_page.locator("#chat-messages")).to_contain_text("shipped to Lisbon?")

        # ... and it appears on the seller's page without a reload.
        expect(seller_page.locator("#chat-messages")).to_contain_text(
            "And can it be shipped to Lisbon?", timeout=10_000
        )
        assert seller_page.evaluate("window.__notReloaded === true")
        # The seller had it on screen: the buyer's messages say "Seen", live.
        expect(buyer_page.locator(".chat-message.mine [data-receipt]").last).to_have_text(
            "Seen", timeout=10_000
        )

        # The seller answers; the buyer's page shows it live too.
        buyer_page.evaluate("window.__notReloaded = true")
        reply = seller_page.get_by_label("Your message")
        reply.fill("Yes, a warm LED bulb, and we ship to Portugal.")
        seller_page.get_by_role("button", name="Send").click()
        expect(buyer_page.locator("#chat-messages")).to_contain_text(
            "we ship to Portugal", timeout=10_000
        )
        assert buyer_page.evaluate("window.__notReloaded === true")
        # The buyer talks to the shop, whoever of its team answers.
        expect(buyer_page.locator(".chat-message.theirs .sender").first).to_have_text(
            "Lantern Works"
        )
        # Souk writes a system message (as an order event would), from another thread: this
        # one runs Playwright's event loop, where the after-commit push cannot run.
        with django_db_blocker.unblock():
            worker = threading.Thread(
                target=_system_message_and_report, args=(market, conversation_id, seller, buyer)
            )
            worker.start()
            worker.join()
            use_public_schema()
        expect(seller_page.locator("#chat-messages")).to_contain_text("Order 1042 was paid")
        expect(buyer_page.locator("#chat-messages")).to_contain_text("Order 1042 was paid")
        # Contact details are masked in what the seller receives (the buyer has not paid).
        compose.fill("Or mail me: b e a at gmail dot com")
        compose.press("Enter")
        expect(seller_page.locator("#chat-messages")).to_contain_text(
            "Or mail me: [contact hidden]", timeout=10_000
        )
        assert "gmail" not in seller_page.locator("#chat-messages").inner_text()
        assert not errors, errors
        buyer_context.close()
        seller_context.close()

        # Every page at desktop and phone widths.
        for label, width in WIDTHS.items():
            buyer_view = browser.new_context(viewport={"width": width, "height": 900})
            page = _sign_in(buyer_view, server, market.host, buyer.email, "/messages/")
            expect(page.get_by_role("heading", level=1, name="Messages")).to_be_visible()
            assert page_width(page) <= width
            page.screenshot(path=str(shots / f"chat-buyer-inbox-{label}.png"), full_page=True)
            page.goto(server.url(market.host, f"/messages/{conversation_id}/"))
            expect(page.locator("#chat-messages")).to_contain_text("Portugal")
            assert page_width(page) <= width
            page.screenshot(path=str(shots / f"chat-buyer-conversation-{label}.png"))
            page.goto(server.url(market.host, f"/p/{lamp.slug}/"))
            expect(page.get_by_role("link", name="Contact seller")).to_be_visible()
            buyer_view.close()

            seller_view = browser.new_context(viewport={"width": width, "height": 900})
            page = _sign_in(
                seller_view, server, market.host, seller.owner.email, "/studio/messages/"
            )
            expect(page.get_by_role("heading", level=1, name="Messages")).to_be_visible()
            assert page_width(page) <= width
            page.screenshot(path=str(shots / f"chat-studio-inbox-{label}.png"), full_page=True)
            page.goto(server.url(market.host, f"/studio/messages/{conversation_id}/"))
            expect(page.locator("#chat-messages")).to_contain_text("Portugal")
            assert page_width(page) <= width
            page.screenshot(path=str(shots / f"chat-studio-conversation-{label}.png"))
            seller_view.close()

            operator_view = browser.new_context(viewport={"width": width, "height": 900})
            page = _sign_in(
                operator_view,
                server,
                market.host,
                market.operator.email,
                "/operator/messages/reports/",
            )
            code = operator_code(market, django_db_blocker)
            page.get_by_label("Code from your authenticator app").fill(code)
            page.get_by_role("button", name="Verify and sign in").click()
            expect(page.get_by_role("heading", level=1, name="Reported messages")).to_be_visible()
            expect(page.get_by_text("Asks to pay outside")).to_be_visible()
            assert page_width(page) <= width
            page.screenshot(path=str(shots / f"chat-operator-reports-{label}.png"), full_page=True)
            operator_view.close()
        browser.close()
