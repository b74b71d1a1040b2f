"""Escrow for service lines (gigs, consulting): the seller's share of a paid line is held in
``escrow:<line>`` until the selling module releases it (delivery accepted, a milestone done,
an auto-accept timer, a dispute decided) or returns it to the buyer. Each call carries the
module's own reference (e.g. ``milestone:12``), so repeating it books nothing twice."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core import events
from core.commerce.errors import CommerceError, CommerceErrorCode
from core.commerce.models import LineStatus, Order, OrderLine, Refund, SubOrder
from core.commerce.services.fulfilment import advance_order
from core.commerce.services.refunds import LineRefund, refund_order
from core.errors import ErrorKind
from core.money import Money
from core.payments import ledger
from core.payments.ledger import credit, debit
from core.payments.models import EntryKind


def held_in_escrow(line: OrderLine, currency: str) -> int:
    return -ledger.balance(ledger.escrow(line.pk), currency).amount


@transaction.atomic
def release_escrow(*, order_line_id: int, reference: str, amount: int | None = None) -> int:
    """Release ``amount`` (default: all that is held) to the seller; returns what was
    released (0 when this reference was released before)."""
    order_id = OrderLine.objects.values_list("order_id", flat=True).get(pk=order_line_id)
    order = Order.objects.select_for_update().get(pk=order_id)
    line = OrderLine.objects.select_for_update().get(pk=order_line_id)
    if not line.is_escrow:
        raise CommerceError(
            CommerceErrorCode.ESCROW_INSUFFICIENT,
            "This line is not held in escrow.",
            kind=ErrorKind.CONFLICT,
        )
    if ledger.is_booked(EntryKind.ESCROW_RELEASE, f"line:{line.pk}:{reference}"):
        return 0
    held = held_in_escrow(line, order.currency)
    release = held if amount is None else amount
    if release <= 0 or release > held:
        raise CommerceError(
            CommerceErrorCode.ESCROW_INSUFFICIENT,
            f"{Money(held, order.currency)} is held; "
            f"cannot release {Money(max(release, 0), order.currency)}.",
            details={"held": held},
            kind=ErrorKind.CONFLICT,
        )
    seller_id = SubOrder.objects.values_list("seller_id", flat=True).get(pk=line.sub_order_id)
    ledger.post_entry(
        kind=EntryKind.ESCROW_RELEASE,
        reference=f"line:{line.pk}:{reference}",
        order_id=order.pk,
        postings=[
            debit(ledger.escrow(line.pk), Money(release, order.currency), seller_id),
            credit(ledger.seller_payable(seller_id), Money(release, order.currency), seller_id),
        ],
    )
    if release == held and line.status in (LineStatus.FULFILLED, LineStatus.FULFILLING):
        line.status, line.completed_at = LineStatus.COMPLETED, timezone.now()
        line.fulfilled_at = line.fulfilled_at or line.completed_at
        line.save(update_fields=["status", "completed_at", "fulfilled_at"])
        advance_order(order)
    events.emit(
        "escrow.released",
        {"order_id": order.pk, "line_id": line.pk, "amount": release, "reference": reference},
    )
    return release


def refund_escrow(
    *, order_line_id: int, reference: str, amount: int | None = None, reason: str = ""
) -> Refund:
    """Give the buyer back ``amount`` of the line (default: all not yet refunded); the
    seller's part comes out of what escrow still holds."""
    order_id = OrderLine.objects.values_list("order_id", flat=True).get(pk=order_line_id)
    return refund_order(
        order_id=order_id,
        lines=[LineRefund(order_line_id, amount)],
        reason=reason or "Escrow returned to the buyer",
        idempotency_key=f"escrow:{order_line_id}:{reference}",
        actor=None,
        actor_label="system:escrow",
    )
