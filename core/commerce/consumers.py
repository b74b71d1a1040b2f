"""Follow-ups of money events, delivered through the outbox after the change committed: the
documents and e-mails a paid order or a refund needs. Idempotent (documents are issued once;
a redelivered event re-sends at most a mail)."""

from __future__ import annotations

from typing import Any

from core.commerce import emails
from core.commerce.invoices import issue_credit_note, issue_invoice
from core.commerce.models import Order, Refund, SubOrder
from core.events import consumer


@consumer("order.paid")
def invoice_and_notify_paid_order(payload: dict[str, Any]) -> None:
    order = Order.objects.get(pk=payload["order_id"])
    issue_invoice(order=order)
    emails.send_order_confirmation(order=order)
    for sub_order in SubOrder.objects.filter(order=order).order_by("id"):
        emails.send_seller_new_order(sub_order=sub_order)


@consumer("refund.created")
def credit_and_notify_refund(payload: dict[str, Any]) -> None:
    refund = Refund.objects.select_related("order").get(pk=payload["refund_id"])
    issue_credit_note(refund=refund)
    emails.send_refund_notice(refund=refund)
