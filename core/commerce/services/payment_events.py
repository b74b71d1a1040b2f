"""What a provider tells us about a charge, applied to orders. Webhooks and reconciling tasks
call these; each is idempotent and tolerates events out of order (a failure reported after a
success changes nothing, a success after a failure still captures)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core import events
from core.accounts.models import User
from core.commerce.errors import CommerceError, CommerceErrorCode
from core.commerce.models import (
    CustomOffer,
    DiscountCode,
    LineStatus,
    OfferStatus,
    Order,
    OrderLine,
    OrderStatus,
    OrderTransition,
    Payment,
    PaymentStatus,
)
from core.commerce.services.capture import record_charge_result
from core.commerce.services.orders import transition_order
from core.commerce.services.refunds import refund_order
from core.errors import ErrorKind
from core.payments.providers import ChargeResult, ChargeStatus, get_provider
from core.risk.services.chargebacks import mark_lost_chargeback


def _payment(provider: str, reference: str) -> Payment | None:
    return Payment.objects.filter(provider=provider, reference=reference).order_by("-id").first()


def on_charge_succeeded(*, provider: str, reference: str, event_id: str) -> None:
    payment = _payment(provider, reference)
    if payment is not None:
        record_charge_result(
            payment_id=payment.pk,
            result=ChargeResult(ChargeStatus.SUCCEEDED, reference),
            actor_label=f"provider:{event_id}"[:80],
        )


def on_charge_failed(
    *, provider: str, reference: str, failure_code: str, failure_message: str, event_id: str
) -> None:
    payment = _payment(provider, reference)
    if payment is not None:
        record_charge_result(
            payment_id=payment.pk,
            result=ChargeResult(ChargeStatus.FAILED, reference, failure_code, failure_message),
            actor_label=f"provider:{event_id}"[:80],
        )


def confirm_payment(*, order: Order, confirmation: str) -> Payment:
    """The buyer's 3-D Secure step for the order's pending payment."""
    payment = (
        Payment.objects.filter(order=order, status=PaymentStatus.REQUIRES_ACTION)
        .order_by("-id")
        .first()
    )
    if payment is None:
        raise CommerceError(
            CommerceErrorCode.PAYMENT_NOT_PENDING,
            "This order has no payment waiting for confirmation.",
            kind=ErrorKind.CONFLICT,
        )
    result = get_provider(payment.provider).confirm(
        reference=payment.reference, confirmation=confirmation
    )
    return record_charge_result(payment_id=payment.pk, result=result, actor_label="buyer")


DISPUTE_CLOSED_NOTES = ("dispute won", "dispute lost")


@transaction.atomic
def on_dispute_opened(
    *, provider: str, reference: str, event_id: str, dispute_reference: str = ""
) -> None:
    payment = _payment(provider, reference)
    if payment is None:
        return
    order = Order.objects.select_for_update().get(pk=payment.order_id)
    if order.status in (OrderStatus.DISPUTED, OrderStatus.REFUNDED, OrderStatus.CANCELLED):
        return
    if _dispute_was_closed(order):
        return  # delivered after its own closing (providers do not promise the order)
    _open_dispute(order, provider, event_id, dispute_reference)


def _dispute_was_closed(order: Order) -> bool:
    return OrderTransition.objects.filter(order=order, note__in=DISPUTE_CLOSED_NOTES).exists()


def _open_dispute(order: Order, provider: str, event_id: str, dispute_reference: str) -> None:
    transition_order(order, OrderStatus.DISPUTED, actor_label=f"provider:{event_id}"[:80])
    events.emit(
        "order.disputed",
        {
            "order_id": order.pk,
            "event_id": event_id,
            "provider": provider,
            "dispute_reference": dispute_reference,
        },
    )


def on_dispute_closed(*, provider: str, reference: str, is_won: bool, event_id: str) -> None:
    """Won: the order returns to where it was. Lost: the provider took the money back, which
    is booked as a refund of everything left (without asking the provider to refund). A
    closing delivered before its opening opens the dispute first (and the late opening is
    then ignored)."""
    payment = _payment(provider, reference)
    if payment is None:
        return
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        if order.status != OrderStatus.DISPUTED:
            if order.status in (OrderStatus.REFUNDED, OrderStatus.CANCELLED):
                return
            if order.status == OrderStatus.PENDING_PAYMENT or _dispute_was_closed(order):
                return
            _open_dispute(order, provider, f"{event_id}:opened", "")
        previous = (
            OrderTransition.objects.filter(order=order, to_status=OrderStatus.DISPUTED)
            .order_by("-id")
            .values_list("from_status", flat=True)
            .first()
        ) or OrderStatus.PAID
        transition_order(
            order,
            OrderStatus(previous),
            actor_label=f"provider:{event_id}"[:80],
            note="dispute won" if is_won else "dispute lost",
        )
        events.emit(
            "order.dispute_closed",
            {"order_id": order.pk, "is_won": is_won, "event_id": event_id, "provider": provider},
        )
    if not is_won:  # the buyer, card, device and address now count against later checkouts
        mark_lost_chargeback(order_id=order.pk, buyer_id=order.buyer_id)
    if not is_won and order.refunded_total < order.total:
        refund_order(
            order_id=order.pk,
            lines=None,
            reason="Chargeback (dispute lost)",
            idempotency_key=f"chargeback-{event_id}",
            actor=None,
            actor_label=f"provider:{event_id}"[:80],
            call_provider=False,
        )


@transaction.atomic
def cancel_order(
    *, order_id: int, actor_label: str, actor: User | None = None, note: str = ""
) -> bool:
    """Cancel an unpaid order: its stock, code redemption and offers are given back."""
    from core.commerce.services.checkout import release_stock

    order = Order.objects.select_for_update().get(pk=order_id)
    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    if Payment.objects.filter(
        order=order, status__in=[PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED]
    ).exists():
        return False  # a charge may be in flight; reconcile it first
    if order.subscription_id is None:  # renewals take no stock
        release_stock(order)
    if order.discount_code:
        DiscountCode.objects.filter(code=order.discount_code, redemptions__gt=0).update(
            redemptions=F("redemptions") - 1
        )
    offer_ids = [line.offer_id for line in order.lines.all() if line.offer_id]
    CustomOffer.objects.filter(pk__in=offer_ids).update(status=OfferStatus.OPEN)
    transition_order(order, OrderStatus.CANCELLED, actor=actor, actor_label=actor_label, note=note)
    OrderLine.objects.filter(order=order).update(status=LineStatus.CANCELLED)
    return True


def expire_unpaid_orders(*, older_than_minutes: int) -> int:
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    expired = 0
    # Renewal orders wait for dunning (days), not for a buyer at the checkout.
    for order_id in Order.objects.filter(
        status=OrderStatus.PENDING_PAYMENT, created_at__lt=cutoff, subscription_id__isnull=True
    ).values_list("pk", flat=True):
        expired += cancel_order(order_id=order_id, actor_label="system:expiry", note="unpaid")
    return expired


def reconcile_processing_payments(*, older_than_seconds: int = 120) -> int:
    """Payments left "processing" (the process died between charging and recording) are
    charged again under the same provider idempotency key, which answers the original
    outcome instead of charging twice."""
    from core.commerce.services.checkout import charge_open_payment

    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stuck = Payment.objects.filter(status=PaymentStatus.PROCESSING, updated_at__lt=cutoff)
    count = 0
    for payment in stuck.select_related("order"):
        charge_open_payment(payment.order, payment, actor_label="system:reconcile")
        count += 1
    return count
