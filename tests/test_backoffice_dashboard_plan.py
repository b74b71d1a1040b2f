"""The dashboard's queries read only the chosen period: with two years of journal behind it,
PostgreSQL plans the ledger and the sold-lines queries through the journal entry's
(kind, created_at) index, never a scan of the whole journal."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.commerce.models import Order, OrderLine, SubOrder
from core.payments.models import JournalEntry, JournalLine
from tenants.backoffice.insights.figures import ledger_queryset, period_span, sold_lines_queryset
from tenants.backoffice.insights.periods import last_days
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


def _plan(sql: str, params: tuple[Any, ...]) -> str:
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
        with CaptureQueriesContext(connection) as span_queries:
            span = period_span(period)
        ledger_sql, ledger_params = ledger_queryset(
            period.previous.starts_at, period.ends_before, span
        ).query.sql_with_params()
        sold_sql, sold_params = sold_lines_queryset(period, "USD", span).query.sql_with_params()
        span_plan = _plan(span_queries.captured_queries[0]["sql"], ())
        ledger_plan = _plan(ledger_sql, ledger_params)
        sold_plan = _plan(sold_sql, sold_params)

    entry = JournalEntry._meta.db_table
    assert span.first_entry is not None and span.first_order is not None
    for plan in (span_plan, ledger_plan, sold_plan):
        # Through an index on the entry's time (journal_entry_kind_time, or another helper's
        # index on created_at when the planner prefers it), never the whole journal.
        through_index = rf"(Index (Only )?Scan (using \S+ )?|Bitmap Heap Scan )on {entry}\b"
        assert re.search(through_index, plan), plan
        assert f"Seq Scan on {entry}" not in plan, plan
    for table in (Order, OrderLine):
        assert f"Seq Scan on {table._meta.db_table}" not in sold_plan, sold_plan
    # The lines are reached through their entry, not by reading every line of the journal.
    assert f"Seq Scan on {JournalLine._meta.db_table}" not in ledger_plan, ledger_plan
