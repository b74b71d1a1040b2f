"""Money pages' rows as people read them (``Money``, percentages, labels) and the reports'
CSV files (``core.safe_csv``: a text cell that a spreadsheet would run as a formula is
escaped)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.utils import timezone

from core import safe_csv
from core.charts import Chart, Series
from core.commerce.models import DiscountCode, DiscountKind, TaxRule
from core.commerce.reports import (
    PayoutReportRow,
    SellerSalesRow,
    TaxReportRow,
    TrialBalance,
)
from core.money import Money
from core.payments.models import PayoutStatus
from core.registry import get_registry

ACCOUNT_LABELS = {
    "provider_cash": "Cash at the payment provider",
    "buyer_clearing": "Paid by buyers, not yet earned",
    "tax_payable": "Tax owed to authorities",
    "platform_fees": "Marketplace commission (revenue)",
    "seller_payable": "Owed to sellers",
    "escrow": "Held in escrow",
    "payouts_in_transit": "Payouts on their way",
}


def percent(rate_bp: int | None) -> str:
    return "\u2014" if rate_bp is None else f"{rate_bp / 100:g} %"


@dataclass(frozen=True)
class TaxRuleRow:
    id: int
    country: str
    region: str
    product_type: str
    name: str
    rate: str
    is_active: bool


def tax_rule_row(rule: TaxRule) -> TaxRuleRow:
    label = get_registry().product_type_label(rule.product_type) if rule.product_type else ""
    return TaxRuleRow(
        rule.pk,
        rule.country,
        rule.region,
        label or "Every type",
        rule.name,
        percent(rule.rate_bp),
        rule.is_active,
    )


@dataclass(frozen=True)
class CodeRow:
    id: int
    code: str
    value: str
    minimum: Money | None
    uses: str
    window: str
    is_active: bool


def code_row(code: DiscountCode, default_currency: str) -> CodeRow:
    currency = code.currency or default_currency
    if code.kind == DiscountKind.PERCENT:
        value = f"{percent(code.percent_bp)} off"
    else:
        value = f"{Money(code.amount or 0, currency)} off"
    limit = f" of {code.max_redemptions}" if code.max_redemptions else ""
    per_buyer = f", {code.max_per_buyer} per buyer" if code.max_per_buyer else ""
    window = ""
    if code.starts_at:
        window += f"from {timezone.localtime(code.starts_at):%Y-%m-%d %H:%M} "
    if code.expires_at:
        window += f"until {timezone.localtime(code.expires_at):%Y-%m-%d %H:%M}"
    return CodeRow(
        code.pk,
        code.code,
        value,
        Money(code.minimum_subtotal, currency) if code.minimum_subtotal else None,
        f"{code.redemptions}{limit}{per_buyer}",
        window.strip() or "Always",
        code.is_active,
    )


@dataclass(frozen=True)
class PayoutRow:
    seller: str
    status: str
    count: int
    total: Money


def payout_row(row: PayoutReportRow) -> PayoutRow:
    status = dict(PayoutStatus.choices).get(row.status, row.status)
    return PayoutRow(row.seller_name, str(status), row.count, Money(row.total, row.currency))


@dataclass(frozen=True)
class AccountRow:
    kind: str
    label: str
    balances: list[Money]


def trial_balance_rows(balance: TrialBalance) -> list[AccountRow]:
    return [
        AccountRow(
            kind,
            ACCOUNT_LABELS.get(kind, kind),
            [Money(amount, code) for code, amount in sorted(per_currency.items())],
        )
        for kind, per_currency in balance.accounts.items()
    ]


@dataclass(frozen=True)
class SalesRow:
    seller: str
    orders: int
    gross: Money
    tax: Money
    commission: Money
    refunded: Money
    net_commission: Money
    net_seller: Money


def sales_row(row: SellerSalesRow) -> SalesRow:
    def money(amount: int) -> Money:
        return Money(amount, row.currency)

    return SalesRow(
        row.seller_name,
        row.orders,
        money(row.gross),
        money(row.tax),
        money(row.commission),
        money(row.refunded),
        money(row.net_commission),
        money(row.net_seller_amount),
    )


def sales_totals(rows: list[SellerSalesRow], currency: str) -> SalesRow:
    def total(name: str) -> Money:
        return Money(sum(getattr(row, name) for row in rows), currency)

    return SalesRow(
        "All sellers",
        sum(row.orders for row in rows),
        total("gross"),
        total("tax"),
        total("commission"),
        total("refunded"),
        total("net_commission"),
        total("net_seller_amount"),
    )


@dataclass(frozen=True)
class TaxRow:
    jurisdiction: str
    tax: str
    taxable: Money
    collected: Money
    refunded: Money
    net: Money


def tax_row(row: TaxReportRow) -> TaxRow:
    def money(amount: int) -> Money:
        return Money(amount, row.currency)

    where = row.country + (f"-{row.region}" if row.region else "") or "Unknown"
    name = f"{row.tax_name or 'No tax'} {percent(row.tax_rate_bp)}"
    return TaxRow(
        where,
        name,
        money(row.taxable_amount),
        money(row.tax_collected),
        money(row.tax_refunded),
        money(row.net_tax),
    )


def report_charts(
    sales: list[SellerSalesRow], taxes: list[TaxReportRow], currency: str
) -> list[Chart]:
    top = sales[:10]
    return [
        Chart(
            id="sales-by-seller",
            title="Sales by seller",
            kind="bar",
            labels=[row.seller_name for row in top],
            series=[
                Series("Paid", [row.gross for row in top]),
                Series("Refunded", [row.refunded for row in top]),
                Series("Commission", [row.net_commission for row in top]),
            ],
            unit="money",
            currency=currency,
            description="The ten sellers who sold most in the period.",
        ),
        Chart(
            id="tax-by-jurisdiction",
            title="Tax owed by jurisdiction",
            kind="bar",
            labels=[tax_row(row).jurisdiction + " " + row.tax_name for row in taxes],
            series=[Series("Net tax", [row.net_tax for row in taxes])],
            unit="money",
            currency=currency,
        ),
    ]


def query_string(query: dict[str, Any]) -> str:
    return urlencode({name: str(value) for name, value in query.items()})


def _csv_response(name: str, header: list[str], rows: list[list[Any]]) -> HttpResponse:
    out = io.StringIO()
    writer = safe_csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _period_name(query: dict[str, Any]) -> str:
    first: date = query["date_from"]
    last: date = query["date_to"]
    return f"{first.isoformat()}_{last.isoformat()}_{query['currency']}"


def sales_csv(rows: list[SellerSalesRow], query: dict[str, Any]) -> HttpResponse:
    """Amounts as decimal numbers in the currency (``Money.to_decimal_string``)."""

    def amount(value: int, currency: str) -> str:
        return Money(value, currency).to_decimal_string()

    header = [
        "seller",
        "currency",
        "orders",
        "gross",
        "tax",
        "commission",
        "seller_net",
        "refunded",
        "net_commission",
        "net_seller_amount",
    ]
    body = [
        [
            row.seller_name,
            row.currency,
            row.orders,
            *(
                amount(getattr(row, name), row.currency)
                for name in (
                    "gross",
                    "tax",
                    "commission",
                    "seller_net",
                    "refunded",
                    "net_commission",
                    "net_seller_amount",
                )
            ),
        ]
        for row in rows
    ]
    return _csv_response(f"sales_{_period_name(query)}.csv", header, body)


def tax_csv(rows: list[TaxReportRow], query: dict[str, Any]) -> HttpResponse:
    header = [
        "country",
        "region",
        "tax_name",
        "rate_percent",
        "currency",
        "taxable_amount",
        "tax_collected",
        "refunded_taxable_amount",
        "tax_refunded",
        "net_tax",
    ]
    body = [
        [
            row.country,
            row.region,
            row.tax_name,
            f"{row.tax_rate_bp / 100:g}",
            row.currency,
            *(
                Money(getattr(row, name), row.currency).to_decimal_string()
                for name in (
                    "taxable_amount",
                    "tax_collected",
                    "refunded_taxable_amount",
                    "tax_refunded",
                    "net_tax",
                )
            ),
        ]
        for row in rows
    ]
    return _csv_response(f"tax_{_period_name(query)}.csv", header, body)
