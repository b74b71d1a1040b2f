"""Invoice and credit note PDFs (``documents_router``) and operators' tax and sales reports
(``operator_reports_router``). Authentication is set where the routers are mounted.

A document is visible to the order's buyer, to operators, and to a seller (with the
process_orders permission) who has a part of the order; to anyone else it does not exist."""

from __future__ import annotations

import io
import re
from dataclasses import asdict, fields
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from core import safe_csv
from core.accounts.models import Role, TokenScope
from core.accounts.principal import (
    Principal,
    principal_of,
    require_operator,
    require_scope,
    require_two_factor,
)
from core.commerce.errors import CommerceError, CommerceErrorCode
from core.commerce.invoices import (
    DocumentError,
    DocumentErrorCode,
    render_invoice_pdf,
)
from core.commerce.models import Invoice, InvoiceKind, Order, SubOrder
from core.commerce.reports import SellerSalesRow, TaxReportRow, sales_report, tax_report
from core.errors import ErrorKind
from core.money import Money
from core.sellers.errors import SellerError
from core.sellers.models import TeamPermission
from core.sellers.selectors import acting_seller

documents_router = Router()
operator_reports_router = Router()


def _may_see(principal: Principal, order: Order) -> bool:
    user = principal.user
    if order.buyer_id == user.pk:
        require_scope(principal, TokenScope.READ)
        return True
    if user.role == Role.OPERATOR:
        require_operator(principal)
        return True
    try:
        seller = acting_seller(user, TeamPermission.PROCESS_ORDERS)
    except SellerError:
        return False
    if not SubOrder.objects.filter(order=order, seller=seller).exists():
        return False
    require_scope(principal, TokenScope.SELLER)
    require_two_factor(principal)
    return True


def _pdf_response(invoice: Invoice) -> HttpResponse:
    response = HttpResponse(render_invoice_pdf(invoice), content_type="application/pdf")
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", invoice.number)
    response["Content-Disposition"] = f'inline; filename="{filename}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@documents_router.get(
    "/orders/{order_id}/invoice.pdf",
    summary="The order's invoice as PDF",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def invoice_pdf(request: HttpRequest, order_id: int) -> HttpResponse:
    order = Order.objects.filter(pk=order_id).first()
    if order is None or not _may_see(principal_of(request), order):
        raise CommerceError(
            CommerceErrorCode.ORDER_NOT_FOUND, "No such order.", kind=ErrorKind.NOT_FOUND
        )
    invoice = Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).first()
    if invoice is None:
        raise DocumentError(
            DocumentErrorCode.DOCUMENT_NOT_FOUND,
            "This order has no invoice yet.",
            kind=ErrorKind.NOT_FOUND,
        )
    return _pdf_response(invoice)


@documents_router.get(
    "/credit-notes/{invoice_id}.pdf",
    summary="A credit note as PDF",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def credit_note_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    credit_note = (
        Invoice.objects.filter(pk=invoice_id, kind=InvoiceKind.CREDIT_NOTE)
        .select_related("order")
        .first()
    )
    if credit_note is None or not _may_see(principal_of(request), credit_note.order):
        raise DocumentError(
            DocumentErrorCode.DOCUMENT_NOT_FOUND, "No such credit note.", kind=ErrorKind.NOT_FOUND
        )
    return _pdf_response(credit_note)


# --- operators' reports ----------------------------------------------------------------------


class ReportParams(Schema):
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    currency: str | None = None
    format: Literal["json", "csv"] = "json"


class TaxReportRowOut(Schema):
    country: str
    region: str
    tax_name: str
    tax_rate_bp: int
    currency: str
    taxable_amount: int
    tax_collected: int
    refunded_taxable_amount: int
    tax_refunded: int
    net_tax: int


class SellerSalesRowOut(Schema):
    seller_id: int
    seller_name: str
    currency: str
    orders: int
    gross: int
    tax: int
    commission: int
    seller_net: int
    refunded: int
    refunded_commission: int
    refunded_seller_amount: int
    net_commission: int
    net_seller_amount: int


class TaxReportOut(Schema):
    date_from: date
    date_to: date
    rows: list[TaxReportRowOut]


class SalesReportOut(Schema):
    date_from: date
    date_to: date
    rows: list[SellerSalesRowOut]


# Columns that are not money; every other integer column is an amount in minor units.
_PLAIN = frozenset({"tax_rate_bp", "seller_id", "orders"})


def _cell(value: Any, name: str, currency: str) -> Any:
    """Amounts as Decimals, not text: the writer escapes formula-like text, never numbers."""
    if isinstance(value, int) and name not in _PLAIN:
        return Decimal(Money(value, currency).to_decimal_string())
    return value


def _csv_response(
    rows: list[TaxReportRow] | list[SellerSalesRow],
    row_type: type[TaxReportRow | SellerSalesRow],
    filename: str,
) -> HttpResponse:
    """Amounts as decimals of their currency (one row's currency is in its own column)."""
    names = [f.name for f in fields(row_type)]
    buffer = io.StringIO()
    writer = safe_csv.writer(buffer)
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(getattr(row, name), name, row.currency) for name in names])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@operator_reports_router.get("/taxes", response=TaxReportOut, summary="Tax collected")
def taxes(request: HttpRequest, params: Query[ReportParams]) -> Any:
    require_operator(principal_of(request))
    rows = tax_report(date_from=params.date_from, date_to=params.date_to, currency=params.currency)
    if params.format == "csv":
        name = f"taxes-{params.date_from}-{params.date_to}.csv"
        return _csv_response(rows, TaxReportRow, name)
    return {
        "date_from": params.date_from,
        "date_to": params.date_to,
        "rows": [asdict(row) for row in rows],
    }


@operator_reports_router.get("/sales", response=SalesReportOut, summary="Sales per seller")
def sales(request: HttpRequest, params: Query[ReportParams]) -> Any:
    require_operator(principal_of(request))
    rows = sales_report(
        date_from=params.date_from, date_to=params.date_to, currency=params.currency
    )
    if params.format == "csv":
        name = f"sales-{params.date_from}-{params.date_to}.csv"
        return _csv_response(rows, SellerSalesRow, name)
    return {
        "date_from": params.date_from,
        "date_to": params.date_to,
        "rows": [asdict(row) for row in rows],
    }
