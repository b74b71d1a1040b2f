"""Over random sequences of orders (some shared with another seller), partial refunds and
payouts, the dashboard's money figures equal the ledger and the payout balance to the cent,
and the cached dashboard never shows figures older than the last booking."""

from __future__ import annotations

import itertools

import pytest
from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings

from core.commerce.models import OrderLine, RefundLine
from core.payments import ledger
from core.payments.models import JournalLine
from core.payments.services.payouts import available_balance
from core.studio.dashboard.figures import (
    PAYOUT_KINDS,
    Period,
    build_seller_dashboard,
    seller_dashboard,
)
from tests.accounts_helpers import call, signed_in_operator
from tests.commerce_helpers import bearer_client, ledger_totals, make_shop
from tests.trade_scenarios import Trade, steps

_sellers = itertools.count(1)


@pytest.fixture
def market(tenant_a, client_for):
    shop = make_shop(tenant_a)
    operator, _ = signed_in_operator(client_for, tenant_a)
    buyer = bearer_client(client_for, tenant_a, shop.buyer)
    return shop, operator, buyer


def seller_figures(tenant, seller_id):
    """What the orders and the ledger say, each computed without the dashboard's code."""
    with schema_context(tenant.schema_name):
        lines = OrderLine.objects.filter(
            sub_order__seller_id=seller_id, order__paid_at__isnull=False
        )
        sold = lines.aggregate(gross=Sum("total"), seller=Sum("seller_net"))
        refunds = RefundLine.objects.filter(order_line__sub_order__seller_id=seller_id).aggregate(
            amount=Sum("amount"), seller=Sum("seller_amount")
        )
        paid_out = JournalLine.objects.filter(
            seller_id=seller_id, entry__kind__in=PAYOUT_KINDS, currency="USD"
        ).aggregate(total=Sum("amount"))["total"]
        balances = ledger.seller_balances(seller_id)
    return {
        "gross": int(sold["gross"] or 0),
        "earned_by_orders": int(sold["seller"] or 0) - int(refunds["seller"] or 0),
        "refunds": int(refunds["amount"] or 0),
        "available": balances["available"].get("USD", 0),
        "escrow": balances["escrow"].get("USD", 0),
        "in_transit": balances["in_transit"].get("USD", 0),
        "paid_out": int(paid_out or 0),
    }


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=steps(max_size=7))
def test_dashboard_money_equals_the_ledger_and_the_payout_balance_to_the_cent(
    market, client_for, django_capture_on_commit_callbacks, sequence
):
    shop, operator, buyer = market
    tenant = shop.tenant
    trade = Trade.open(shop, operator, buyer, client_for, f"prop{next(_sellers)}")
    seller, owner = trade.seller, trade.owner
    period = Period.last(7, timezone.now().date())
    for step in sequence:
        trade.play(step, django_capture_on_commit_callbacks)
        # After every step the cached dashboard shows what a fresh build shows.
        with schema_context(tenant.schema_name):
            cached = seller_dashboard(
                seller_id=seller.pk, period=period, currency="USD", default_currency="USD"
            )
            fresh = build_seller_dashboard(
                seller_id=seller.pk, period=period, currency="USD", default_currency="USD"
            )
        assert cached == fresh

    expected = seller_figures(tenant, seller.pk)
    with schema_context(tenant.schema_name):
        board = build_seller_dashboard(
            seller_id=seller.pk, period=period, currency="USD", default_currency="USD"
        )
        payout_balance = available_balance(seller.pk, "USD")
    api_balance = call(owner, "get", "/seller/payouts/balance").json()["available"]

    assert board.payouts_due == payout_balance == expected["available"]
    assert {b["currency"]: b["amount"] for b in api_balance}.get("USD", 0) == payout_balance
    assert board.gross == expected["gross"]
    assert board.refunds == expected["refunds"]
    assert board.net == expected["earned_by_orders"]
    # Earnings are what the seller is owed, holds in escrow, has in transit or was paid.
    assert board.net == (
        expected["available"] + expected["escrow"] + expected["in_transit"] + expected["paid_out"]
    )
    assert sum(board.net_by_day) == board.net
    assert sum(board.gross_by_day) == board.gross
    assert sum(t.revenue for t in board.types) == board.gross
    assert sum(t.refunds for t in board.types) == board.refunds
    assert ledger_totals(tenant) in ({"USD": 0}, {})
