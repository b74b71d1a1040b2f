"""The notification centre, its settings and the operator's page in Chromium (served by the
ASGI app, as in production), at 1280 and 390 px: nothing wider than the phone, critical types
locked, and the bell counts up live when a notification is written (over the WebSocket,
souk-live.js's ``souk:notification.new``). Screenshots go to ``$SOUK_SHOTS`` (default: the
test's tmp_path)."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect, sync_playwright

from core.notifications.services import notify
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD, make_user
from tests.browser.conftest import (
    CHROMIUM_ARGS,
    Marketplace,
    _running_server,
    committed_marketplace,  # noqa: F401  (fixture)
    operator_code,
    page_width,
)

WIDTHS = {"desktop": 1280, "phone": 390}


def _shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _three_notifications(market: Marketplace, user_id: int) -> None:
    with schema_context(market.tenant.schema_name):
        for title, body in (
            ("Your order 1042 is paid", "Thanks! Your receipt is attached to the e-mail."),
            ("New message from Lantern Works", "Hi! The brass lamp ships on Monday."),
            ("Refund of €12.00 for order 1038", "The money is on its way to your card."),
        ):
            notify(user_ids=[user_id], type_key="orders.paid", title=title, body=body, url="/")
    use_public_schema()


def _wait_until_connected(page: Page) -> None:
    """Polled from here: the pages' CSP forbids the eval wait_for_function would need."""
    for _ in range(100):
        if page.evaluate("() => !!(window.SoukLive && window.SoukLive.isConnected())"):
            return
        page.wait_for_timeout(100)
    raise AssertionError("souk-live.js did not connect")


def _notify_one(market: Marketplace, user_id: int, title: str) -> None:
    with schema_context(market.tenant.schema_name):
        notify(user_ids=[user_id], type_key="chat.message", title=title, url="/notifications/")
    use_public_schema()


def _in_a_thread(work: Any) -> None:
    """Playwright's event loop runs in this thread; the channel layer needs its own."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # reported to the test below
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not failures, failures


def test_notification_pages_fit_a_phone_and_the_bell_follows_live_events(
    committed_marketplace: Marketplace,  # noqa: F811
    chromium_executable: str,
    django_db_blocker: Any,
    tmp_path: Path,
    request: Any,
    monkeypatch: Any,
) -> None:
    # Notifications are written between the page visits, while Playwright's loop runs.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    market = committed_marketplace
    shots = Path(os.environ.get("SOUK_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        buyer = make_user(market.tenant, "buyer@browser.example")
        use_public_schema()
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "core.settings.test")
    with (
        _running_server(
            market.host,
            tmp_path,
            request,
            {"DJANGO_SETTINGS_MODULE": settings_module},
        ) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        for label, width in WIDTHS.items():
            with django_db_blocker.unblock():
                _three_notifications(market, buyer.pk)
            page = browser.new_page(viewport={"width": width, "height": 900})
            errors: list[str] = []

            def keep(error: Any, seen: list[str] = errors) -> None:
                seen.append(str(error))

            page.on("pageerror", keep)
            page.goto(server.url(market.host, "/accounts/login/?next=/notifications/"))
            page.get_by_label("E-mail address").fill(buyer.email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", level=1, name="Notifications")).to_be_visible()
            bell = page.locator("[data-notification-bell] [data-unread-count]")
            expect(bell).to_have_text("3")
            assert page_width(page) <= width
            _shot(page, shots, f"notifications-centre-{label}")
            # A notification written now arrives over the WebSocket (souk-live.js).
            _wait_until_connected(page)
            with django_db_blocker.unblock():
                _in_a_thread(lambda: _notify_one(market, buyer.pk, "Lantern Works replied"))
            expect(bell).to_have_text("4")
            expect(page.locator("[data-notification-live]")).to_be_visible()

            page.goto(server.url(market.host, "/notifications/preferences/"))
            locked = page.locator('input[name="orders.refunded:email"]')
            expect(locked).to_be_checked()
            expect(locked).to_be_disabled()
            assert page_width(page) <= width
            _shot(page, shots, f"notifications-preferences-{label}")
            page.goto(server.url(market.host, "/notifications/"))
            page.get_by_role("button", name="Mark all read").click()
            expect(bell).to_be_hidden()
            assert not [e for e in errors if "souk-live" not in e], errors
            page.context.close()

            operator = browser.new_page(viewport={"width": width, "height": 900})
            operator.goto(server.url(market.host, "/accounts/login/?next=/operator/notifications/"))
            operator.get_by_label("E-mail address").fill(market.operator.email)
            operator.get_by_label("Password").fill(PASSWORD)
            operator.get_by_role("button", name="Sign in").click()
            code = operator_code(market, django_db_blocker)
            operator.get_by_label("Code from your authenticator app").fill(code)
            operator.get_by_role("button", name="Verify and sign in").click()
            expect(operator.get_by_role("heading", level=1, name="Notifications")).to_be_visible()
            expect(operator.locator("[data-vapid-public-key]")).to_have_value(
                re.compile(r"^[A-Za-z0-9_-]{87}$")
            )
            operator.get_by_role("button", name="Send me a test notification").click()
            sent = "1" if label == "desktop" else "2"  # one test notification per round
            expect(operator.locator("[data-notification-bell] [data-unread-count]")).to_have_text(
                sent
            )
            assert page_width(operator) <= width
            _shot(operator, shots, f"notifications-operator-{label}")
            operator.context.close()
        browser.close()
