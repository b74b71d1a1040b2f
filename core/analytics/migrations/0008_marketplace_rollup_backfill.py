"""Roll up the closed days of the last four years (the longest period the operator dashboard
shows and the one before it) at deploy, so no request of a big marketplace has to: the same
statement the dashboard runs on first need (``core.analytics.marketplace.roll_up``), frozen
as it was when this was written. Idempotent: a day already rolled up is skipped. Nothing is
claimed in a schema without a journal yet."""

import datetime as dt
from typing import Any

from django.db import migrations
from django.utils import timezone

# Frozen copy of core.analytics.marketplace.ROLL_UP_SQL.
ROLL_UP_SQL = """
WITH claimed AS (
    INSERT INTO analytics_marketplaceday (day)
    SELECT d::date FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') d
    ON CONFLICT (day) DO NOTHING
    RETURNING day
), bounds AS (
    SELECT min(day)::timestamp AT TIME ZONE %(tz)s AS starts_at,
           (max(day) + 1)::timestamp AT TIME ZONE %(tz)s AS ends_before
    FROM claimed
), ledger_rows AS (
    INSERT INTO analytics_marketplaceledgerday (day, kind, account, currency, total, count)
    SELECT * FROM (
SELECT (e.created_at AT TIME ZONE %(tz)s)::date AS day, e.kind, l.account, l.currency,
       sum(l.amount) AS total, count(*) AS count
FROM payments_journalentry e JOIN payments_journalline l ON l.entry_id = e.id
WHERE e.kind = ANY(%(ledger_kinds)s)
  AND e.created_at >= (SELECT starts_at FROM bounds)
  AND e.created_at < (SELECT ends_before FROM bounds)
  AND ((l.account = %(cash)s AND e.kind = ANY(%(sale_kinds)s)) OR l.account = %(fees)s)
GROUP BY 1, 2, 3, 4
) r
    WHERE r.day IN (SELECT day FROM claimed)
    RETURNING 1
), sales_rows AS (
    INSERT INTO analytics_marketplacesalesday (day, currency, grain, key, count, units, sales)
    SELECT * FROM (
WITH paid AS (
    SELECT order_id, min(created_at) AS paid_at FROM payments_journalentry
    WHERE kind = %(capture)s AND order_id IS NOT NULL
      AND created_at >= (SELECT starts_at FROM bounds)
      AND created_at < (SELECT ends_before FROM bounds)
    GROUP BY order_id
), sold AS (
    SELECT (p.paid_at AT TIME ZONE %(tz)s)::date AS day, o.currency, l.product_type,
           coalesce(l.product_id::text, '') AS product, s.seller_id::text AS seller,
           l.order_id, l.sub_order_id, l.quantity, l.total
    FROM paid p
    JOIN commerce_order o ON o.id = p.order_id
    JOIN commerce_orderline l ON l.order_id = p.order_id
    JOIN commerce_suborder s ON s.id = l.sub_order_id
)
SELECT day, currency, 'type' AS grain, product_type AS key, count(DISTINCT order_id) AS count,
       sum(quantity) AS units, sum(total) AS sales
FROM sold GROUP BY day, currency, product_type
UNION ALL
SELECT day, currency, 'product', product, count(DISTINCT order_id), sum(quantity), sum(total)
FROM sold GROUP BY day, currency, product
UNION ALL
SELECT day, currency, 'seller', seller, count(DISTINCT sub_order_id), sum(quantity), sum(total)
FROM sold GROUP BY day, currency, seller
) r
    WHERE r.day IN (SELECT day FROM claimed)
    RETURNING 1
)
SELECT (SELECT count(*) FROM claimed), (SELECT count(*) FROM ledger_rows),
       (SELECT count(*) FROM sales_rows)
"""
WINDOW_DAYS = 2 * 731 + 1
SETTLE = dt.timedelta(hours=1)


def roll_up(apps: Any, schema_editor: Any) -> None:
    last = timezone.localtime(timezone.now() - SETTLE).date() - dt.timedelta(days=1)
    params = {
        "tz": timezone.get_current_timezone_name(),
        "ledger_kinds": ["capture", "earn", "escrow_hold", "refund"],
        "sale_kinds": ["capture", "refund"],
        "capture": "capture",
        "cash": "provider_cash",
        "fees": "platform_fees",
        "first": last - dt.timedelta(days=WINDOW_DAYS),
        "last": last,
    }
    with schema_editor.connection.cursor() as cursor:
        # A new schema (the pool's, a test's) has no journal: nothing to claim, so data loaded
        # into it later with past dates is rolled up when first needed.
        cursor.execute("SELECT EXISTS (SELECT 1 FROM payments_journalentry)")
        if cursor.fetchone()[0]:
            cursor.execute(ROLL_UP_SQL, params)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0007_marketplace_daily_rollup"),
        ("commerce", "0005_idempotentrequest_moves_to_kernel"),
        ("payments", "0003_journal_entry_kind_time"),
    ]

    operations = [migrations.RunPython(roll_up, migrations.RunPython.noop)]
