"""The marketplace's daily rollup for the operator dashboard: per closed day, the journal sums it
shows (``MarketplaceLedgerDay``) and the paid lines per product type, product and seller
(``MarketplaceSalesDay``).

A day is closed once it ended more than ``SETTLE`` ago: journal entries are only appended,
stamped with the time they are booked, so a closed day's sums never change. The dashboard rolls
up the closed days it needs that are not rolled up yet (one statement, claiming each day once
in ``MarketplaceDay``, reading the journal through its (kind, created_at) index) and reads them
with the days still open computed live from the journal by the very same SELECT, so a figure is
the same whichever way it was summed; at 1M orders a period costs a few hundred rollup rows
instead of every line of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.utils import timezone

from core.analytics.models import MarketplaceDay, MarketplaceLedgerDay, MarketplaceSalesDay
from core.payments import ledger
from core.payments.models import EntryKind, JournalEntry, JournalLine

# How long after its end a day's bookings are taken as final (a transaction stamped before
# midnight may commit a little later).
SETTLE = dt.timedelta(hours=1)
SALE_KINDS = [EntryKind.CAPTURE.value, EntryKind.REFUND.value]
LEDGER_KINDS = sorted(
    {*SALE_KINDS, EntryKind.EARN.value, EntryKind.ESCROW_HOLD.value, EntryKind.REFUND.value}
)

_ENTRY = JournalEntry._meta.db_table
_LINE = JournalLine._meta.db_table
_DAYS = MarketplaceDay._meta.db_table
_LEDGER_DAY = MarketplaceLedgerDay._meta.db_table
_SALES_DAY = MarketplaceSalesDay._meta.db_table

# The dashboard's journal sums per day, entry kind, account and currency between two instants.
LEDGER_SELECT = f"""
SELECT (e.created_at AT TIME ZONE %(tz)s)::date AS day, e.kind, l.account, l.currency,
       sum(l.amount) AS total, count(*) AS count
FROM {_ENTRY} e JOIN {_LINE} l ON l.entry_id = e.id
WHERE e.kind = ANY(%(ledger_kinds)s)
  AND e.created_at >= {{starts_at}} AND e.created_at < {{ends_before}}
  AND ((l.account = %(cash)s AND e.kind = ANY(%(sale_kinds)s)) OR l.account = %(fees)s)
GROUP BY 1, 2, 3, 4
"""

# The lines of the orders captured between two instants, per day and currency: distinct
# orders, units and sales per product type and per product; sub-orders and sales per seller.
SALES_SELECT = f"""
WITH paid AS (
    SELECT order_id, min(created_at) AS paid_at FROM {_ENTRY}
    WHERE kind = %(capture)s AND order_id IS NOT NULL
      AND created_at >= {{starts_at}} AND created_at < {{ends_before}}
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
"""

_CLAIMED = "(SELECT starts_at FROM bounds)", "(SELECT ends_before FROM bounds)"
_LIVE = "%(live_from)s", "%(live_until)s"

ROLL_UP_SQL = f"""
WITH claimed AS (
    INSERT INTO {_DAYS} (day)
    SELECT d::date FROM generate_series(%(first)s::date, %(last)s::date, interval '1 day') d
    ON CONFLICT (day) DO NOTHING
    RETURNING day
), bounds AS (
    SELECT min(day)::timestamp AT TIME ZONE %(tz)s AS starts_at,
           (max(day) + 1)::timestamp AT TIME ZONE %(tz)s AS ends_before
    FROM claimed
), ledger_rows AS (
    INSERT INTO {_LEDGER_DAY} (day, kind, account, currency, total, count)
    SELECT * FROM ({LEDGER_SELECT.format(starts_at=_CLAIMED[0], ends_before=_CLAIMED[1])}) r
    WHERE r.day IN (SELECT day FROM claimed)
    RETURNING 1
), sales_rows AS (
    INSERT INTO {_SALES_DAY} (day, currency, grain, key, count, units, sales)
    SELECT * FROM ({SALES_SELECT.format(starts_at=_CLAIMED[0], ends_before=_CLAIMED[1])}) r
    WHERE r.day IN (SELECT day FROM claimed)
    RETURNING 1
)
SELECT (SELECT count(*) FROM claimed), (SELECT count(*) FROM ledger_rows),
       (SELECT count(*) FROM sales_rows)
"""

LEDGER_SQL = f"""
SELECT day, kind, account, currency, total, count FROM {_LEDGER_DAY}
WHERE day >= %(first)s AND day <= %(last_closed)s
UNION ALL
{LEDGER_SELECT.format(starts_at=_LIVE[0], ends_before=_LIVE[1])}
"""

SALES_SQL = f"""
SELECT grain, key, sum(count), sum(units), sum(sales) FROM (
    SELECT grain, key, count, units, sales FROM {_SALES_DAY}
    WHERE day >= %(first)s AND day <= %(last_closed)s AND currency = %(currency)s
    UNION ALL
    SELECT grain, key, count, units, sales
    FROM ({SALES_SELECT.format(starts_at=_LIVE[0], ends_before=_LIVE[1])}) live
    WHERE currency = %(currency)s
) r
GROUP BY grain, key
"""


def last_closed_day(now: dt.datetime | None = None) -> dt.date:
    """The newest day whose bookings are final."""
    return timezone.localtime((now or timezone.now()) - SETTLE).date() - dt.timedelta(days=1)


def _params(**extra: Any) -> dict[str, Any]:
    return {
        "tz": timezone.get_current_timezone_name(),
        "ledger_kinds": LEDGER_KINDS,
        "sale_kinds": SALE_KINDS,
        "capture": EntryKind.CAPTURE.value,
        "cash": ledger.PROVIDER_CASH,
        "fees": ledger.PLATFORM_FEES,
        **extra,
    }


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def roll_up(*, first_day: dt.date, last_day: dt.date, window_days: int = 0) -> None:
    """Make sure the closed days from ``first_day`` to ``last_day`` are rolled up: one count of
    the rolled-up days when they are (no statement when none is closed); otherwise one
    statement rolls up every closed day not rolled up yet back to ``window_days`` before the
    last closed one (so the next periods looked at find theirs done too)."""
    newest = last_closed_day()
    last_day = min(last_day, newest)
    if last_day < first_day:
        return
    done = MarketplaceDay.objects.filter(day__gte=first_day, day__lte=last_day).count()
    if done == (last_day - first_day).days + 1:
        return
    first_day = min(first_day, newest - dt.timedelta(days=window_days))
    with connection.cursor() as cursor:
        cursor.execute(ROLL_UP_SQL, _params(first=first_day, last=newest))


def _window(first_day: dt.date, last_day: dt.date) -> dict[str, Any]:
    """The rolled-up days of a period and the instants of its days still open."""
    last_closed = min(last_day, last_closed_day())
    live_from = _midnight(max(first_day, last_closed + dt.timedelta(days=1)))
    live_until = max(live_from, _midnight(last_day + dt.timedelta(days=1)))
    return {
        "first": first_day,
        "last_closed": last_closed,
        "live_from": live_from,
        "live_until": live_until,
    }


def ledger_by_day(
    *, first_day: dt.date, last_day: dt.date
) -> list[tuple[dt.date, str, str, str, int, int]]:
    """``(day, kind, account, currency, total, count)`` of the journal lines the dashboard
    reads, from ``first_day`` to ``last_day`` (run :func:`roll_up` first)."""
    with connection.cursor() as cursor:
        cursor.execute(LEDGER_SQL, _params(**_window(first_day, last_day)))
        rows = cursor.fetchall()
    return [
        (day, kind, account, currency, int(total), int(count))
        for day, kind, account, currency, total, count in rows
    ]


def sales_by_grain(
    *, first_day: dt.date, last_day: dt.date, currency: str
) -> list[tuple[str, str, int, int, int]]:
    """``(grain, key, count, units, sales)`` of the lines of the orders captured from
    ``first_day`` to ``last_day`` in ``currency`` (run :func:`roll_up` first)."""
    with connection.cursor() as cursor:
        cursor.execute(SALES_SQL, _params(currency=currency, **_window(first_day, last_day)))
        rows = cursor.fetchall()
    return [
        (grain, key, int(count), int(units), int(sales)) for grain, key, count, units, sales in rows
    ]
