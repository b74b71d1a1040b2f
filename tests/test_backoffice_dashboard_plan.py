"""The dashboard's queries read only what they need: with two years of journal behind it,
PostgreSQL plans the daily rollup's statement and the live part of the ledger and sold-lines
queries through the journal entry's (kind, created_at) index, never a scan of the whole
journal, and reads the closed days from the rollup through its index."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.analytics import marketplace
from core.analytics.models import MarketplaceDay, MarketplaceLedgerDay, MarketplaceSalesDay
from core.analytics.tasks import roll_up_marketplace_days
from core.commerce.models import Order, OrderLine, SubOrder
from core.payments import ledger
from core.payments.models import JournalEntry, JournalLine
from tenants.backoffice.insights.figures import compute_figures
from tenants.backoffice.insights.periods import LONGEST_DAYS, last_days
from tests.accounts_helpers import make_user
from tests.catalog_helpers import make_product, make_seller

HISTORY = 60_000  # entries over two years: ~80 a day, ~2,500 in a 30-day period


def _fill_journal(buyer_id: int, seller_id: int, product_id: int) -> None:
    entry, line = JournalEntry._meta.db_table, JournalLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Order._meta.db_table} (id, buyer_id, email, currency, status, subtotal,"
            " discount_total, tax_total, total, commission_total, refunded_total,"
            " prices_include_tax, billing_country, billing_region, billing_name, discount_code,"
            " provider, idempotency_key, created_at, paid_at)"
            " SELECT n, %s, 'b@example.com', 'USD', 'completed', 1000, 0, 0, 1000, 100, 0,"
            " false, 'DE', '', '', '', 'sandbox', 'bench:' || n,"
            " now() - (n * interval '730 days' / %s), now() - (n * interval '730 days' / %s)"
            " FROM generate_series(1, %s) AS n",
            [buyer_id, HISTORY, HISTORY, HISTORY],
        )
        cursor.execute(
            f"INSERT INTO {SubOrder._meta.db_table} (id, order_id, seller_id, status, subtotal,"
            " discount_total, tax_total, total, commission_total, seller_net)"
            " SELECT n, n, %s, 'completed', 1000, 0, 0, 1000, 100, 900"
            " FROM generate_series(1, %s) AS n",
            [seller_id, HISTORY],
        )
        cursor.execute(
            f"INSERT INTO {OrderLine._meta.db_table} (order_id, sub_order_id, product_id,"
            " product_type, title, quantity, unit_amount, subtotal, discount_amount, tax_rate_bp,"
            " tax_name, tax_amount, total, commission_rate_bp, commission_amount, seller_net,"
            " is_escrow, status, refunded_amount)"
            " SELECT n, n, %s, 'software', 'Editor', 1, 1000, 1000, 0, 0, '', 0, 1000, 1000,"
            " 100, 900, false, 'completed', 0 FROM generate_series(1, %s) AS n",
            [product_id, HISTORY],
        )
        cursor.execute(
            f"INSERT INTO {entry} (kind, reference, order_id, memo, created_at) "
            "SELECT (ARRAY['capture','earn','refund','payout'])[1 + n %% 4], 'bench:' || n, n, '',"
            " now() - (n * interval '730 days' / %s) FROM generate_series(1, %s) AS n",
            [HISTORY, HISTORY],
        )
        cursor.execute(
            f"INSERT INTO {line} (entry_id, account, seller_id, currency, amount) "
            "SELECT id, side.account, NULL, 'USD', side.sign * 1000 FROM "
            f"{entry} CROSS JOIN (VALUES ('provider_cash', 1), ('platform_fees', -1))"
            " AS side(account, sign) WHERE reference LIKE 'bench:%%'"
        )
        for table in (entry, line, Order._meta.db_table, SubOrder._meta.db_table):
            cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"ANALYZE {OrderLine._meta.db_table}")


def _plan(sql: str, params: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db(transaction=False)
def test_the_dashboard_reads_the_period_through_the_journal_entry_time_index(tenant_a):
    with schema_context(tenant_a.schema_name):
        seller = make_seller(tenant_a, "acme")
        product = make_product(tenant_a, seller, "Editor")
        _fill_journal(make_user(tenant_a, "b@example.com").pk, seller.pk, product.pk)
        period = last_days(30)
        first, last = period.previous.first_day, period.last_day
        with CaptureQueriesContext(connection) as rolled:
            marketplace.roll_up(first_day=first, last_day=last, window_days=2 * LONGEST_DAYS)
        roll_up_sql = next(q["sql"] for q in rolled.captured_queries if "INSERT" in q["sql"])
        with connection.cursor() as cursor:
            for table in (MarketplaceDay, MarketplaceLedgerDay, MarketplaceSalesDay):
                cursor.execute(f"ANALYZE {table._meta.db_table}")
        # Rolled up again: nothing left to do, one count of the days.
        with CaptureQueriesContext(connection) as again:
            marketplace.roll_up(first_day=first, last_day=last, window_days=2 * LONGEST_DAYS)
        assert len(again) == 1 and "INSERT" not in again.captured_queries[0]["sql"]
        roll_up_plan = _plan(roll_up_sql, None)
        window = marketplace._window(first, last)
        ledger_plan = _plan(marketplace.LEDGER_SQL, marketplace._params(**window))
        sales_plan = _plan(
            marketplace.SALES_SQL,
            marketplace._params(currency="USD", **marketplace._window(period.first_day, last)),
        )

    entry = JournalEntry._meta.db_table
    for plan in (roll_up_plan, ledger_plan, sales_plan):
        # Through an index on the entry's time (journal_entry_kind_time, or another helper's
        # index on created_at when the planner prefers it), never the whole journal.
        through_index = rf"(Index (Only )?Scan (using \S+ )?|Bitmap Heap Scan )on {entry}\b"
        assert re.search(through_index, plan), plan
        assert f"Seq Scan on {entry}" not in plan, plan
        for table in (Order, OrderLine, JournalLine):
            assert f"Seq Scan on {table._meta.db_table}" not in plan, plan
    # The closed days come from the rollup, read through its (day, ...) index.
    for plan, table in ((ledger_plan, MarketplaceLedgerDay), (sales_plan, MarketplaceSalesDay)):
        assert f"Seq Scan on {table._meta.db_table}" not in plan, plan


@pytest.mark.django_db(transaction=False)
def test_figures_from_the_daily_rollup_equal_the_journal_over_closed_days(tenant_a):
    with schema_context(tenant_a.schema_name):
        seller = make_seller(tenant_a, "acme")
        product = make_product(tenant_a, seller, "Editor")
        _fill_journal(make_user(tenant_a, "b@example.com").pk, seller.pk, product.pk)
        period = last_days(30)
        figures = compute_figures(period=period, currency="USD")
        again = compute_figures(period=period, currency="USD")  # all closed days rolled up
        assert MarketplaceDay.objects.filter(day__lt=period.first_day).exists()

        def cash(kind: str, starts_at: Any, ends_before: Any) -> int:
            lines = JournalLine.objects.filter(
                account=ledger.PROVIDER_CASH,
                entry__kind=kind,
                entry__created_at__gte=starts_at,
                entry__created_at__lt=ends_before,
            )
            return int(lines.aggregate(total=Sum("amount"))["total"] or 0)

        def fees(starts_at: Any, ends_before: Any) -> int:
            lines = JournalLine.objects.filter(
                account=ledger.PLATFORM_FEES,
                entry__kind__in=["capture", "earn", "escrow_hold", "refund"],
                entry__created_at__gte=starts_at,
                entry__created_at__lt=ends_before,
            )
            return -int(lines.aggregate(total=Sum("amount"))["total"] or 0)

        now, before = period, period.previous
        captured = JournalEntry.objects.filter(
            kind="capture", created_at__gte=now.starts_at, created_at__lt=now.ends_before
        ).values("order_id")
        sold = OrderLine.objects.filter(order_id__in=captured).aggregate(
            sales=Sum("total"), units=Sum("quantity")
        )

        assert again == figures
        current, previous = figures.current, figures.previous
        assert current.gmv == cash("capture", now.starts_at, now.ends_before) > 0
        assert current.refunds == -cash("refund", now.starts_at, now.ends_before) != 0
        assert current.commission == fees(now.starts_at, now.ends_before)
        assert previous.gmv == cash("capture", before.starts_at, before.ends_before) > 0
        assert previous.refunds == -cash("refund", before.starts_at, before.ends_before)
        assert previous.commission == fees(before.starts_at, before.ends_before)
        assert sum(figures.gmv_by_day) == current.gmv
        assert [(row.sales, row.units) for row in figures.by_type] == [
            (sold["sales"], sold["units"])
        ]
        assert figures.top_products[0].sales == sold["sales"]
        assert figures.top_sellers[0].sales == sold["sales"]


@pytest.mark.django_db(transaction=False)
def test_the_nightly_task_rolls_up_the_day_that_closed(tenant_a):
    with schema_context(tenant_a.schema_name):
        roll_up_marketplace_days()
        newest = marketplace.last_closed_day()
        days = set(MarketplaceDay.objects.values_list("day", flat=True))
    assert days == {newest - dt.timedelta(days=n) for n in range(7)}
