"""The marketplace dashboard's figures for a period and the one before it.

Money comes from the ledger (``core/payments/ledger.py``), the source of truth:

- **GMV**: what buyers paid, tax included: the ``provider_cash`` debits of ``capture`` entries;
- **refunds**: the ``provider_cash`` credits of ``refund`` entries;
- **commission**: the net credit to ``platform_fees`` (earned at fulfilment or on capture for
  escrowed lines, given back by refunds);
- **take rate**: commission / (GMV - refunds); **refund rate**: refunds / GMV.

Orders are the ``capture`` entries (one per paid order), so the same journal sums count
them. The sums come per day from ``core.analytics.marketplace``: the closed days from its daily
rollup (rolled up from the journal on first need, through the entry's (kind, created_at) index),
the days still open live from the journal by the same SELECT, so a period costs a few hundred
rollup rows however many orders it holds. Top products, sellers and product types come the
same way from the lines of the orders captured in the period. The result is cached per tenant
(the cache key function prefixes the schema) under a key holding the newest journal entry, user
and seller ids, so a payment, refund, sign-up or new seller shows at the next load; the time-to-live
bounds what a transaction committing out of id order could hide."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate

from core.accounts.models import Role, User
from core.analytics import marketplace
from core.catalog.models import Product
from core.payments import ledger
from core.payments.models import EntryKind, JournalEntry
from core.registry import get_registry
from core.sellers.models import Seller
from tenants.backoffice.insights.periods import LONGEST_DAYS, Period

CACHE_SECONDS = 300
TOP = 5


@dataclass
class Totals:
    gmv: int = 0
    refunds: int = 0
    commission: int = 0
    orders: int = 0

    @property
    def net_gmv(self) -> int:
        return self.gmv - self.refunds

    @property
    def take_rate_bp(self) -> int | None:
        return ratio_bp(self.commission, self.net_gmv)

    @property
    def refund_rate_bp(self) -> int | None:
        return ratio_bp(self.refunds, self.gmv)


@dataclass(frozen=True)
class TypeRow:
    product_type: str
    label: str
    orders: int
    units: int
    sales: int


@dataclass(frozen=True)
class TopRow:
    name: str
    detail: str
    count: int
    sales: int


@dataclass
class Figures:
    period: Period
    currency: str
    current: Totals
    previous: Totals
    # Sales in other currencies in the period (shown beside, never added to the main one).
    other_currencies: dict[str, Totals]
    new_buyers: int
    new_sellers: int
    previous_new_buyers: int
    previous_new_sellers: int
    days: list[dt.date]
    gmv_by_day: list[int]
    previous_gmv_by_day: list[int]  # day n of the previous period beside day n of this one
    refunds_by_day: list[int]
    orders_by_day: list[int]
    buyers_by_day: list[int]
    sellers_by_day: list[int]
    by_type: list[TypeRow] = field(default_factory=list)
    top_products: list[TopRow] = field(default_factory=list)
    top_sellers: list[TopRow] = field(default_factory=list)


def ratio_bp(part: int, whole: int) -> int | None:
    """``part / whole`` in basis points, rounded half up; None when there is no whole."""
    if whole <= 0:
        return None
    return (part * 20_000 + whole) // (2 * whole)


def figures_key(*, period: Period, currency: str) -> str:
    """The cache key of a period's figures: it moves with every new journal entry, user or
    seller (one round trip), so whatever is cached under it (the figures, the rendered
    dashboard) is as fresh as the figures."""
    return f"backoffice:dashboard:v1:{period.first_day}:{period.last_day}:{currency}:{_watermark()}"


def marketplace_figures(*, period: Period, currency: str, key: str | None = None) -> Figures:
    key = key or figures_key(period=period, currency=currency)
    figures = cache.get(key)
    if isinstance(figures, Figures):
        return figures
    figures = compute_figures(period=period, currency=currency)
    cache.set(key, figures, CACHE_SECONDS)
    return figures


def _watermark() -> str:
    """The newest journal entry, user and seller: any new one changes the cache key. Three
    backward index scans of one row each, in one round trip."""
    tables = [model._meta.db_table for model in (JournalEntry, User, Seller)]
    sql = "SELECT " + ", ".join(f"(SELECT max(id) FROM {table})" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return ".".join(str(value or 0) for value in row or ())


def compute_figures(*, period: Period, currency: str) -> Figures:
    previous = period.previous
    days = period.each_day()
    # Closed days come from the daily rollup (core.analytics.marketplace), rolled up on first
    # need; the days still open are summed live from the journal by the same SELECT.
    marketplace.roll_up(
        first_day=previous.first_day, last_day=period.last_day, window_days=2 * LONGEST_DAYS
    )
    money = marketplace.ledger_by_day(first_day=previous.first_day, last_day=period.last_day)
    current_totals: dict[str, Totals] = defaultdict(Totals)
    previous_totals = Totals()
    gmv_by_day: dict[dt.date, int] = defaultdict(int)
    refunds_by_day: dict[dt.date, int] = defaultdict(int)
    orders_by_day: dict[dt.date, int] = defaultdict(int)
    previous_gmv_by_day: dict[dt.date, int] = defaultdict(int)
    for day, kind, account, code, total, count in money:
        is_current = day >= period.first_day
        if not is_current and code != currency:
            continue
        totals = current_totals[code] if is_current else previous_totals
        if account == ledger.PLATFORM_FEES:
            totals.commission -= total
        elif kind == EntryKind.CAPTURE:
            totals.gmv += total
            totals.orders += count
            if not is_current:
                previous_gmv_by_day[day] += total
            elif code == currency:
                gmv_by_day[day] += total
                orders_by_day[day] += count
        elif kind == EntryKind.REFUND:
            totals.refunds -= total
            if is_current and code == currency:
                refunds_by_day[day] -= total
    buyers, previous_buyers = _joined_by_day(
        User.objects.filter(role=Role.BUYER), "date_joined", period
    )
    sellers, previous_sellers = _joined_by_day(Seller.objects.all(), "created_at", period)
    sold = marketplace.sales_by_grain(
        first_day=period.first_day, last_day=period.last_day, currency=currency
    )
    return Figures(
        period=period,
        currency=currency,
        current=current_totals.pop(currency, Totals()),
        previous=previous_totals,
        other_currencies=dict(sorted(current_totals.items())),
        new_buyers=sum(buyers.values()),
        new_sellers=sum(sellers.values()),
        previous_new_buyers=previous_buyers,
        previous_new_sellers=previous_sellers,
        days=days,
        gmv_by_day=[gmv_by_day[day] for day in days],
        previous_gmv_by_day=[previous_gmv_by_day[day] for day in previous.each_day()],
        refunds_by_day=[refunds_by_day[day] for day in days],
        orders_by_day=[orders_by_day[day] for day in days],
        buyers_by_day=[buyers[day] for day in days],
        sellers_by_day=[sellers[day] for day in days],
        by_type=_by_type(sold),
        top_products=_top_products(sold),
        top_sellers=_top_sellers(sold),
    )


def _joined_by_day(
    queryset: QuerySet[Any], column: str, period: Period
) -> tuple[defaultdict[dt.date, int], int]:
    """New accounts per day of the period, and how many joined in the previous one."""
    rows = (
        queryset.filter(
            **{f"{column}__gte": period.previous.starts_at, f"{column}__lt": period.ends_before}
        )
        .values(day=TruncDate(column))
        .annotate(count=Count("id"))
        .order_by()
    )
    per_day: defaultdict[dt.date, int] = defaultdict(int)
    previous = 0
    for row in rows:
        if row["day"] >= period.first_day:
            per_day[row["day"]] += row["count"]
        else:
            previous += row["count"]
    return per_day, previous


def _by_type(sold: list[tuple[str, str, int, int, int]]) -> list[TypeRow]:
    registry = get_registry()
    rows = sorted((row for row in sold if row[0] == "type"), key=lambda row: (-row[4], row[1]))
    return [
        TypeRow(
            product_type=key,
            label=registry.product_type_label(key),
            orders=count,
            units=units,
            sales=sales,
        )
        for _, key, count, units, sales in rows
    ]


def _top(
    sold: list[tuple[str, str, int, int, int]], grain: str
) -> list[tuple[int | None, int, int, int]]:
    """The ``TOP`` keys of a grain by sales (ties by id): ``(id, count, units, sales)``."""
    rows = [
        (int(key) if key else None, count, units, sales)
        for row_grain, key, count, units, sales in sold
        if row_grain == grain
    ]
    rows.sort(key=lambda row: (-row[3], row[0] is None, row[0] or 0))
    return rows[:TOP]


def _top_products(sold: list[tuple[str, str, int, int, int]]) -> list[TopRow]:
    top = _top(sold, "product")
    names: dict[int | None, tuple[str, str]] = {
        product_id: (name, seller_name)
        for product_id, name, seller_name in Product.objects.filter(
            id__in=[product_id for product_id, *_ in top if product_id is not None]
        ).values_list("id", "name", "seller__business_name")
    }
    return [
        TopRow(
            name=names.get(product_id, ("", ""))[0],
            detail=names.get(product_id, ("", ""))[1],
            count=units,
            sales=sales,
        )
        for product_id, _, units, sales in top
    ]


def _top_sellers(sold: list[tuple[str, str, int, int, int]]) -> list[TopRow]:
    top = _top(sold, "seller")
    names: dict[int | None, str] = dict(
        Seller.objects.filter(id__in=[seller_id for seller_id, *_ in top]).values_list(
            "id", "business_name"
        )
    )
    return [
        TopRow(name=names.get(seller_id, ""), detail="", count=count, sales=sales)
        for seller_id, count, _, sales in top
    ]
