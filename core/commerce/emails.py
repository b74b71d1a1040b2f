"""Order e-mails: plain text with an HTML alternative.

Paid orders, new orders for sellers and refunds reach people through core.notifications
(``notify_*`` below, called by the commerce consumers): in-app, and by e-mail, push or text as
each person chose. Their e-mails are built here (``@email_builder``) with the same templates,
wording and PDF attachments as ever, when the notification is delivered. ``send_*`` send the
same e-mail directly, written now (in the order's schema) and sent after the transaction
commits, so a rolled-back change mails nobody (as in core.accounts.emails)."""

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
from core.notifications.email import email_builder
from core.notifications.models import Notification
from core.notifications.services import notify
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


def build_order_mail(
    *,
    to: list[str],
    subject: str,
    template: str,
    context: dict[str, Any],
    attachment: Invoice | None = None,
) -> EmailMultiAlternatives:
    """The same message as ``send_order_mail``, built now (at delivery, outside any lock)."""
    name = current_marketplace().name
    context = {**context, "marketplace_name": name}
    message = EmailMultiAlternatives(
        f"[{name}] {subject}", render_to_string(f"{TEMPLATES}{template}.txt", context), None, to
    )
    message.attach_alternative(
        render_to_string(f"{TEMPLATES}{template}.html", context), "text/html"
    )
    if attachment is not None:
        message.attach(
            f"{attachment.number}.pdf", render_invoice_pdf(attachment), "application/pdf"
        )
    return message


def _line(line: OrderLine, currency: str) -> dict[str, Any]:
    return {
        "title": line.title,
        "quantity": line.quantity,
        "total": Money(line.total, currency),
        "tax": Money(line.tax_amount, currency),
    }


def _confirmation(order: Order) -> dict[str, Any]:
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
    return {
        "to": [order.email],
        "subject": f"Your order {order.pk} is confirmed",
        "template": "order_confirmation",
        "context": {"order": order, "sections": sections, "invoice": invoice, **money},
        "attachment": invoice,
    }


def send_order_confirmation(*, order: Order) -> None:
    """To the buyer, with the invoice PDF when the order has one."""
    send_order_mail(**_confirmation(order))


def notify_order_paid(*, order: Order) -> None:
    """The buyer hears of it (the e-mail is the confirmation with the invoice)."""
    notify(
        user_ids=[order.buyer_id],
        type_key="orders.paid",
        title=f"Your order {order.pk} is confirmed",
        body=f"Total {Money(order.total, order.currency)}.",
        url=f"/account/orders/{order.pk}/",
        data={"order_id": order.pk},
        dedupe_key=f"orders.paid:{order.pk}",
    )


@email_builder("orders.paid")
def _order_paid_email(notification: Notification) -> EmailMultiAlternatives | None:
    order = Order.objects.filter(pk=notification.data.get("order_id")).first()
    return build_order_mail(**_confirmation(order)) if order is not None else None


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


def _seller_new_order(sub_order: SubOrder, to: list[str]) -> dict[str, Any]:
    currency = sub_order.order.currency
    return {
        "to": to,
        "subject": f"New order {sub_order.order_id}",
        "template": "seller_new_order",
        "context": {
            "sub_order": sub_order,
            "order": sub_order.order,
            "lines": [_line(line, currency) for line in sub_order.lines.order_by("id")],
            "total": Money(sub_order.total, currency),
            "commission": Money(sub_order.commission_total, currency),
            "seller_net": Money(sub_order.seller_net, currency),
        },
    }


def send_seller_new_order(*, sub_order: SubOrder) -> None:
    send_order_mail(**_seller_new_order(sub_order, _order_handlers(sub_order)))


def _order_handler_ids(sub_order: SubOrder) -> list[int]:
    seller = sub_order.seller
    ids = [seller.owner_id]
    for member in TeamMember.objects.filter(seller=seller, user__is_active=True):
        if TeamPermission.PROCESS_ORDERS in member.permissions:
            ids.append(member.user_id)
    return list(dict.fromkeys(ids))


def notify_seller_new_order(*, sub_order: SubOrder) -> None:
    """The seller's owner and each teammate who processes orders, each by their own choice."""
    notify(
        user_ids=_order_handler_ids(sub_order),
        type_key="orders.received",
        title=f"New order {sub_order.order_id}",
        body=f"Your earnings: {Money(sub_order.seller_net, sub_order.order.currency)}.",
        url=f"/studio/orders/{sub_order.pk}/",
        data={"sub_order_id": sub_order.pk},
        dedupe_key=f"orders.received:{sub_order.pk}",
    )


@email_builder("orders.received")
def _seller_new_order_email(notification: Notification) -> EmailMultiAlternatives | None:
    sub_order = (
        SubOrder.objects.select_related("order", "seller")
        .filter(pk=notification.data.get("sub_order_id"))
        .first()
    )
    if sub_order is None:
        return None
    return build_order_mail(**_seller_new_order(sub_order, [notification.user.email]))


def _refund_notice(refund: Refund) -> dict[str, Any]:
    order = refund.order
    credit_note = Invoice.objects.filter(refund=refund).first()
    lines = [
        {"title": line.order_line.title, "amount": Money(line.amount, refund.currency)}
        for line in refund.lines.select_related("order_line").order_by("id")
    ]
    return {
        "to": [order.email],
        "subject": f"Refund for order {order.pk}",
        "template": "refund_notice",
        "context": {
            "order": order,
            "refund": refund,
            "lines": lines,
            "amount": Money(refund.amount, refund.currency),
            "credit_note": credit_note,
        },
        "attachment": credit_note,
    }


def send_refund_notice(*, refund: Refund) -> None:
    """To the buyer, with the credit note PDF when one was issued."""
    send_order_mail(**_refund_notice(refund))


def notify_refund(*, refund: Refund) -> None:
    """Money: a critical notification (its e-mail cannot be switched off)."""
    order = refund.order
    notify(
        user_ids=[order.buyer_id],
        type_key="orders.refunded",
        title=f"Refund for order {order.pk}",
        body=f"We refunded {Money(refund.amount, refund.currency)}.",
        url=f"/account/orders/{order.pk}/",
        data={"refund_id": refund.pk},
        dedupe_key=f"orders.refunded:{refund.pk}",
    )


@email_builder("orders.refunded")
def _refund_email(notification: Notification) -> EmailMultiAlternatives | None:
    refund = (
        Refund.objects.select_related("order").filter(pk=notification.data.get("refund_id")).first()
    )
    return build_order_mail(**_refund_notice(refund)) if refund is not None else None
