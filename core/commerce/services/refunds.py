"""Refunds: full or partial, per line. The amount of each line is split into its tax,
commission and seller parts in proportion (cumulatively, so a line refunded in several steps
ends exactly at its original parts), the provider refunds the charge, and the ledger takes the
parts back from wherever the line's money sits: the buyer's clearing account (not yet
delivered), the line's escrow, or the seller's payable balance (delivered). A fully refunded
line is revoked through its module's hook."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from core import events
from core.accounts.models import User
from core.commerce.errors import CommerceError, CommerceErrorCode, field_error
from core.commerce.models import (
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundLine,
    SubOrder,
)
from core.commerce.services.fulfilment import refunded_parts
from core.commerce.services.orders import transition_order
from core.errors import ErrorKind
from core.money import Money
from core.payments import ledger
from core.payments.ledger import Posting, credit, debit
from core.payments.models import EntryKind
from core.payments.providers import get_provider
from core.payments.services.payouts import recover_overdrawn_balance

REFUNDABLE = {
    OrderStatus.PAID,
    OrderStatus.FULFILLING,
    OrderStatus.FULFILLED,
    OrderStatus.COMPLETED,
    OrderStatus.PARTIALLY_REFUNDED,
    OrderStatus.DISPUTED,
}


@dataclass(frozen=True)
class LineRefund:
    line_id: int
    amount: int | None = None  # None: everything not yet refunded on the line


def refund_order(
    *,
    order_id: int,
    lines: list[LineRefund] | None,
    reason: str,
    idempotency_key: str,
    actor: User | None,
    actor_label: str,
    seller_id: int | None = None,
    call_provider: bool = True,
) -> Refund:
    """Refund the given lines (all of the order when ``lines`` is None). ``seller_id``
    restricts a seller to their own lines; ``call_provider`` is False for chargebacks, where
    the provider already took the money back."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        existing = Refund.objects.filter(order=order, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        if order.status not in REFUNDABLE:
            raise CommerceError(
                CommerceErrorCode.INVALID_REFUND,
                f"A {order.get_status_display().lower()} order cannot be refunded.",
                kind=ErrorKind.CONFLICT,
            )
        order_lines = {
            line.pk: line
            for line in OrderLine.objects.select_for_update().filter(order=order).order_by("id")
        }
        wanted = _resolve(order_lines, lines, seller_id)
        total = sum(amount for _, amount in wanted)
        if total <= 0:
            raise field_error(
                CommerceErrorCode.INVALID_REFUND, "lines", "Nothing left to refund on these lines."
            )
        payment = Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).first()
        if payment is None:
            raise CommerceError(
                CommerceErrorCode.INVALID_REFUND,
                "This order has no captured payment.",
                kind=ErrorKind.CONFLICT,
            )
        reference = ""
        if call_provider and not payment.reference.startswith("free_"):
            reference = (
                get_provider(payment.provider)
                .refund(
                    reference=payment.reference,
                    amount=Money(total, order.currency),
                    idempotency_key=f"refund-{order.pk}-{idempotency_key}",
                )
                .reference
            )
        refund = Refund.objects.create(
            order=order,
            currency=order.currency,
            amount=total,
            reason=reason[:300],
            provider_reference=reference,
            requested_by=actor,
            idempotency_key=idempotency_key,
        )
        sellers = dict(SubOrder.objects.filter(order=order).values_list("pk", "seller_id"))
        postings: list[Posting] = []
        refund_lines = []
        revoked: list[int] = []
        for line, amount in wanted:
            parts = _split(line, amount, order.currency)
            refund_lines.append(RefundLine(refund=refund, order_line=line, amount=amount, **parts))
            postings += _postings(order, line, parts, sellers[line.sub_order_id])
            line.refunded_amount += amount
            fields = ["refunded_amount"]
            if line.refunded_amount == line.total:
                if line.fulfilled_at is not None or line.status == LineStatus.FULFILLING:
                    revoked.append(line.pk)
                line.status = LineStatus.REVOKED
                fields.append("status")
            line.save(update_fields=fields)
        RefundLine.objects.bulk_create(refund_lines)
        postings.append(credit(ledger.PROVIDER_CASH, Money(total, order.currency)))
        ledger.post_entry(
            kind=EntryKind.REFUND,
            reference=f"refund:{refund.pk}",
            order_id=order.pk,
            postings=postings,
        )
        if call_provider:
            # Already paid out? The seller's share comes back by reversing their transfer.
            for seller_id in sorted({sellers[line.sub_order_id] for line, _ in wanted}):
                recover_overdrawn_balance(
                    seller_id=seller_id, currency=order.currency, reference=f"refund:{refund.pk}"
                )
        order.refunded_total += total
        order.save(update_fields=["refunded_total"])
        fully = order.refunded_total == order.total
        sub_orders = [] if not fully else list(SubOrder.objects.filter(order=order))
        transition_order(
            order,
            OrderStatus.REFUNDED if fully else OrderStatus.PARTIALLY_REFUNDED,
            actor=actor,
            actor_label=actor_label,
            note=f"{Money(total, order.currency)}: {reason}",
            sub_orders=sub_orders,
        )
        events.emit(
            "refund.created",
            {
                "refund_id": refund.pk,
                "order_id": order.pk,
                "amount": total,
                "currency": order.currency,
                "lines": [{"id": line.pk, "amount": amount} for line, amount in wanted],
                "revoked_line_ids": revoked,
            },
        )
        transaction.on_commit(lambda: _queue_revocations(revoked))
    return refund


def _queue_revocations(line_ids: list[int]) -> None:
    from core.commerce.tasks import revoke_order_line

    for line_id in line_ids:
        revoke_order_line.delay(line_id)


def _resolve(
    order_lines: dict[int, OrderLine], requested: list[LineRefund] | None, seller_id: int | None
) -> list[tuple[OrderLine, int]]:
    if requested is None:
        requested = [LineRefund(line_id) for line_id in order_lines]
    seller_of = (
        dict(
            SubOrder.objects.filter(
                pk__in={line.sub_order_id for line in order_lines.values()}
            ).values_list("pk", "seller_id")
        )
        if seller_id is not None
        else {}
    )
    result: list[tuple[OrderLine, int]] = []
    seen: set[int] = set()
    for index, item in enumerate(requested):
        line = order_lines.get(item.line_id)
        if line is None or (
            seller_id is not None and seller_of.get(line.sub_order_id) != seller_id
        ):
            raise field_error(
                CommerceErrorCode.INVALID_REFUND, f"lines[{index}].line_id", "No such order line."
            )
        if line.pk in seen:
            raise field_error(
                CommerceErrorCode.INVALID_REFUND, f"lines[{index}].line_id", "Line given twice."
            )
        seen.add(line.pk)
        left = line.total - line.refunded_amount
        amount = left if item.amount is None else item.amount
        if amount < 0 or amount > left or (item.amount is not None and amount == 0):
            raise field_error(
                CommerceErrorCode.INVALID_REFUND,
                f"lines[{index}].amount",
                f"Refund between 1 and {left} (minor units) on this line.",
                refundable=left,
            )
        if amount:
            result.append((line, amount))
    return result


def _split(line: OrderLine, amount: int, currency: str) -> dict[str, int]:
    """This refund's tax/commission/seller parts: the parts of everything refunded after it
    minus the parts refunded before (so the last refund lands exactly on the line's parts)."""
    weights = [line.tax_amount, line.commission_amount, line.seller_net]
    if sum(weights) == 0:
        return {"tax_amount": 0, "commission_amount": 0, "seller_amount": amount}
    before = refunded_parts(line)
    after = Money(line.refunded_amount + amount, currency).allocate(weights)
    tax, commission, seller = (a.amount - b for a, b in zip(after, before, strict=True))
    return {"tax_amount": tax, "commission_amount": commission, "seller_amount": seller}


def _postings(
    order: Order, line: OrderLine, parts: dict[str, int], seller_id: int
) -> list[Posting]:
    currency = order.currency
    amount = parts["tax_amount"] + parts["commission_amount"] + parts["seller_amount"]
    if not line.is_escrow and line.status in (LineStatus.PENDING, LineStatus.FULFILLING):
        # Not delivered yet: the money is still the buyer's, in the order's clearing account.
        return [debit(ledger.buyer_clearing(order.pk), Money(amount, currency))]
    postings = [
        debit(ledger.TAX_PAYABLE, Money(parts["tax_amount"], currency)),
        debit(ledger.PLATFORM_FEES, Money(parts["commission_amount"], currency)),
    ]
    seller_part = parts["seller_amount"]
    if line.is_escrow:
        held = -ledger.balance(ledger.escrow(line.pk), currency).amount
        from_escrow = min(held, seller_part)
        postings.append(debit(ledger.escrow(line.pk), Money(from_escrow, currency), seller_id))
        seller_part -= from_escrow
    postings.append(
        debit(ledger.seller_payable(seller_id), Money(seller_part, currency), seller_id)
    )
    return postings
