"""The marketplace dashboard's figures for a period and the one before it.

Money comes from the ledger (``core/payments/ledger.py``), the source of truth:

- **GMV**: what buyers paid, tax included: the ``provider_cash`` debits of ``capture`` entries;
- **refunds**: the ``provider_cash`` credits of ``refund`` entries;
- **commission**: the net credit to ``platform_fees`` (earned at fulfilment or on capture for
  escrowed lines, given back by refunds);
- **take rate**: commission / (GMV - refunds); **refund rate**: refunds / GMV.

Orders are the ``capture`` entries (one per paid order), so the same journal query counts
them. Everything is a handful of aggregate queries whatever the number of orders; they read
the period's journal entries through the entry's (kind, created_at) index and the lines
through their entry, the order lines through the order. The result is cached per tenant (the
cache key function prefixes the schema) under a key holding the newest journal entry, user and
seller ids, so a payment, refund, sign-up or new seller shows at the next load; the time-to-live
bounds what a transaction committing out of id order could hide."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from core.accounts.models import Role, User
from core.commerce.models import OrderLine
from core.payments import ledger
from core.payments.models import EntryKind, JournalEntry, JournalLine
from core.registry import get_registry
from core.sellers.models import Seller
from tenants.backoffice.insights.periods import Period

CACHE_SECONDS = 300
TOP = 5
# Every kind of entry that moves cash in or out for a sale, or the marketplace's fees.
SALE_KINDS = (EntryKind.CAPTURE, EntryKind.REFUND)
FEE_KINDS = (EntryKind.EARN, EntryKind.ESCROW_HOLD, EntryKind.REFUND)
LEDGER_KINDS = sorted({*SALE_KINDS, *FEE_KINDS})


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


def marketplace_figures(*, period: Period, currency: str) -> Figures:
    key = f"backoffice:dashboard:v1:{period.first_day}:{period.last_day}:{currency}:{_watermark()}"
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
    span = period_span(period)
    money = _ledger_by_day(previous.starts_at, period.ends_before, span)
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
    sold = sold_lines_queryset(period, currency, span)
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


@dataclass(frozen=True)
class Span:
    """The id ranges of the period's journal entries and paid orders. Ids grow with time, so
    bounding a query by them lets PostgreSQL read the lines of the period through the
    ``entry_id``/``order_id`` indexes instead of every line of the journal; the queries keep
    their time filter, so the bounds never drop a row."""

    first_entry: int | None
    last_entry: int | None
    first_order: int | None
    last_order: int | None


def period_span(period: Period) -> Span:
    """Both periods' entries and this period's paid orders, through the (kind, created_at)
    index: one query."""
    is_current_capture = Q(kind=EntryKind.CAPTURE, created_at__gte=period.starts_at)
    span = JournalEntry.objects.filter(
        kind__in=LEDGER_KINDS,
        created_at__gte=period.previous.starts_at,
        created_at__lt=period.ends_before,
    ).aggregate(
        first_entry=Min("id"),
        last_entry=Max("id"),
        first_order=Min("order_id", filter=is_current_capture),
        last_order=Max("order_id", filter=is_current_capture),
    )
    return Span(**span)


def ledger_queryset(
    starts_at: dt.datetime, ends_before: dt.datetime, span: Span
) -> QuerySet[Any, Any]:
    """The one journal query (exposed for the query-plan test)."""
    if span.first_entry is None:
        return JournalLine.objects.none().values()
    return (
        JournalLine.objects.filter(
            entry_id__gte=span.first_entry,
            entry_id__lte=span.last_entry,
            entry__created_at__gte=starts_at,
            entry__created_at__lt=ends_before,
            entry__kind__in=LEDGER_KINDS,
        )
        .filter(
            Q(account=ledger.PROVIDER_CASH, entry__kind__in=SALE_KINDS)
            | Q(account=ledger.PLATFORM_FEES)
        )
        .values("account", "currency", "entry__kind", day=TruncDate("entry__created_at"))
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by()
    )


def _ledger_by_day(
    starts_at: dt.datetime, ends_before: dt.datetime, span: Span
) -> list[tuple[dt.date, str, str, str, int, int]]:
    rows = ledger_queryset(starts_at, ends_before, span)
    return [
        (
            row["day"],
            row["entry__kind"],
            row["account"],
            row["currency"],
            int(row["total"]),
            int(row["count"]),
        )
        for row in rows
    ]


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


def sold_lines_queryset(period: Period, currency: str, span: Span) -> QuerySet[OrderLine]:
    """Lines of the orders paid (captured) in the period, in the currency: the period's capture
    entries lead to their orders (exposed for the query-plan test)."""
    if span.first_order is None:
        return OrderLine.objects.none()
    captured = JournalEntry.objects.filter(
        kind=EntryKind.CAPTURE,
        created_at__gte=period.starts_at,
        created_at__lt=period.ends_before,
    ).values("order_id")
    return OrderLine.objects.filter(
        order_id__gte=span.first_order,
        order_id__lte=span.last_order,
        order_id__in=captured,
        order__currency=currency,
    )


def _by_type(sold: QuerySet[OrderLine]) -> list[TypeRow]:
    registry = get_registry()
    rows = (
        sold.values("product_type")
        .annotate(
            orders=Count("order_id", distinct=True), units=Sum("quantity"), sales=Sum("total")
        )
        .order_by("-sales", "product_type")
    )
    return [
        TypeRow(
            product_type=row["product_type"],
            label=registry.product_type_label(row["product_type"]),
            orders=row["orders"],
            units=int(row["units"]),
            sales=int(row["sales"]),
        )
        for row in rows
    ]


def _top_products(sold: QuerySet[OrderLine]) -> list[TopRow]:
    rows = (
        sold.values("product_id", "product__name", "sub_order__seller__business_name")
        .annotate(units=Sum("quantity"), sales=Sum("total"))
        .order_by("-sales", "product_id")[:TOP]
    )
    return [
        TopRow(
            name=row["product__name"],
            detail=row["sub_order__seller__business_name"],
            count=int(row["units"]),
            sales=int(row["sales"]),
        )
        for row in rows
    ]


def _top_sellers(sold: QuerySet[OrderLine]) -> list[TopRow]:
    rows = (
        sold.values("sub_order__seller_id", "sub_order__seller__business_name")
        .annotate(orders=Count("sub_order_id", distinct=True), sales=Sum("total"))
        .order_by("-sales", "sub_order__seller_id")[:TOP]
    )
    return [
        TopRow(
            name=row["sub_order__seller__business_name"],
            detail="",
            count=row["orders"],
            sales=int(row["sales"]),
        )
        for row in rows
    ]
