"""Over random sequences of orders (with tax, several sellers), partial refunds and payouts, the
marketplace dashboard's GMV, refunds, commission and take rate equal the ledger and the sales
report to the cent, and the cached figures are never older than the last booking."""

from __future__ import annotations

import itertools

import pytest
from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings

from core.commerce.models import TaxRule
from core.commerce.reports import sales_report
from core.payments import ledger
from core.payments.models import EntryKind, JournalLine
from tenants.backoffice.insights.figures import compute_figures, marketplace_figures, ratio_bp
from tenants.backoffice.insights.periods import last_days
from tests.accounts_helpers import signed_in_operator
from tests.commerce_helpers import bearer_client, ledger_totals, make_shop
from tests.trade_scenarios import Trade, steps

_sellers = itertools.count(1)


@pytest.fixture
def market(tenant_a, client_for):
    shop = make_shop(tenant_a)
    with schema_context(tenant_a.schema_name):
        TaxRule.objects.create(country="DE", region="", product_type="", name="VAT", rate_bp=1900)
    operator, _ = signed_in_operator(client_for, tenant_a)
    buyer = bearer_client(client_for, tenant_a, shop.buyer)
    return shop, operator, buyer


def ledger_says(tenant):
    """The journal, read without the dashboard's code: cash in and out for sales, and fees."""
    with schema_context(tenant.schema_name):
        cash = JournalLine.objects.filter(account=ledger.PROVIDER_CASH, currency="USD")

        def total(queryset):
            return int(queryset.aggregate(total=Sum("amount"))["total"] or 0)

        return {
            "gmv": total(cash.filter(entry__kind=EntryKind.CAPTURE)),
            "refunds": -total(cash.filter(entry__kind=EntryKind.REFUND)),
            "commission": -total(
                JournalLine.objects.filter(account=ledger.PLATFORM_FEES, currency="USD")
            ),
        }


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps(max_size=6))
def test_dashboard_money_equals_the_ledger_and_the_sales_report_to_the_cent(
    market, client_for, django_capture_on_commit_callbacks, sequence
):
    shop, operator, buyer = market
    tenant = shop.tenant
    trade = Trade.open(shop, operator, buyer, client_for, f"mkt{next(_sellers)}")
    period = last_days(7)
    for step in sequence:
        trade.play(step, django_capture_on_commit_callbacks)
        with schema_context(tenant.schema_name):
            cached = marketplace_figures(period=period, currency="USD")
            fresh = compute_figures(period=period, currency="USD")
        assert cached == fresh

    expected = ledger_says(tenant)
    today = timezone.localdate()
    with schema_context(tenant.schema_name):
        figures = compute_figures(period=period, currency="USD")
        rows = sales_report(date_from=today, date_to=today, currency="USD")
    now = figures.current
    assert (now.gmv, now.refunds, now.commission) == (
        expected["gmv"],
        expected["refunds"],
        expected["commission"],
    )
    assert now.gmv == sum(row.gross for row in rows)
    assert now.refunds == sum(row.refunded for row in rows)
    assert now.commission == sum(row.net_commission for row in rows)
    assert now.take_rate_bp == ratio_bp(
        expected["commission"], expected["gmv"] - expected["refunds"]
    )
    assert sum(figures.gmv_by_day) == now.gmv and sum(figures.refunds_by_day) == now.refunds
    assert sum(row.sales for row in figures.by_type) == now.gmv
    assert ledger_totals(tenant) in ({"USD": 0}, {})
