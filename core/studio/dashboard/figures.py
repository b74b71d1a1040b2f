"""The seller dashboard's figures: a handful of SQL aggregates, each over one seller's rows
through an index (``core/analytics/migrations/0002``), never over the marketplace's.

Money comes from the ledger (``core.payments.ledger``): net earnings are what the journal
credited to the seller's accounts (payable and escrow) less what refunds took back, i.e. every
seller line except the payout movements; payouts due is the payout balance itself
(``ledger.seller_balances``). Gross sales, units and refunds per product type come from the
order lines (the ledger does not split a multi-seller order's clearing by seller).

Days are UTC calendar days; a period is inclusive of both ends."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection

from core.payments import ledger
from core.payments.models import EntryKind
from core.registry import get_registry
from core.registry.enablement import enabled_module_keys
from core.studio.dashboard import cache as dashboard_cache

# Money between the marketplace and the seller's bank: not earnings.
PAYOUT_KINDS = (
    EntryKind.PAYOUT,
    EntryKind.PAYOUT_PAID,
    EntryKind.PAYOUT_FAILED,
    EntryKind.TRANSFER_REVERSAL,
)
ACTIVE_SUBSCRIPTION_STATUSES = ("trialing", "active", "past_due")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    @property
    def dates(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range(self.days)]

    @staticmethod
    def last(days: int, today: date) -> Period:
        return Period(today - timedelta(days=days - 1), today)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class TypePerformance:
    product_type: str
    label: str
    orders: int = 0
    units: int = 0
    revenue: int = 0
    refunds: int = 0
    views: int = 0
    completed_checkouts: int = 0

    @property
    def conversion_bp(self) -> int | None:
        """Completed checkouts per product page view, in basis points (None: no views)."""
        if not self.views:
            return None
        return self.completed_checkouts * 10000 // self.views


@dataclass(frozen=True)
class Funnel:
    views: int = 0
    add_to_carts: int = 0
    checkouts_started: int = 0
    checkouts_completed: int = 0


@dataclass(frozen=True)
class SellerDashboard:
    period: Period
    currency: str
    currencies: tuple[str, ...]
    gross: int
    gross_before: int
    net: int
    net_before: int
    refunds: int
    refunds_before: int
    orders: int
    orders_before: int
    active_customers: int
    active_customers_before: int
    active_subscriptions: int
    licences: int | None  # None: no module on this marketplace delivers licences
    payouts_due: int
    in_escrow: int
    types: tuple[TypePerformance, ...]
    funnel: Funnel
    net_by_day: tuple[int, ...]
    gross_by_day: tuple[int, ...]
    orders_by_type: dict[str, int] = field(default_factory=dict)


def seller_dashboard(
    *, seller_id: int, period: Period, currency: str | None, default_currency: str
) -> SellerDashboard:
    """Cached (``core.studio.dashboard.cache``); the stamp costs one index-only query."""
    key = dashboard_cache.cached_key(
        seller_id, period.start, period.end, currency or "-", default_currency
    )
    found = dashboard_cache.get(key)
    if isinstance(found, SellerDashboard):
        return found
    built = build_seller_dashboard(
        seller_id=seller_id, period=period, currency=currency, default_currency=default_currency
    )
    dashboard_cache.put(key, built)
    return built


def build_seller_dashboard(
    *, seller_id: int, period: Period, currency: str | None, default_currency: str
) -> SellerDashboard:
    previous = period.previous
    journal = _journal(seller_id, previous.start, period.end)
    balances = ledger.seller_balances(seller_id)
    currencies = _currencies(journal, balances)
    chosen = currency if currency in currencies else None
    if chosen is None:
        chosen = default_currency if default_currency in currencies or not currencies else ""
        chosen = chosen or max(currencies, key=lambda c: balances["available"].get(c, 0))
    sales = _sales(seller_id, chosen, previous.start, period.end)
    refunds = _refunds(seller_id, chosen, previous.start, period.end)
    customers_now, customers_before, orders_now, orders_before = _summary(seller_id, chosen, period)
    funnel_rows = _funnel(seller_id, period)
    labels = get_registry()

    def in_period(day: date, which: Period) -> bool:
        return which.start <= day <= which.end

    net_by_day: dict[date, int] = defaultdict(int)
    for day, kind, line_currency, amount in journal:
        if line_currency == chosen and kind not in PAYOUT_KINDS:
            net_by_day[day] += -amount
    gross_by_day: dict[date, int] = defaultdict(int)
    per_type: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, product_type, orders, units, revenue in sales:
        if in_period(day, period):
            per_type[product_type]["orders"] += orders
            per_type[product_type]["units"] += units
            per_type[product_type]["revenue"] += revenue
        gross_by_day[day] += revenue
    refunds_now = refunds_before = 0
    for day, product_type, amount in refunds:
        if in_period(day, period):
            per_type[product_type]["refunds"] += amount
            refunds_now += amount
        else:
            refunds_before += amount
    totals: dict[str, int] = defaultdict(int)
    for product_type, views, carts, started, completed in funnel_rows:
        per_type[product_type]["views"] += views
        per_type[product_type]["completed_checkouts"] += completed
        for name, value in (
            ("views", views),
            ("add_to_carts", carts),
            ("checkouts_started", started),
            ("checkouts_completed", completed),
        ):
            totals[name] += value
    types = tuple(
        TypePerformance(
            product_type=product_type,
            label=labels.product_type_label(product_type),
            **figures,
        )
        for product_type, figures in sorted(per_type.items())
    )

    def total(by_day: dict[date, int], which: Period) -> int:
        return sum(value for day, value in by_day.items() if in_period(day, which))

    return SellerDashboard(
        period=period,
        currency=chosen,
        currencies=tuple(sorted(currencies)),
        gross=total(gross_by_day, period),
        gross_before=total(gross_by_day, previous),
        net=total(net_by_day, period),
        net_before=total(net_by_day, previous),
        refunds=refunds_now,
        refunds_before=refunds_before,
        orders=orders_now,
        orders_before=orders_before,
        active_customers=customers_now,
        active_customers_before=customers_before,
        active_subscriptions=_active_subscriptions(seller_id),
        licences=_licences(seller_id),
        payouts_due=balances["available"].get(chosen, 0),
        in_escrow=balances["escrow"].get(chosen, 0),
        types=types,
        funnel=Funnel(**totals),
        net_by_day=tuple(net_by_day.get(day, 0) for day in period.dates),
        gross_by_day=tuple(gross_by_day.get(day, 0) for day in period.dates),
        orders_by_type={t.label: t.orders for t in types if t.orders},
    )


def _currencies(
    journal: list[tuple[date, str, str, int]], balances: dict[str, dict[str, int]]
) -> set[str]:
    found = {row[2] for row in journal}
    for bucket in balances.values():
        found.update(bucket)
    return found


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# The main queries, by name, so the plan test and the benchmark EXPLAIN exactly these.
# Entries are numbered in booking order: every entry of the period comes after the newest
# entry created more than an hour before the period (a booking transaction never stays open
# that long), so the seller's index range starts there instead of at their first sale.
JOURNAL_SQL = """
SELECT (e.created_at AT TIME ZONE 'UTC')::date AS day, e.kind, l.currency, SUM(l.amount)
FROM payments_journalline l JOIN payments_journalentry e ON e.id = l.entry_id
WHERE l.seller_id = %(seller)s
  AND l.entry_id > COALESCE((
      SELECT id FROM payments_journalentry WHERE created_at < %(floor)s
      ORDER BY created_at DESC LIMIT 1), 0)
  AND e.created_at >= %(since)s AND e.created_at < %(until)s
GROUP BY 1, 2, 3
"""
LONGEST_BOOKING = timedelta(hours=1)
# Sales and refunds: the per-seller copies (core.analytics.models.SellerSale/SellerRefund),
# one (seller_id, time) index range each.
SALES_SQL = """
SELECT (paid_at AT TIME ZONE 'UTC')::date AS day, product_type,
       COUNT(DISTINCT order_id), SUM(quantity), SUM(total)
FROM analytics_sellersale
WHERE seller_id = %s AND currency = %s AND paid_at >= %s AND paid_at < %s
GROUP BY 1, 2
"""
REFUNDS_SQL = """
SELECT (refunded_at AT TIME ZONE 'UTC')::date AS day, product_type, SUM(amount)
FROM analytics_sellerrefund
WHERE seller_id = %s AND currency = %s AND refunded_at >= %s AND refunded_at < %s
GROUP BY 1, 2
"""
SUMMARY_SQL = """
SELECT COUNT(DISTINCT buyer_id) FILTER (WHERE paid_at >= %(start)s),
       COUNT(DISTINCT buyer_id) FILTER (WHERE paid_at < %(start)s),
       COUNT(DISTINCT order_id) FILTER (WHERE paid_at >= %(start)s),
       COUNT(DISTINCT order_id) FILTER (WHERE paid_at < %(start)s)
FROM analytics_sellersale
WHERE seller_id = %(seller)s AND currency = %(currency)s
  AND paid_at >= %(since)s AND paid_at < %(until)s
"""
FUNNEL_SQL = """
SELECT product_type, SUM(views), SUM(add_to_carts), SUM(checkouts_started),
       SUM(checkouts_completed)
FROM analytics_productdailystats
WHERE seller_id = %s AND day >= %s AND day <= %s
GROUP BY 1
"""
LICENCES_SQL = """
SELECT COALESCE(SUM(quantity), 0) FROM analytics_sellersale
WHERE seller_id = %s AND product_type = ANY(%s)
"""


def main_queries(seller_id: int, period: Period, currency: str) -> dict[str, tuple[str, Any]]:
    """What ``bench/dashboards.py`` and the plan test EXPLAIN."""
    start, end = _moment(period.previous.start), _moment(period.end + timedelta(days=1))
    return {
        "journal": (JOURNAL_SQL, _journal_params(seller_id, start, end)),
        "sales": (SALES_SQL, [seller_id, currency, start, end]),
        "refunds": (REFUNDS_SQL, [seller_id, currency, start, end]),
        "summary": (SUMMARY_SQL, _summary_params(seller_id, currency, period)),
        "funnel": (FUNNEL_SQL, [seller_id, period.start, period.end]),
    }


def _journal_params(seller_id: int, since: datetime, until: datetime) -> dict[str, Any]:
    return {"seller": seller_id, "floor": since - LONGEST_BOOKING, "since": since, "until": until}


def _journal(seller_id: int, start: date, end: date) -> list[tuple[date, str, str, int]]:
    params = _journal_params(seller_id, _moment(start), _moment(end + timedelta(days=1)))
    with connection.cursor() as cursor:
        cursor.execute(JOURNAL_SQL, params)
        rows = cursor.fetchall()
    return [(row[0], str(row[1]), str(row[2]), int(row[3])) for row in rows]


def _sales(
    seller_id: int, currency: str, start: date, end: date
) -> list[tuple[date, str, int, int, int]]:
    rows = _rows(SALES_SQL, [seller_id, currency, _moment(start), _moment(end + timedelta(days=1))])
    return [(r[0], str(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]


def _refunds(seller_id: int, currency: str, start: date, end: date) -> list[tuple[date, str, int]]:
    rows = _rows(
        REFUNDS_SQL, [seller_id, currency, _moment(start), _moment(end + timedelta(days=1))]
    )
    return [(r[0], str(r[1]), int(r[2])) for r in rows]


def _summary_params(seller_id: int, currency: str, period: Period) -> dict[str, Any]:
    return {
        "start": _moment(period.start),
        "seller": seller_id,
        "currency": currency,
        "since": _moment(period.previous.start),
        "until": _moment(period.end + timedelta(days=1)),
    }


def _summary(seller_id: int, currency: str, period: Period) -> tuple[int, int, int, int]:
    """Active customers and orders (sub-orders: this seller's part), now and before."""
    with connection.cursor() as cursor:
        cursor.execute(SUMMARY_SQL, _summary_params(seller_id, currency, period))
        row = cursor.fetchone()
    if row is None:
        return 0, 0, 0, 0
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


def _funnel(seller_id: int, period: Period) -> list[tuple[str, int, int, int, int]]:
    rows = _rows(FUNNEL_SQL, [seller_id, period.start, period.end])
    return [(str(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]


def _active_subscriptions(seller_id: int) -> int:
    from core.subscriptions.models import Subscription

    return Subscription.objects.filter(
        seller_id=seller_id, status__in=ACTIVE_SUBSCRIPTION_STATUSES
    ).count()


def _licences(seller_id: int) -> int | None:
    """Licences sold, all time: paid units of the product types that a module on this
    marketplace delivers as a licence (counted from the seller's sales: core never asks a
    module; the licensing module's own pages show their state)."""
    registry = get_registry()
    enabled = enabled_module_keys()
    types = sorted(
        spec.key
        for manifest in registry
        if manifest.key in enabled
        for spec in manifest.product_types
        if spec.delivers == "licence"
    )
    if not types:
        return None
    rows = _rows(LICENCES_SQL, [seller_id, types])
    return int(rows[0][0]) if rows else 0
