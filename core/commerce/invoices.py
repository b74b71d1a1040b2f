"""Invoices and credit notes: numbered without gaps per marketplace, rendered as PDF.

Numbers come from ``CommerceSettings.next_invoice_number`` under a row lock held until the
caller's transaction ends, so a rolled-back checkout returns its number and two concurrent
captures never share one. Invoices and credit notes share the sequence."""

from __future__ import annotations

import functools
import unicodedata
from collections import defaultdict
from collections.abc import Container
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from fpdf import FPDF, FontFace
from fpdf.bidi import BidiParagraph

from core.commerce.errors import CommerceError
from core.commerce.models import (
    CommerceSettings,
    Invoice,
    InvoiceKind,
    Order,
    OrderLine,
    Refund,
    RefundLine,
    SubOrder,
)
from core.errors import ErrorKind
from core.marketplace import current_marketplace
from core.money import Money

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "DejaVuSans.ttf"
FONT = "dejavu"


class DocumentErrorCode(StrEnum):
    ORDER_NOT_PAID = "order_not_paid"
    DOCUMENT_NOT_FOUND = "document_not_found"
    INVALID_REPORT_QUERY = "invalid_report_query"


class DocumentError(CommerceError):
    pass


# --- numbering -------------------------------------------------------------------------------


def _take_number() -> str:
    """The next number; the lock on the settings row lasts until the caller commits."""
    policy, _ = CommerceSettings.objects.select_for_update().get_or_create(pk=1)
    CommerceSettings.objects.filter(pk=1).update(next_invoice_number=F("next_invoice_number") + 1)
    return f"{policy.invoice_prefix}{policy.next_invoice_number:06d}"


def issue_invoice(*, order: Order) -> Invoice:
    """The order's invoice, issued on first call (idempotent)."""
    existing = Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).first()
    if existing is not None:
        return existing
    if order.paid_at is None:
        raise DocumentError(
            DocumentErrorCode.ORDER_NOT_PAID,
            "Only a paid order gets an invoice.",
            kind=ErrorKind.CONFLICT,
        )
    with transaction.atomic():
        number = _take_number()
        # A concurrent call for the same order may have issued it while we waited on the lock.
        existing = Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).first()
        if existing is not None:
            transaction.set_rollback(True)  # give the number back
            return existing
        return Invoice.objects.create(order=order, kind=InvoiceKind.INVOICE, number=number)


def issue_credit_note(*, refund: Refund) -> Invoice:
    """The refund's credit note (idempotent); the order's invoice is issued first if missing,
    since a credit note corrects an invoice."""
    existing = Invoice.objects.filter(refund=refund).first()
    if existing is not None:
        return existing
    issue_invoice(order=refund.order)
    with transaction.atomic():
        number = _take_number()
        existing = Invoice.objects.filter(refund=refund).first()
        if existing is not None:
            transaction.set_rollback(True)
            return existing
        return Invoice.objects.create(
            order_id=refund.order_id, refund=refund, kind=InvoiceKind.CREDIT_NOTE, number=number
        )


# --- text the font can show ------------------------------------------------------------------

_FORMS = ("ISOLATED", "FINAL", "INITIAL", "MEDIAL")
_LAM = "\u0644"
_ALEFS = frozenset("\u0622\u0623\u0625\u0627")
# Brackets in a right-to-left run are drawn mirrored.
_MIRRORED = str.maketrans("()[]{}<>«»", ")(][}{><»«")


@functools.cache
def _arabic_form(char: str, form: str) -> str | None:
    """The presentation form (``ARABIC LETTER BEH INITIAL FORM``) of a letter, if any."""
    name = unicodedata.name(char, "")
    if not name.startswith("ARABIC LETTER "):
        return None
    try:
        return unicodedata.lookup(f"{name} {form} FORM")
    except KeyError:
        return None


def _joins_next(char: str) -> bool:
    return _arabic_form(char, "INITIAL") is not None


def _joins_previous(char: str) -> bool:
    return _arabic_form(char, "FINAL") is not None


def _shape_arabic(text: str, available: Container[int]) -> str:
    """Contextual Arabic letter forms, so letters join without a shaping engine (fpdf2 needs
    uharfbuzz for that). Marks between letters are transparent; lam + alef become their
    ligature; a form the font lacks leaves the letter as it is."""
    letters = [i for i, c in enumerate(text) if _arabic_form(c, "ISOLATED")]
    out = list(text)

    def linked(first: int, second: int) -> bool:
        return (
            _joins_next(text[first])
            and _joins_previous(text[second])
            and all(unicodedata.category(c) == "Mn" for c in text[first + 1 : second])
        )

    for position, index in enumerate(letters):
        if not out[index]:
            continue  # the alef of a lam-alef ligature
        before = letters[position - 1] if position else None
        after = letters[position + 1] if position + 1 < len(letters) else None
        joined_before = before is not None and linked(before, index)
        joined_after = after is not None and linked(index, after)
        if text[index] == _LAM and after is not None and joined_after and text[after] in _ALEFS:
            alef = unicodedata.name(text[after]).removeprefix("ARABIC LETTER ")
            form = "FINAL" if joined_before else "ISOLATED"
            ligature = unicodedata.lookup(f"ARABIC LIGATURE LAM WITH {alef} {form} FORM")
            if ord(ligature) in available:
                out[index], out[after] = ligature, ""
                continue
        shaped = _arabic_form(text[index], _FORMS[joined_before + 2 * joined_after])
        if shaped is not None and ord(shaped) in available:
            out[index] = shaped
    return "".join(out)


def printable(text: str, available: Container[int]) -> str:
    """What a font with ``available`` code points can draw: Arabic shaped and right-to-left
    runs in visual order; control characters become spaces, characters it lacks "?"."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in text):
        visual = BidiParagraph(_shape_arabic(text, available)).get_reordered_characters()
        text = "".join(
            c.character.translate(_MIRRORED) if c.embedding_level % 2 else c.character
            for c in visual
        )
    return "".join(c if c == " " or ord(c) in available else "?" for c in text)


# --- the PDF ---------------------------------------------------------------------------------


def format_rate(rate_bp: int) -> str:
    """2000 -> "20%", 1250 -> "12.5%", 725 -> "7.25%"."""
    whole, fraction = divmod(rate_bp, 100)
    return f"{whole}%" if not fraction else f"{whole}.{fraction:02d}".rstrip("0") + "%"


class _Row(NamedTuple):
    title: str
    quantity: str
    unit_price: str
    tax_rate: str
    tax: str
    total: str


@dataclass
class _Document:
    title: str
    sections: dict[int, tuple[str, list[_Row]]]  # sub-order id -> (heading, rows)
    taxes: dict[tuple[str, int], int]  # (tax name, rate bp) -> tax amount
    totals: list[tuple[str, Money]]
    notes: list[str]


def _seller_heading(sub_order: SubOrder) -> str:
    seller = sub_order.seller
    tax_id = f" (tax ID {seller.tax_id})" if seller.tax_id else ""
    return f"Sold by {seller.business_name}{tax_id}"


def _section(document: _Document, sub_order: SubOrder) -> list[_Row]:
    """The rows of one seller's part of the document (made on first use)."""
    return document.sections.setdefault(sub_order.pk, (_seller_heading(sub_order), []))[1]


def _invoice_document(order: Order) -> _Document:
    money = functools.partial(Money, currency=order.currency)
    lines = list(OrderLine.objects.filter(order=order).select_related("sub_order__seller"))
    document = _Document("Invoice", {}, defaultdict(int), [], [])
    for line in lines:
        _section(document, line.sub_order).append(
            _Row(
                line.title,
                str(line.quantity),
                money(line.unit_amount).to_decimal_string(),
                format_rate(line.tax_rate_bp),
                money(line.tax_amount).to_decimal_string(),
                money(line.total).to_decimal_string(),
            )
        )
        document.taxes[(line.tax_name, line.tax_rate_bp)] += line.tax_amount
    document.totals = [("Subtotal", money(order.subtotal))]
    if order.discount_total:
        document.totals.append(("Discount", money(-order.discount_total)))
    document.totals += [("Tax", money(order.tax_total)), ("Total", money(order.total))]
    if order.prices_include_tax:
        document.notes.append("Prices include tax.")
    return document


def _credit_note_document(invoice: Invoice) -> _Document:
    refund = invoice.refund
    assert refund is not None  # a credit note always has its refund (see issue_credit_note)
    money = functools.partial(Money, currency=refund.currency)
    refund_lines = RefundLine.objects.filter(refund=refund).select_related(
        "order_line__sub_order__seller"
    )
    document = _Document("Credit note", {}, defaultdict(int), [], [])
    tax_total = 0
    for refund_line in refund_lines.order_by("id"):
        line = refund_line.order_line
        _section(document, line.sub_order).append(
            _Row(
                line.title,
                "",
                "",
                format_rate(line.tax_rate_bp),
                money(-refund_line.tax_amount).to_decimal_string(),
                money(-refund_line.amount).to_decimal_string(),
            )
        )
        document.taxes[(line.tax_name, line.tax_rate_bp)] -= refund_line.tax_amount
        tax_total += refund_line.tax_amount
    document.totals = [
        ("Refunded excluding tax", money(tax_total - refund.amount)),
        ("Tax", money(-tax_total)),
        ("Total refunded", money(-refund.amount)),
    ]
    original = Invoice.objects.filter(order_id=invoice.order_id, kind=InvoiceKind.INVOICE).first()
    if original is not None:
        document.notes.append(f"Corrects invoice {original.number}.")
    if refund.reason:
        document.notes.append(f"Reason: {refund.reason}")
    return document


class _InvoicePdf(FPDF):
    def __init__(self, *, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.add_font(FONT, "", str(FONT_PATH))
        self.codepoints: Container[int] = self.fonts[FONT].cmap  # type: ignore[union-attr]
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)

    def write_line(self, text: str, *, size: float = 10, bold: bool = False) -> None:
        self.set_font(FONT, size=size)
        # The one bundled face is regular; headings are stroked for weight.
        with self.local_context(text_mode="FILL_STROKE" if bold else "FILL", line_width=0.2):
            self.multi_cell(0, size * 0.5, printable(text, self.codepoints))
        self.ln(1)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(
            0, 5, f"{printable(self.footer_text, self.codepoints)}  ·  {self.page_no()}/{{nb}}"
        )


_COLUMNS = ("Item", "Qty", "Unit price", "Tax rate", "Tax", "Total")
_WIDTHS = (74, 12, 26, 18, 24, 26)
_ALIGN = ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")


def render_invoice_pdf(invoice: Invoice, *, compress: bool = True) -> bytes:
    order = Order.objects.select_related("buyer").get(pk=invoice.order_id)
    is_credit_note = invoice.kind == InvoiceKind.CREDIT_NOTE
    document = _credit_note_document(invoice) if is_credit_note else _invoice_document(order)
    marketplace = current_marketplace().name
    pdf = _InvoicePdf(footer_text=f"{marketplace} · {document.title} {invoice.number}")
    pdf.set_compression(compress)
    pdf.set_title(f"{document.title} {invoice.number}")
    pdf.set_author(marketplace)
    pdf.add_page()

    pdf.write_line(marketplace, size=16, bold=True)
    pdf.write_line(f"{document.title} {invoice.number}", size=13, bold=True)
    issued = timezone.localtime(invoice.issued_at).date().isoformat()
    pdf.write_line(f"Date: {issued}    Order: {order.pk}")
    pdf.ln(2)
    region = f"-{order.billing_region}" if order.billing_region else ""
    pdf.write_line("Billed to", bold=True)
    for text in (order.billing_name or order.buyer.full_name, order.email):
        if text:
            pdf.write_line(text)
    if order.billing_country:
        pdf.write_line(f"Country: {order.billing_country}{region}")

    for heading, rows in document.sections.values():
        pdf.ln(3)
        pdf.write_line(heading, size=11, bold=True)
        pdf.set_font(FONT, size=9)
        with pdf.table(
            col_widths=_WIDTHS,
            text_align=_ALIGN,
            headings_style=FontFace(emphasis=None, fill_color=(235, 235, 235)),
            line_height=5,
        ) as table:
            for cells in (_COLUMNS, *rows):
                table_row = table.row()
                for cell in cells:
                    table_row.cell(printable(cell, pdf.codepoints))

    pdf.ln(3)
    currency = order.currency
    for (tax_name, rate_bp), amount in sorted(
        document.taxes.items(), key=lambda kv: (kv[0][1], kv[0][0])
    ):
        if rate_bp or amount:
            label = f"{tax_name or 'Tax'} {format_rate(rate_bp)}"
            pdf.write_line(f"{label}: {Money(amount, currency)}", size=9)
    pdf.ln(2)
    for label, total in document.totals:
        pdf.write_line(f"{label}: {total}", size=11, bold=label.startswith("Total"))
    for note in document.notes:
        pdf.write_line(note, size=9)
    return bytes(pdf.output())
