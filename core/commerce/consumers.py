"""Follow-ups of money events, delivered through the outbox after the change committed: the
documents a paid order or a refund needs, and the notifications (with their e-mails) to the
buyer and the sellers. Idempotent (documents are issued once; notifications carry a dedupe
key, so a redelivered event notifies nobody twice)."""

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
    emails.notify_order_paid(order=order)
    for sub_order in SubOrder.objects.filter(order=order).select_related("seller").order_by("id"):
        emails.notify_seller_new_order(sub_order=sub_order)


@consumer("refund.created")
def credit_and_notify_refund(payload: dict[str, Any]) -> None:
    refund = Refund.objects.select_related("order").get(pk=payload["refund_id"])
    issue_credit_note(refund=refund)
    emails.notify_refund(refund=refund)
