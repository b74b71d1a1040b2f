"""Escrow for service lines (gigs, consulting): the seller's share of a paid line is held in
``escrow:<line>`` until the selling module releases it (delivery accepted, a milestone done,
an auto-accept timer, a dispute decided) or returns it to the buyer. Each call carries the
module's own reference (e.g. ``milestone:12``), so repeating it books nothing twice."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from core import events
from core.commerce.errors import CommerceError, CommerceErrorCode
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
from core.commerce.services.fulfilment import advance_order
from core.commerce.services.orders import transition_order
from core.commerce.services.refunds import LineRefund, refund_order
from core.errors import ErrorKind
from core.money import Money
from core.payments import ledger
from core.payments.ledger import credit, debit
from core.payments.models import EntryKind
from core.payments.providers import get_provider

# Apps that may freeze a line's escrow (core.disputes, while a dispute on the line is open)
# register a guard at start-up: it answers why the line may not be released, or None.
ReleaseGuard = Callable[[int], str | None]
_release_guards: list[ReleaseGuard] = []


def register_release_guard(guard: ReleaseGuard) -> None:
    if guard not in _release_guards:
        _release_guards.append(guard)


def release_refusal(order_line_id: int) -> str | None:
    for guard in _release_guards:
        refusal = guard(order_line_id)
        if refusal:
            return refusal
    return None


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
    refusal = release_refusal(line.pk)
    if refusal:
        raise CommerceError(
            CommerceErrorCode.ESCROW_INSUFFICIENT,
            refusal,
            details={"frozen": True},
            kind=ErrorKind.CONFLICT,
        )
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


def settle_disputed_line(
    *,
    order_line_id: int,
    pot_account: str,
    pot_amount: int,
    refund_to_buyer: int,
    release_to_seller: int,
    platform_compensation: int,
    reference: str,
    reason: str,
    actor_label: str,
    kind: EntryKind = EntryKind.DISPUTE_RESOLUTION,
) -> int:
    """A dispute's decision on a line, as ONE balanced journal entry ``(kind, reference)``:
    the frozen ``pot_amount`` in ``pot_account`` (the line's escrow or a dispute hold) is
    split into ``refund_to_buyer`` and ``release_to_seller`` (they must add up to the pot);
    ``platform_compensation`` comes out of the platform's fees. The buyer gets
    ``refund_to_buyer + platform_compensation`` back through one provider refund whose
    idempotency key is the entry's reference, so a retried decision refunds once (the
    provider answers the first refund again) and the entry is booked once. Returns what was
    refunded to the buyer (0 when this reference was booked before)."""
    order_id = OrderLine.objects.values_list("order_id", flat=True).get(pk=order_line_id)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        line = OrderLine.objects.select_for_update().get(pk=order_line_id)
        if ledger.is_booked(kind, reference):
            return 0
        currency = order.currency
        buyer_total = refund_to_buyer + platform_compensation
        left = line.total - line.refunded_amount
        if min(refund_to_buyer, release_to_seller, platform_compensation, pot_amount) < 0:
            raise _split_error("Amounts cannot be negative.", pot_amount, left)
        if refund_to_buyer + release_to_seller != pot_amount:
            raise _split_error(
                f"Refund and release must add up to the {Money(pot_amount, currency)} held.",
                pot_amount,
                left,
            )
        if buyer_total > left:
            raise _split_error(
                f"At most {Money(left, currency)} of this line can go back to the buyer.",
                pot_amount,
                left,
            )
        seller_id = SubOrder.objects.values_list("seller_id", flat=True).get(pk=line.sub_order_id)
        provider_reference = ""
        if buyer_total:
            payment = Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).first()
            if payment is None:
                raise CommerceError(
                    CommerceErrorCode.INVALID_REFUND,
                    "This order has no captured payment.",
                    kind=ErrorKind.CONFLICT,
                )
            if not payment.reference.startswith("free_"):
                provider_reference = (
                    get_provider(payment.provider)
                    .refund(
                        reference=payment.reference,
                        amount=Money(buyer_total, currency),
                        idempotency_key=f"{kind}-{reference}",
                    )
                    .reference
                )
        ledger.post_entry(
            kind=kind,
            reference=reference,
            order_id=order.pk,
            memo=reason[:300],
            postings=[
                debit(pot_account, Money(pot_amount, currency), seller_id),
                credit(
                    ledger.seller_payable(seller_id), Money(release_to_seller, currency), seller_id
                ),
                debit(ledger.PLATFORM_FEES, Money(platform_compensation, currency)),
                credit(ledger.PROVIDER_CASH, Money(buyer_total, currency)),
            ],
        )
        if buyer_total:
            refund = Refund.objects.create(
                order=order,
                currency=currency,
                amount=buyer_total,
                reason=reason[:300],
                provider_reference=provider_reference,
                idempotency_key=f"{kind}:{reference}"[:100],
            )
            RefundLine.objects.create(
                refund=refund,
                order_line=line,
                amount=buyer_total,
                tax_amount=0,
                commission_amount=platform_compensation,
                seller_amount=refund_to_buyer,
            )
            line.refunded_amount += buyer_total
            order.refunded_total += buyer_total
            order.save(update_fields=["refunded_total"])
            if order.status in (
                OrderStatus.PAID,
                OrderStatus.FULFILLING,
                OrderStatus.FULFILLED,
                OrderStatus.COMPLETED,
                OrderStatus.PARTIALLY_REFUNDED,
            ):
                fully = order.refunded_total == order.total
                transition_order(
                    order,
                    OrderStatus.REFUNDED if fully else OrderStatus.PARTIALLY_REFUNDED,
                    actor=None,
                    actor_label=actor_label,
                    note=f"{Money(buyer_total, currency)}: {reason}"[:300],
                    sub_orders=list(SubOrder.objects.filter(order=order)) if fully else [],
                )
            events.emit(
                "refund.created",
                {
                    "refund_id": refund.pk,
                    "order_id": order.pk,
                    "amount": buyer_total,
                    "currency": currency,
                    "lines": [{"id": line.pk, "amount": buyer_total}],
                    "revoked_line_ids": [],
                },
            )
        fields = ["refunded_amount"]
        if line.is_escrow and release_to_seller and line.status == LineStatus.FULFILLED:
            line.status, line.completed_at = LineStatus.COMPLETED, timezone.now()
            fields += ["status", "completed_at"]
        line.save(update_fields=fields)
    return buyer_total


def _split_error(message: str, held: int, refundable: int) -> CommerceError:
    return CommerceError(
        CommerceErrorCode.INVALID_REFUND,
        message,
        details={"held": held, "refundable": refundable},
        kind=ErrorKind.INVALID,
    )
