"""The studio dashboard in Debian's Chromium: a teammate without ``view_analytics`` is refused
(403) and the owner sees the figures with every chart drawn by Chart.js, at desktop and phone
widths. With ``SOUK_SCREENSHOTS=1`` the screenshots are saved as
``docs/screenshots/studio-dashboard-{desktop,mobile}.png``.

The marketplace is stocked with a month of sales made through the API (then moved back in
time, journal included, as if they had happened over the month), a refund, a payout and the
analytics aggregates a month of visitors would have left."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db.models import F
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import Page, expect, sync_playwright

from core.analytics.models import ProductDailyStats, TrafficSourceDaily
from core.commerce.models import Order
from core.commerce.services.refunds import LineRefund, refund_order
from core.sellers.models import Seller, TeamMember
from tenants.models import Tenant, TenantModule
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import PASSWORD, call, make_user, sign_in
from tests.browser.conftest import CHROMIUM_ARGS, Marketplace, _running_server, page_width
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import add, bearer_client, checkout

OWNER = "lena@northwind.example"
PACKER = "packer@northwind.example"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


def _client(tenant: Any) -> Client:
    return Client(HTTP_HOST=f"{tenant.slug}.{settings.PLATFORM_DOMAIN}")


def stock_a_month_of_sales(tenant: Any) -> Seller:
    """The seller Northwind Apps: three products, ~45 orders over 30 days from a dozen
    buyers (some with another seller's product), one refund, one payout, and visitors."""
    rng = random.Random(14)
    TenantModule.objects.update_or_create(tenant=tenant, key="beta", defaults={"is_enabled": True})
    # A new revision of the tenant's modules, as the service makes: servers read it anew.
    Tenant.objects.filter(pk=tenant.pk).update(modules_revision=F("modules_revision") + 1)
    use_public_schema()
    owner = make_user(tenant, OWNER, full_name="Lena Berg")
    with schema_context(tenant.schema_name):
        seller = Seller.objects.create(
            owner=owner,
            slug="northwind",
            business_name="Northwind Apps",
            legal_form="company",
            verification_status="verified",
            product_type_grants=["service", "software"],
        )
    use_public_schema()
    products = [
        make_product(tenant, seller, "Northwind Notes Pro", price=4900),
        make_product(tenant, seller, "Northwind Sync (team)", price=12900),
        make_product(
            tenant, seller, "Setup consultation (1 h)", price=9000, product_type="service"
        ),
    ]
    other = make_seller(tenant, "quill", "Quill Fonts")
    other_product = make_product(tenant, other, "Quill Serif", price=2500)
    buyers = [
        make_user(tenant, f"buyer{n}@northwind.example", full_name=f"Buyer {n}") for n in range(12)
    ]
    use_public_schema()
    # Each order is placed on its own day (time-machine moves the clock), so the orders, the
    # ledger and the analytics rows agree as they would have; the refund comes on the day of
    # the newest order.
    plan = sorted((min(int(rng.expovariate(1 / 11)), 29) for _ in range(46)), reverse=True)
    now = timezone.now()
    newest: int | None = None
    for days_ago in plan:
        client = bearer_client(lambda t: _client(t), tenant, rng.choice(buyers))
        product = rng.choices(products, [6, 2, 1])[0]
        quantity = rng.choice([1, 1, 1, 2])
        shared = rng.random() < 0.2
        with time_machine.travel(now - timedelta(days=days_ago, minutes=5), tick=False):
            add(client, product, quantity)
            if shared:
                add(client, other_product)
            response = checkout(client)
        assert response.status_code == 201, response.content
        newest = response.json()["id"]
    assert newest is not None
    with schema_context(tenant.schema_name):
        refunded = Order.objects.filter(pk=newest).first()
        assert refunded is not None
        line = refunded.lines.first()
        assert line is not None
        with time_machine.travel(now - timedelta(days=plan[-1], minutes=1), tick=False):
            refund_order(
                order_id=refunded.pk,
                lines=[LineRefund(line_id=line.pk)],
                reason="Bought by mistake",
                idempotency_key="fixture-refund",
                actor=None,
                actor_label="operator",
            )
        stats, sources = [], []
        today = timezone.now().date()
        for offset in range(30):
            day = today - timedelta(days=offset)
            for product, base in zip(products, (140, 60, 25), strict=True):
                views = int(base * rng.uniform(0.6, 1.3))
                carts = int(views * rng.uniform(0.08, 0.16))
                started = int(carts * rng.uniform(0.5, 0.8))
                completed = int(started * rng.uniform(0.55, 0.85))
                stats.append(
                    ProductDailyStats(
                        day=day,
                        product_id=product.pk,
                        seller_id=seller.pk,
                        product_type=product.product_type,
                        views=views,
                        add_to_carts=carts,
                        checkouts_started=started,
                        checkouts_completed=completed,
                    )
                )
                for host, source, medium, campaign, share in (
                    ("", "", "", "", 0.4),
                    ("google.com", "", "", "", 0.3),
                    ("", "newsletter", "email", "winter-sale", 0.2),
                    ("news.ycombinator.com", "", "", "", 0.1),
                ):
                    sources.append(
                        TrafficSourceDaily(
                            day=day,
                            product_id=product.pk,
                            seller_id=seller.pk,
                            referrer_host=host,
                            utm_source=source,
                            utm_medium=medium,
                            utm_campaign=campaign,
                            views=max(1, int(views * share)),
                        )
                    )
        ProductDailyStats.objects.bulk_create(stats)
        TrafficSourceDaily.objects.bulk_create(sources)
        packer = make_user(tenant, PACKER, full_name="Pat Packer")
        TeamMember.objects.create(seller=seller, user=packer, permissions=["process_orders"])
    use_public_schema()
    seller_client = _client(tenant)
    assert sign_in(seller_client, OWNER).status_code == 200
    call(
        seller_client,
        "post",
        "/seller/payouts/account",
        {"return_url": "https://x.example/done", "refresh_url": "https://x.example/again"},
    )
    payout = call(
        seller_client,
        "post",
        "/seller/payouts",
        {"currency": "USD", "amount": 50000},
        **{"Idempotency-Key": "fixture-payout"},
    )
    assert payout.status_code == 201, payout.content
    use_public_schema()
    return seller


@pytest.fixture
def stocked_marketplace(committed_marketplace: Marketplace, django_db_blocker: Any) -> Marketplace:
    with django_db_blocker.unblock():
        stock_a_month_of_sales(committed_marketplace.tenant)
        use_public_schema()
    return committed_marketplace


@pytest.fixture
def dashboard_server(
    stocked_marketplace: Marketplace, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Any]:
    with _running_server(stocked_marketplace.host, tmp_path, request) as server:
        yield server


def browser_sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_owner_sees_drawn_charts_and_a_teammate_without_view_analytics_is_refused(
    chromium_executable, stocked_marketplace, dashboard_server, tmp_path
):
    url = lambda path: dashboard_server.url(stocked_marketplace.host, path)  # noqa: E731
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        errors: list[str] = []

        packer = browser.new_context().new_page()
        packer.set_default_timeout(15_000)
        browser_sign_in(packer, url("/accounts/login/?next=/studio/"), PACKER)
        response = packer.goto(url("/studio/"))
        assert response is not None and response.status == 403
        expect(packer.get_by_text("needs the team permission “View analytics”")).to_be_visible()
        packer.context.close()

        for name, viewport in (
            ("desktop", {"width": 1280, "height": 900}),
            ("mobile", {"width": 390, "height": 844}),
        ):
            context = browser.new_context(viewport=viewport)
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "console",
                lambda message: errors.append(message.text) if message.type == "error" else None,
            )
            browser_sign_in(page, url("/accounts/login/?next=/studio/"), OWNER)
            expect(page.get_by_role("heading", level=1, name="Dashboard")).to_be_visible()
            expect(page.locator('[data-kpi="gross-sales"] .kpi-value')).not_to_have_text("0.00 USD")
            for chart in ("revenue", "orders-by-type", "funnel"):
                expect(page.locator(f"#chart-{chart} canvas")).to_be_visible()
            # Chart.js is a deferred script: wait until it has drawn the three charts.
            # (A locator, not wait_for_function: the page's CSP forbids the eval it polls with.)
            expect(page.locator("figure[data-chart][data-drawn]")).to_have_count(3)
            assert page.evaluate("typeof window.Chart") == "function"
            width = page_width(page)
            assert width <= viewport["width"], f"{name}: the page is {width}px wide"
            shot = tmp_path / f"studio-dashboard-{name}.png"
            page.screenshot(path=str(shot), full_page=True)
            if os.environ.get("SOUK_SCREENSHOTS"):
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, SCREENSHOTS / shot.name)
            context.close()
        browser.close()
    # Chromium reports the COOP header as ignored on a plain-HTTP test origin; not a page error.
    assert [error for error in errors if "Cross-Origin-Opener-Policy" not in error] == []
