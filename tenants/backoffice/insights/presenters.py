"""The dashboard's figures as people read them: money as ``Money``, rates as percentages, the
change against the previous period, and the charts (``core.charts``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.charts import Chart, Series
from core.money import Money
from tenants.backoffice.insights.figures import Figures, TopRow, ratio_bp

DAILY_UP_TO = 62  # longer periods are charted week by week


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    change: str = ""
    direction: str = ""  # "up", "down" or "" (no comparison)
    note: str = ""
    is_good_when_up: bool = True

    @property
    def delta_class(self) -> str:
        if not self.direction:
            return ""
        is_good = (self.direction == "up") == self.is_good_when_up
        return "delta-up" if is_good else "delta-down"


def percent(bp: int | None) -> str:
    return "\u2014" if bp is None else f"{bp / 100:.2f} %"


def _change(current: int, previous: int) -> tuple[str, str]:
    if current == previous:
        return "no change on the previous period", ""
    direction = "up" if current > previous else "down"
    if previous == 0:
        return "new this period", direction
    change_bp = ratio_bp(abs(current - previous), abs(previous)) or 0
    sign = "+" if current > previous else "\u2212"
    return f"{sign}{change_bp / 100:.1f} % on the previous period", direction


def _rate_change(current: int | None, previous: int | None) -> tuple[str, str]:
    if current is None or previous is None:
        return "", ""
    if current == previous:
        return "no change on the previous period", ""
    sign = "+" if current > previous else "\u2212"
    points = abs(current - previous) / 100
    return f"{sign}{points:.2f} points on the previous period", (
        "up" if current > previous else "down"
    )


def kpis(figures: Figures) -> list[Kpi]:
    now, before, code = figures.current, figures.previous, figures.currency
    rows = []
    for label, current, previous, is_money, good_up in (
        ("GMV", now.gmv, before.gmv, True, True),
        ("Commission earned", now.commission, before.commission, True, True),
        ("Orders", now.orders, before.orders, False, True),
        ("New buyers", figures.new_buyers, figures.previous_new_buyers, False, True),
        ("New sellers", figures.new_sellers, figures.previous_new_sellers, False, True),
    ):
        change, direction = _change(current, previous)
        value = str(Money(current, code)) if is_money else f"{current:,}"
        rows.append(Kpi(label, value, change, direction, is_good_when_up=good_up))
    change, direction = _rate_change(now.take_rate_bp, before.take_rate_bp)
    rows.insert(
        2,
        Kpi(
            "Take rate",
            percent(now.take_rate_bp),
            change,
            direction,
            note="commission / GMV after refunds",
        ),
    )
    change, direction = _rate_change(now.refund_rate_bp, before.refund_rate_bp)
    rows.append(
        Kpi(
            "Refunds",
            percent(now.refund_rate_bp),
            change,
            direction,
            note=f"{Money(now.refunds, code)} refunded",
            is_good_when_up=False,
        )
    )
    rows.append(Kpi("Disputes", "\u2014", note="Disputes arrive with the disputes feature."))
    return rows


def _buckets(days: list[dt.date], *series: list[int]) -> tuple[list[str], list[list[int]]]:
    """Day by day for short periods; by week (from the period's first day) for long ones."""
    if len(days) <= DAILY_UP_TO:
        return [f"{day:%-d %b}" for day in days], [list(values) for values in series]
    labels = [f"w/c {day:%-d %b}" for day in days[::7]]
    grouped = [[sum(values[i : i + 7]) for i in range(0, len(values), 7)] for values in series]
    return labels, grouped


def charts(figures: Figures) -> list[Chart]:
    code = figures.currency
    labels, (gmv, previous_gmv, refunds) = _buckets(
        figures.days, figures.gmv_by_day, figures.previous_gmv_by_day, figures.refunds_by_day
    )
    _, (orders,) = _buckets(figures.days, figures.orders_by_day)
    _, (buyers, sellers) = _buckets(figures.days, figures.buyers_by_day, figures.sellers_by_day)
    by_type = figures.by_type
    return [
        Chart(
            id="gmv",
            title="GMV over time",
            kind="line",
            labels=labels,
            series=[
                Series("This period", gmv),
                Series("Previous period", previous_gmv),
                Series("Refunds", refunds),
            ],
            unit="money",
            currency=code,
            description=f"What buyers paid, tax included ({code}).",
        ),
        Chart(
            id="orders-by-type",
            title="Orders by product type",
            kind="bar",
            labels=[row.label for row in by_type],
            series=[Series("Orders", [row.orders for row in by_type])],
            description="An order with several types counts once for each.",
        ),
        Chart(
            id="orders",
            title="Orders over time",
            kind="bar",
            labels=labels,
            series=[Series("Orders", orders)],
        ),
        Chart(
            id="signups",
            title="New buyers and sellers",
            kind="bar",
            labels=labels,
            series=[Series("Buyers", buyers), Series("Sellers", sellers)],
        ),
    ]


@dataclass(frozen=True)
class TableRow:
    name: str
    detail: str
    count: int
    sales: Money
    share: str  # of the period's GMV


def top_tables(figures: Figures) -> dict[str, list[TableRow]]:
    code, gmv = figures.currency, figures.current.gmv

    def rows(source: list[TopRow]) -> list[TableRow]:
        return [
            TableRow(
                row.name, row.detail, row.count, Money(row.sales, code), _share(row.sales, gmv)
            )
            for row in source
        ]

    by_type = [
        TableRow(row.label, "", row.orders, Money(row.sales, code), _share(row.sales, gmv))
        for row in figures.by_type
    ]
    return {
        "products": rows(figures.top_products),
        "sellers": rows(figures.top_sellers),
        "types": by_type,
    }


def _share(part: int, whole: int) -> str:
    return percent(ratio_bp(part, whole))


def other_currencies(figures: Figures) -> list[str]:
    return [
        f"{Money(totals.gmv, code)} GMV in {totals.orders:,} orders"
        for code, totals in figures.other_currencies.items()
    ]
