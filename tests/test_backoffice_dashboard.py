"""The marketplace dashboard (/operator/): operators only; GMV, refunds, commission and take
rate equal the ledger to the cent and agree with the sales report; another marketplace's sales
never show; the page is a few queries cold and fewer cached."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from core.commerce.reports import sales_report
from core.payments import ledger
from tenants.backoffice.insights.figures import compute_figures, marketplace_figures
from tenants.backoffice.insights.periods import last_days
from tests.backoffice_helpers import assert_refused, operator, paid_order, refund, refusals
from tests.commerce_helpers import account_balance, make_shop


@pytest.fixture
def shop(tenant_a):
    cache.clear()
    return make_shop(tenant_a)


def page(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_only_operators_with_two_factor_see_the_dashboard(shop, client_for):
    assert_refused(refusals(client_for, shop.tenant, shop, "/operator/"), "/operator/")
    body = page(operator(client_for, shop.tenant).get("/operator/"))
    assert "<h1>Marketplace dashboard</h1>" in body
    assert 'aria-current="page">Dashboard</a>' in body


def test_gmv_commission_and_take_rate_equal_the_ledger_after_orders_and_refunds(
    shop, client_for, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first = paid_order(client_for, shop, capture, shop.editor, shop.scanner)  # 20.00 + 15.00
    paid_order(client_for, shop, capture, shop.editor)  # 20.00
    staff = operator(client_for, shop.tenant)
    line = first["lines"][0]["id"]
    assert refund(staff, first["id"], {"lines": [{"line_id": line, "amount": 500}]}, capture)
    cache.clear()

    with schema_context(shop.tenant.schema_name):
        figures = compute_figures(period=last_days(30), currency="USD")
    cash = account_balance(shop.tenant, ledger.PROVIDER_CASH)
    fees = -account_balance(shop.tenant, ledger.PLATFORM_FEES)
    assert (figures.current.gmv, figures.current.refunds) == (5500, 500)
    assert figures.current.net_gmv == cash == 5000
    # 10 % of 55.00, less 10 % of the 5.00 refunded.
    assert figures.current.commission == fees == 550 - 50
    assert figures.current.take_rate_bp == 1000
    assert figures.current.refund_rate_bp == 909  # 5.00 / 55.00
    assert figures.current.orders == 2
    assert sum(figures.gmv_by_day) == 5500 and sum(figures.refunds_by_day) == 500

    body = page(staff.get("/operator/"))
    assert "55.00 USD" in body and "5.00 USD" in body and "5.00 USD refunded" in body
    assert "10.00 %" in body  # the take rate
    assert "Disputes arrive with the disputes feature." in body


def test_dashboard_agrees_with_the_sales_report(
    shop, client_for, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    order = paid_order(client_for, shop, capture, shop.editor, shop.scanner)
    paid_order(client_for, shop, capture, shop.scanner)
    refund(operator(client_for, shop.tenant), order["id"], {"reason": "all of it"}, capture)
    today = timezone.localdate()

    with schema_context(shop.tenant.schema_name):
        figures = compute_figures(period=last_days(7), currency="USD")
        rows = sales_report(date_from=today, date_to=today, currency="USD")
    assert figures.current.gmv == sum(row.gross for row in rows) == 5000
    assert figures.current.refunds == sum(row.refunded for row in rows) == 3500
    assert figures.current.commission == sum(row.net_commission for row in rows) == 150
    assert figures.current.orders == 2
    sellers = {row.name: (row.count, row.sales) for row in figures.top_sellers}
    assert sellers == {"Bolt Software": (2, 3000), "Acme Tools": (1, 2000)}
    assert [(row.name, row.count, row.sales) for row in figures.top_products] == [
        ("Secure Scanner", 2, 3000),
        ("Swift Editor", 1, 2000),
    ]
    assert [(row.product_type, row.orders, row.sales) for row in figures.by_type] == [
        ("software", 2, 5000)
    ]


def test_the_previous_period_is_compared(shop, client_for, django_capture_on_commit_callbacks):
    paid_order(client_for, shop, django_capture_on_commit_callbacks, shop.editor)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with schema_context(shop.tenant.schema_name):
        later = compute_figures(period=last_days(1, today=tomorrow), currency="USD")
    assert (later.current.gmv, later.previous.gmv) == (0, 2000)
    assert later.previous.orders == 1 and later.previous_gmv_by_day == [2000]


def test_another_marketplace_sees_none_of_these_sales(
    shop, tenant_b, client_for, django_capture_on_commit_callbacks
):
    paid_order(client_for, shop, django_capture_on_commit_callbacks, shop.editor)
    page(operator(client_for, shop.tenant).get("/operator/"))  # cached for tenant A
    body = page(operator(client_for, tenant_b).get("/operator/"))
    assert "20.00 USD" not in body and "Swift Editor" not in body
    assert "No sales in this period yet." in body
    with schema_context(tenant_b.schema_name):
        assert compute_figures(period=last_days(30), currency="USD").current.gmv == 0


def test_a_payment_shows_at_the_next_load_though_the_figures_are_cached(
    shop, client_for, django_capture_on_commit_callbacks
):
    staff = operator(client_for, shop.tenant)
    assert "Swift Editor" not in page(staff.get("/operator/"))
    paid_order(client_for, shop, django_capture_on_commit_callbacks, shop.editor)
    assert "Swift Editor" in page(staff.get("/operator/"))


def test_a_bad_period_answers_field_errors_and_shows_the_default(shop, client_for):
    staff = operator(client_for, shop.tenant)
    body = page(staff.get("/operator/", {"period": "custom", "date_from": "2026-02-10"}))
    assert "Choose the last day." in body
    body = page(staff.get("/operator/", {"date_from": "2026-03-10", "date_to": "2026-03-01"}))
    assert "The period ends before it starts." in body
    assert last_days(30).label in body
    body = page(staff.get("/operator/", {"period": "7d"}))
    assert last_days(7).label in body


def test_dashboard_queries_are_pinned_cold_and_cached(
    shop, client_for, django_capture_on_commit_callbacks
):
    staff = operator(client_for, shop.tenant)
    staff.get("/operator/")  # warm the session
    counts = []
    for orders in (1, 4):
        while len(counts) < orders:
            paid_order(client_for, shop, django_capture_on_commit_callbacks, shop.editor)
            counts.append(0)
        # A new payment changed the figures' key: the next load computes them.
        with CaptureQueriesContext(connection) as cold:
            page(staff.get("/operator/", {"period": "90d"}))
        with CaptureQueriesContext(connection) as cached:
            page(staff.get("/operator/", {"period": "90d"}))
        # The figures: span, ledger, buyers, sellers, types, top products, top sellers. Cached,
        # only the one-row key query is left; the rest is the page's session and navigation.
        assert len(cold) - len(cached) == FIGURE_QUERIES
        assert len(cached) <= PAGE_QUERIES, [q["sql"][:60] for q in cached]


def test_cached_figures_are_kept_per_marketplace(shop, tenant_b):
    period = last_days(30)
    with schema_context(shop.tenant.schema_name):
        first = marketplace_figures(period=period, currency="USD")
    with schema_context(tenant_b.schema_name):
        other = marketplace_figures(period=period, currency="USD")
    assert first is not other and first.new_sellers == 2 and other.new_sellers == 0


FIGURE_QUERIES = 7
# session, user, 2FA device, the key, nav and footer (the card's checklist is cached)
PAGE_QUERIES = 9


def test_a_new_marketplace_sees_its_getting_started_card_on_the_dashboard(shop, client_for):
    body = page(operator(client_for, shop.tenant).get("/operator/"))
    assert 'id="start-card-title"' in body and 'href="/operator/start/"' in body


def test_the_cached_getting_started_card_is_each_marketplaces_own(shop, tenant_b, client_for):
    """The card's checklist is cached per marketplace: a marketplace with verified sellers
    never shows another's progress, nor the other way round."""
    import re

    def done(tenant):
        body = page(operator(client_for, tenant).get("/operator/"))
        found = re.search(r"Getting started: (\d) of 7 done", body)
        assert found is not None, body[:200]
        return int(found.group(1))

    with_sellers = done(shop.tenant)  # cached first
    empty = done(tenant_b)
    assert with_sellers > empty
    assert done(shop.tenant) == with_sellers  # from the cache, still its own
