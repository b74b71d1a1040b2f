"""Paid orders and refunds written as rows (the checkout services are tested elsewhere), and
a reader of the text an uncompressed fpdf2 PDF shows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from itertools import count

from django.utils import timezone

from core.accounts.models import User
from core.catalog.models import Product
from core.commerce.models import Order, OrderLine, Refund, RefundLine, SubOrder
from core.money import Money
from core.sellers.models import Seller

_keys = count(1)


@dataclass(frozen=True)
class Item:
    seller: Seller
    product: Product
    title: str
    unit_amount: int
    quantity: int = 1
    tax_rate_bp: int = 2000
    tax_name: str = "VAT"
    commission_rate_bp: int = 1000


def make_paid_order(
    buyer: User,
    items: list[Item],
    *,
    currency: str = "EUR",
    country: str = "DE",
    region: str = "",
    billing_name: str = "Ada Buyer",
    paid_at: datetime | None = None,
) -> Order:
    """Prices exclude tax: a line's total is its subtotal plus tax, split into tax,
    commission (of the subtotal) and the seller's net. Call inside the tenant's schema."""
    priced = []
    for item in items:
        net = Money(item.unit_amount * item.quantity, currency)
        tax = net.basis_points(item.tax_rate_bp)
        commission = net.basis_points(item.commission_rate_bp)
        priced.append((item, net.amount, tax.amount, commission.amount))
    order = Order.objects.create(
        buyer=buyer,
        email=buyer.email,
        currency=currency,
        status="paid",
        subtotal=sum(p[1] for p in priced),
        tax_total=sum(p[2] for p in priced),
        total=sum(p[1] + p[2] for p in priced),
        commission_total=sum(p[3] for p in priced),
        billing_country=country,
        billing_region=region,
        billing_name=billing_name,
        provider="sandbox",
        idempotency_key=f"test-{next(_keys)}",
        paid_at=paid_at or timezone.now(),
    )
    for seller in dict.fromkeys(item.seller for item in items):
        mine = [p for p in priced if p[0].seller == seller]
        total = sum(p[1] + p[2] for p in mine)
        sub_order = SubOrder.objects.create(
            order=order,
            seller=seller,
            status="paid",
            subtotal=sum(p[1] for p in mine),
            tax_total=sum(p[2] for p in mine),
            total=total,
            commission_total=sum(p[3] for p in mine),
            seller_net=total - sum(p[2] + p[3] for p in mine),
        )
        for item, subtotal, tax_amount, commission_amount in mine:
            OrderLine.objects.create(
                order=order,
                sub_order=sub_order,
                product=item.product,
                product_type="software",
                title=item.title,
                quantity=item.quantity,
                unit_amount=item.unit_amount,
                subtotal=subtotal,
                tax_rate_bp=item.tax_rate_bp,
                tax_name=item.tax_name,
                tax_amount=tax_amount,
                total=subtotal + tax_amount,
                commission_rate_bp=item.commission_rate_bp,
                commission_amount=commission_amount,
                seller_net=subtotal - commission_amount,
                status="fulfilled",
            )
    return order


def make_refund(order: Order, amounts: dict[OrderLine, int], reason: str = "") -> Refund:
    """Each line's refunded amount split in the line's own proportions of tax, commission
    and seller net (remainders to the largest part, as Money.allocate does)."""
    refund = Refund.objects.create(
        order=order,
        currency=order.currency,
        amount=sum(amounts.values()),
        reason=reason,
        idempotency_key=f"refund-{next(_keys)}",
    )
    for line, amount in amounts.items():
        tax, commission, seller = Money(amount, order.currency).allocate(
            [line.tax_amount, line.commission_amount, line.seller_net]
        )
        RefundLine.objects.create(
            refund=refund,
            order_line=line,
            amount=amount,
            tax_amount=tax.amount,
            commission_amount=commission.amount,
            seller_amount=seller.amount,
        )
        line.refunded_amount += amount
        line.save(update_fields=["refunded_amount"])
    order.refunded_total += refund.amount
    order.save(update_fields=["refunded_total"])
    return refund


# --- reading a PDF -------------------------------------------------------------------------

_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(literal: bytes) -> bytes:
    def one(match: re.Match[bytes]) -> bytes:
        escaped = match.group(1)
        if escaped[:1].isdigit():
            return bytes([int(escaped, 8)])
        return _ESCAPES.get(escaped, escaped)

    return re.sub(rb"\\([0-7]{1,3}|.)", one, literal, flags=re.DOTALL)


def pdf_text(pdf: bytes) -> list[str]:
    """The strings an uncompressed PDF of one embedded Unicode font shows, in drawing order:
    two-byte glyph codes mapped back to text through the font's ToUnicode CMap."""
    to_unicode: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", pdf, flags=re.DOTALL):
        for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            to_unicode[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    shown = []
    for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", pdf, flags=re.DOTALL):
        raw = _unescape(literal)
        codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
        shown.append("".join(to_unicode.get(code, "\ufffd") for code in codes))
    return shown
