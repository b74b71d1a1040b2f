"""Billing arithmetic, pure and integer: period ends on the calendar, and the proration of an
upgrade.

Periods are whole months (a year is twelve) counted on the calendar in UTC and anchored on the
billing anchor's day of the month: a subscription started on the 31st renews on the 30th in
months of 30 days, the 28th/29th in February, and the 31st again where there is one.

Proration of an upgrade inside the current period (same interval, dearer price):
``P`` = the period's length and ``u`` = its unused part, both in whole seconds (``u`` rounded
down; ``0 <= u <= P``); ``D`` = new price - old price in minor units. The buyer pays now the
unused share of the difference, split the way ``Money.allocate`` splits: ``floor(D * u / P)``,
plus one minor unit when that division leaves a remainder and the unused part is at least as
long as the used one (allocate hands the leftover unit to the larger share). The two shares
``[unused, used]`` always sum to ``D`` exactly."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.commerce.models import Interval, RecurringPrice
from core.money import Money

SECOND = timedelta(seconds=1)


def months_in(price: RecurringPrice) -> int:
    return price.interval_count * (12 if price.interval == Interval.YEAR else 1)


def add_months(moment: datetime, months: int, *, anchor_day: int) -> datetime:
    """``moment`` plus whole calendar months, on the anchor's day where the month has it."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(anchor_day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def period_end(start: datetime, price: RecurringPrice, *, anchor: datetime) -> datetime:
    return add_months(start, months_in(price), anchor_day=anchor.day)


def is_same_cycle(first: RecurringPrice, second: RecurringPrice) -> bool:
    return months_in(first) == months_in(second) and first.currency == second.currency


@dataclass(frozen=True)
class Proration:
    unused_seconds: int
    period_seconds: int
    amount: int  # what the buyer pays now, minor units


def prorate_upgrade(
    *,
    old_amount: int,
    new_amount: int,
    currency: str,
    period_start: datetime,
    period_end: datetime,
    at: datetime,
) -> Proration:
    period = (period_end - period_start) // SECOND
    unused = max(0, min(period, (period_end - at) // SECOND))
    difference = new_amount - old_amount
    if difference <= 0 or period <= 0:
        return Proration(unused, max(period, 0), 0)
    unused_share, _used_share = Money(difference, currency).allocate([unused, period - unused])
    return Proration(unused, period, unused_share.amount)
