"""Charts on the studio, back-office and console dashboards: a typed description built from
SQL aggregates, rendered by ``templates/charts/_chart.html`` as a canvas that Chart.js
(vendored, ``themes/base/static/js/chart.umd.min.js``) draws, with the same figures in a table
for screen readers and people who prefer numbers. Money series are integer minor units; the
browser formats them with the currency's exponent, the table with ``Money``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from core.money import CURRENCY_EXPONENTS, Money

ChartKind = Literal["line", "bar", "doughnut", "funnel"]
Unit = Literal["money", "count", "percent"]


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]
    # A colour that carries meaning (allowed green, blocked red); else the brand's palette.
    colour: str | None = None


@dataclass(frozen=True)
class Chart:
    """``id`` must be unique on the page. ``unit="money"`` needs ``currency``; ``percent``
    values are basis points (1234 = 12.34 %)."""

    id: str
    title: str
    kind: ChartKind
    labels: list[str]
    series: list[Series]
    unit: Unit = "count"
    currency: str | None = None
    empty_message: str = "Nothing to show for this period yet."
    description: str = field(default="")

    def __post_init__(self) -> None:
        if self.unit == "money" and self.currency is None:
            raise ValueError(f"chart {self.id!r} shows money but names no currency")
        for series in self.series:
            if len(series.values) != len(self.labels):
                raise ValueError(f"chart {self.id!r}: series {series.label!r} length mismatch")

    @property
    def is_empty(self) -> bool:
        return not any(value for series in self.series for value in series.values)

    @property
    def config(self) -> dict[str, object]:
        """What ``souk-charts.js`` reads (through ``json_script``)."""
        return {
            "kind": self.kind,
            "labels": self.labels,
            "series": [
                {"label": s.label, "values": s.values, **({"colour": s.colour} if s.colour else {})}
                for s in self.series
            ],
            "unit": self.unit,
            "currency": self.currency,
            "exponent": CURRENCY_EXPONENTS.get(self.currency or "", 0),
        }

    @property
    def data_id(self) -> str:
        return f"chart-{self.id}-data"

    @property
    def config_json(self) -> str:
        return json.dumps(self.config)

    def format(self, value: int) -> str:
        if self.unit == "money":
            assert self.currency is not None
            return str(Money(value, self.currency))
        if self.unit == "percent":
            return f"{value / 100:.2f} %"
        return f"{value:,}"

    @property
    def rows(self) -> list[tuple[str, list[str]]]:
        """The table: one row per label, one formatted cell per series."""
        return [
            (label, [self.format(series.values[index]) for series in self.series])
            for index, label in enumerate(self.labels)
        ]
