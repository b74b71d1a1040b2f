"""Order e-mails: plain text with an HTML alternative, written now (in the order's schema)
and sent after the transaction commits, so a rolled-back change mails nobody (as in
core.accounts.emails)."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django_tenants.utils import schema_context

from core.commerce.invoices import render_invoice_pdf
from core.commerce.models import Invoice, InvoiceKind, Order, OrderLine, Refund, SubOrder
from core.marketplace import current_marketplace
from core.money import Money
from core.schema import current_schema_name
from core.sellers.models import TeamMember, TeamPermission

TEMPLATES = "commerce/email/"


def send_order_mail(
    *,
    to: list[str],
    subject: str,
    template: str,
    context: dict[str, Any],
    attachment: Invoice | None = None,
) -> None:
    """The PDF is rendered after the commit too: outside the invoice-number lock, and a
    failure there cannot undo a captured payment (robust: it is logged, not raised)."""
    name = current_marketplace().name
    context = {**context, "marketplace_name": name}
    text = render_to_string(f"{TEMPLATES}{template}.txt", context)
    html = render_to_string(f"{TEMPLATES}{template}.html", context)
    schema = current_schema_name()

    def deliver() -> None:
        message = EmailMultiAlternatives(f"[{name}] {subject}", text, None, to)
        message.attach_alternative(html, "text/html")
        if attachment is not None:
            with schema_context(schema):
                pdf = render_invoice_pdf(attachment)
            message.attach(f"{attachment.number}.pdf", pdf, "application/pdf")
        message.send(fail_silently=False)

    transaction.on_commit(deliver, robust=True)


def _line(line: OrderLine, currency: str) -> dict[str, Any]:
    return {
        "title": line.title,
        "quantity": line.quantity,
        "total": Money(line.total, currency),
        "tax": Money(line.tax_amount, currency),
    }


def send_order_confirmation(*, order: Order) -> None:
    """To the buyer, with the invoice PDF when the order has one."""
    money = {
        field: Money(getattr(order, field), order.currency)
        for field in ("subtotal", "discount_total", "tax_total", "total")
    }
    sections = [
        {
            "seller": sub_order.seller.business_name,
            "lines": [_line(line, order.currency) for line in sub_order.lines.order_by("id")],
        }
        for sub_order in order.sub_orders.select_related("seller").order_by("id")
    ]
    invoice = Invoice.objects.filter(order=order, kind=InvoiceKind.INVOICE).first()
    send_order_mail(
        to=[order.email],
        subject=f"Your order {order.pk} is confirmed",
        template="order_confirmation",
        context={"order": order, "sections": sections, "invoice": invoice, **money},
        attachment=invoice,
    )


def _order_handlers(sub_order: SubOrder) -> list[str]:
    """The seller's owner and the team members who may process orders."""
    seller = sub_order.seller
    addresses = [seller.owner.email]
    for member in TeamMember.objects.filter(seller=seller, user__is_active=True).select_related(
        "user"
    ):
        if TeamPermission.PROCESS_ORDERS in member.permissions:
            addresses.append(member.user.email)
    return list(dict.fromkeys(addresses))


def send_seller_new_order(*, sub_order: SubOrder) -> None:
    currency = sub_order.order.currency
    send_order_mail(
        to=_order_handlers(sub_order),
        subject=f"New order {sub_order.order_id}",
        template="seller_new_order",
        context={
            "sub_order": sub_order,
            "order": sub_order.order,
            "lines": [_line(line, currency) for line in sub_order.lines.order_by("id")],
            "total": Money(sub_order.total, currency),
            "commission": Money(sub_order.commission_total, currency),
            "seller_net": Money(sub_order.seller_net, currency),
        },
    )


def send_refund_notice(*, refund: Refund) -> None:
    """To the buyer, with the credit note PDF when one was issued."""
    order = refund.order
    credit_note = Invoice.objects.filter(refund=refund).first()
    lines = [
        {"title": line.order_line.title, "amount": Money(line.amount, refund.currency)}
        for line in refund.lines.select_related("order_line").order_by("id")
    ]
    send_order_mail(
        to=[order.email],
        subject=f"Refund for order {order.pk}",
        template="refund_notice",
        context={
            "order": order,
            "refund": refund,
            "lines": lines,
            "amount": Money(refund.amount, refund.currency),
            "credit_note": credit_note,
        },
        attachment=credit_note,
    )
