"""Operators' reports: tax collected per jurisdiction and rate, sales per seller, payouts per
seller and status, and the ledger's trial balance.

Sales count in the period their order was paid, refunds in the period they were made (as a
credit note corrects the period it is issued in). Amounts are exact integers of minor units,
summed in the database: two aggregate queries per report, whatever the number of orders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, F, QuerySet, Sum

from core.commerce.invoices import DocumentError, DocumentErrorCode
from core.commerce.models import OrderLine, RefundLine
from core.errors import ErrorKind
from core.money import MoneyError, check_currency
from core.payments.models import JournalLine, Payout


@dataclass(frozen=True)
class TaxReportRow:
    country: str
    region: str
    tax_name: str
    tax_rate_bp: int
    currency: str
    taxable_amount: int  # what buyers paid for the lines, less the tax
    tax_collected: int
    refunded_taxable_amount: int
    tax_refunded: int
    net_tax: int  # collected less refunded: what is owed for the period


@dataclass(frozen=True)
class SellerSalesRow:
    seller_id: int
    seller_name: str
    currency: str
    orders: int
    gross: int  # what buyers paid, tax included
    tax: int
    commission: int
    seller_net: int
    refunded: int
    refunded_commission: int
    refunded_seller_amount: int
    net_commission: int
    net_seller_amount: int


def _check_period(date_from: date, date_to: date, currency: str | None) -> str | None:
    if date_to < date_from:
        raise DocumentError(
            DocumentErrorCode.INVALID_REPORT_QUERY,
            "The period ends before it starts.",
            details={"field": "to"},
            kind=ErrorKind.INVALID,
        )
    if currency is None:
        return None
    try:
        return check_currency(currency)
    except MoneyError as exc:
        raise DocumentError(
            DocumentErrorCode.INVALID_REPORT_QUERY,
            str(exc),
            details={"field": "currency"},
            kind=ErrorKind.INVALID,
        ) from exc


def _sold(date_from: date, date_to: date, currency: str | None) -> QuerySet[OrderLine]:
    lines = OrderLine.objects.filter(
        order__paid_at__date__gte=date_from, order__paid_at__date__lte=date_to
    )
    return lines.filter(order__currency=currency) if currency else lines


def _refunded(date_from: date, date_to: date, currency: str | None) -> QuerySet[RefundLine]:
    lines = RefundLine.objects.filter(
        refund__created_at__date__gte=date_from, refund__created_at__date__lte=date_to
    )
    return lines.filter(refund__currency=currency) if currency else lines


Sums = defaultdict[str, int]
TaxKey = tuple[str, str, str, str, int]  # currency, country, region, tax name, rate


def _add(sums: Sums, row: Mapping[str, Any], names: Iterable[str]) -> None:
    for name in names:
        # PostgreSQL's sum(bigint) is numeric: a Decimal here, always integral.
        sums[name] += int(row[name])


def _tax_key(row: Mapping[str, Any]) -> TaxKey:
    return (row["currency"], row["country"], row["region"], row["tax_name"], row["tax_rate_bp"])


def tax_report(
    *, date_from: date, date_to: date, currency: str | None = None
) -> list[TaxReportRow]:
    currency = _check_period(date_from, date_to, currency)
    sold = (
        _sold(date_from, date_to, currency)
        .values(
            "tax_name",
            "tax_rate_bp",
            country=F("order__billing_country"),
            region=F("order__billing_region"),
            currency=F("order__currency"),
        )
        .annotate(paid=Sum("total"), tax=Sum("tax_amount"))
        .order_by()
    )
    refunded = (
        _refunded(date_from, date_to, currency)
        .values(
            country=F("order_line__order__billing_country"),
            region=F("order_line__order__billing_region"),
            tax_name=F("order_line__tax_name"),
            tax_rate_bp=F("order_line__tax_rate_bp"),
            currency=F("refund__currency"),
        )
        .annotate(refunded=Sum("amount"), refunded_tax=Sum("tax_amount"))
        .order_by()
    )
    groups: defaultdict[TaxKey, Sums] = defaultdict(lambda: defaultdict(int))
    for sold_row in sold:
        _add(groups[_tax_key(sold_row)], sold_row, ("paid", "tax"))
    for refund_row in refunded:
        _add(groups[_tax_key(refund_row)], refund_row, ("refunded", "refunded_tax"))
    return [
        TaxReportRow(
            country=country,
            region=region,
            tax_name=tax_name,
            tax_rate_bp=rate_bp,
            currency=code,
            taxable_amount=sums["paid"] - sums["tax"],
            tax_collected=sums["tax"],
            refunded_taxable_amount=sums["refunded"] - sums["refunded_tax"],
            tax_refunded=sums["refunded_tax"],
            net_tax=sums["tax"] - sums["refunded_tax"],
        )
        for (code, country, region, tax_name, rate_bp), sums in sorted(groups.items())
    ]


def sales_report(
    *, date_from: date, date_to: date, currency: str | None = None
) -> list[SellerSalesRow]:
    currency = _check_period(date_from, date_to, currency)
    sold = (
        _sold(date_from, date_to, currency)
        .values(
            seller_id=F("sub_order__seller_id"),
            seller_name=F("sub_order__seller__business_name"),
            currency=F("order__currency"),
        )
        .annotate(
            orders=Count("sub_order", distinct=True),
            gross=Sum("total"),
            tax=Sum("tax_amount"),
            commission=Sum("commission_amount"),
            seller_net=Sum("seller_net"),
        )
        .order_by()
    )
    refunded = (
        _refunded(date_from, date_to, currency)
        .values(
            seller_id=F("order_line__sub_order__seller_id"),
            seller_name=F("order_line__sub_order__seller__business_name"),
            currency=F("refund__currency"),
        )
        .annotate(
            refunded=Sum("amount"),
            refunded_commission=Sum("commission_amount"),
            refunded_seller_amount=Sum("seller_amount"),
        )
        .order_by()
    )
    groups: defaultdict[tuple[str, int, str], Sums] = defaultdict(lambda: defaultdict(int))
    for sold_row in sold:
        key = (sold_row["currency"], sold_row["seller_id"], sold_row["seller_name"])
        _add(groups[key], sold_row, ("orders", "gross", "tax", "commission", "seller_net"))
    for refund_row in refunded:
        key = (refund_row["currency"], refund_row["seller_id"], refund_row["seller_name"])
        names = ("refunded", "refunded_commission", "refunded_seller_amount")
        _add(groups[key], refund_row, names)
    rows = []
    for (code, seller_id, seller_name), value in groups.items():
        rows.append(
            SellerSalesRow(
                seller_id=seller_id,
                seller_name=seller_name,
                currency=code,
                orders=value["orders"],
                gross=value["gross"],
                tax=value["tax"],
                commission=value["commission"],
                seller_net=value["seller_net"],
                refunded=value["refunded"],
                refunded_commission=value["refunded_commission"],
                refunded_seller_amount=value["refunded_seller_amount"],
                net_commission=value["commission"] - value["refunded_commission"],
                net_seller_amount=value["seller_net"] - value["refunded_seller_amount"],
            )
        )
    return sorted(rows, key=lambda row: (row.currency, -row.gross, row.seller_name))


@dataclass(frozen=True)
class PayoutReportRow:
    seller_id: int
    seller_name: str
    currency: str
    status: str
    count: int
    total: int


def payout_report(
    *, date_from: date | None = None, date_to: date | None = None
) -> list[PayoutReportRow]:
    """Payouts per seller, currency and status, requested in the period (either end open)."""
    payouts = Payout.objects.all()
    if date_from:
        payouts = payouts.filter(requested_at__date__gte=date_from)
    if date_to:
        payouts = payouts.filter(requested_at__date__lte=date_to)
    rows = (
        payouts.values("seller_id", "seller__business_name", "currency", "status")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("seller__business_name", "currency", "status")
    )
    return [
        PayoutReportRow(
            seller_id=row["seller_id"],
            seller_name=row["seller__business_name"],
            currency=row["currency"],
            status=row["status"],
            count=row["count"],
            total=int(row["total"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class TrialBalance:
    # account kind (the part before ":") -> currency -> debit balance
    accounts: dict[str, dict[str, int]]

    @property
    def totals(self) -> dict[str, int]:
        sums: dict[str, int] = defaultdict(int)
        for per_currency in self.accounts.values():
            for currency, amount in per_currency.items():
                sums[currency] += amount
        return dict(sorted(sums.items()))

    @property
    def is_balanced(self) -> bool:
        return all(amount == 0 for amount in self.totals.values())


def trial_balance() -> TrialBalance:
    """Every account kind's balance per currency: one aggregate over the journal. Balanced
    books sum to zero per currency."""
    totals: dict[str, dict[str, int]] = {}
    rows = JournalLine.objects.values("account", "currency").annotate(total=Sum("amount"))
    for row in rows:
        kind = row["account"].split(":", 1)[0]
        bucket = totals.setdefault(kind, {})
        bucket[row["currency"]] = bucket.get(row["currency"], 0) + int(row["total"])
    return TrialBalance(accounts=dict(sorted(totals.items())))
