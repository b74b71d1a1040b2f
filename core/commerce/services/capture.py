"""A charge's outcome recorded, and a captured order booked: the ledger entries, the order's
and lines' transitions, the invoice, the order.paid event, and each line queued for its
module's ``fulfil`` hook after commit. Safe to run twice for the same payment (a webhook after
the API response, a retried task): the guarded status update lets only the first book."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core import events
from core.accounts.models import User
from core.commerce.models import (
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    SubOrder,
)
from core.commerce.services.orders import transition_order
from core.money import Money
from core.payments import ledger
from core.payments.ledger import credit, debit
from core.payments.models import EntryKind, PaymentCustomer, SavedPaymentMethod
from core.payments.providers import ChargeResult, ChargeStatus
from core.risk.selectors import is_order_held


def record_charge_result(
    *,
    payment_id: int,
    result: ChargeResult,
    actor_label: str,
    known: tuple[list[SubOrder], list[OrderLine]] | None = None,
    is_held: bool | None = None,
) -> Payment:
    """``known``: the order's sub-orders and lines when the caller holds them (checkout);
    ``is_held``: whether a risk review holds the order, when the caller knows (checkout)."""
    with transaction.atomic():
        # Locks the payment and its order (FOR UPDATE covers both joined rows).
        payment = Payment.objects.select_for_update().select_related("order").get(pk=payment_id)
        if payment.status == PaymentStatus.SUCCEEDED:
            return payment  # booked before; a late failure report changes nothing
        payment.reference = result.reference or payment.reference
        if result.status == ChargeStatus.SUCCEEDED:
            payment.status = PaymentStatus.SUCCEEDED
            payment.failure_code = payment.failure_message = payment.action_url = ""
        elif result.status == ChargeStatus.REQUIRES_ACTION:
            payment.status = PaymentStatus.REQUIRES_ACTION
            payment.action_url = result.action_url
        else:
            payment.status = PaymentStatus.FAILED
            payment.failure_code = result.failure_code[:40]
            payment.failure_message = result.failure_message[:300]
        payment.save(
            update_fields=[
                "reference",
                "status",
                "failure_code",
                "failure_message",
                "action_url",
                "updated_at",
            ]
        )
        if result.saved_method_reference:
            _save_method(payment, result)
        if payment.status == PaymentStatus.SUCCEEDED:
            capture_order(
                order=payment.order,
                payment=payment,
                actor_label=actor_label,
                known=known,
                is_held=is_held,
            )
    return payment


def _save_method(payment: Payment, result: ChargeResult) -> None:
    buyer_id = payment.order.buyer_id
    has_default = SavedPaymentMethod.objects.filter(user_id=buyer_id, is_default=True).exists()
    SavedPaymentMethod.objects.get_or_create(
        user_id=buyer_id,
        provider=payment.provider,
        reference=result.saved_method_reference,
        defaults={
            "brand": result.card_brand[:20],
            "last4": result.card_last4[:4],
            "is_default": not has_default,
        },
    )


def capture_order(
    *,
    order: Order,
    payment: Payment,
    actor_label: str,
    known: tuple[list[SubOrder], list[OrderLine]] | None = None,
    is_held: bool | None = None,
) -> bool:
    """Book the capture of the (locked) order once; False when it was captured before. The
    invoice and the e-mails follow from the order.paid event, off the buyer's request. An
    order a risk review holds stops at "paid": ``release_held_order`` fulfils it."""
    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    if is_held is None:
        is_held = is_order_held(order.pk)
    if known is None:
        known = (
            list(SubOrder.objects.filter(order=order)),
            list(OrderLine.objects.filter(order=order)),
        )
    sub_orders, lines = known
    order.paid_at = timezone.now()
    transition_order(
        order,
        OrderStatus.PAID,
        *(() if is_held else (OrderStatus.FULFILLING,)),
        actor_label=actor_label,
        note=f"{payment.provider} {payment.reference}",
        sub_orders=sub_orders,
        also_save=("paid_at",),
    )
    seller_of = {sub.pk: sub.seller_id for sub in sub_orders}
    _book_capture(order, lines, seller_of)
    if not is_held:
        _start_fulfilment(order, sub_orders, lines, seller_of)
    return True


def release_held_order(*, order_id: int, actor: User | None, actor_label: str) -> bool:
    """Fulfil an order a risk review held at "paid" (once: False when it is not waiting)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != OrderStatus.PAID or order.paid_at is None:
            return False
        sub_orders = list(SubOrder.objects.filter(order=order))
        lines = list(OrderLine.objects.filter(order=order))
        if any(line.status != LineStatus.PENDING for line in lines):
            return False
        transition_order(
            order,
            OrderStatus.FULFILLING,
            actor=actor,
            actor_label=actor_label,
            note="risk review approved",
            sub_orders=sub_orders,
        )
        _start_fulfilment(order, sub_orders, lines, {sub.pk: sub.seller_id for sub in sub_orders})
    return True


def _start_fulfilment(
    order: Order, sub_orders: list[SubOrder], lines: list[OrderLine], seller_of: dict[int, int]
) -> None:
    OrderLine.objects.filter(order=order).update(status=LineStatus.FULFILLING)
    for line in lines:
        line.status = LineStatus.FULFILLING
    events.emit(
        "order.paid",
        {
            "order_id": order.pk,
            "buyer_id": order.buyer_id,
            "currency": order.currency,
            "total": order.total,
            "subscription_id": order.subscription_id,
            "sub_orders": [{"id": sub.pk, "seller_id": sub.seller_id} for sub in sub_orders],
            "lines": [
                {
                    "id": line.pk,
                    "product_id": line.product_id,
                    "product_type": line.product_type,
                    "seller_id": seller_of[line.sub_order_id],
                    "quantity": line.quantity,
                    "recurring_price_id": line.recurring_price_id,
                }
                for line in lines
            ],
        },
    )
    line_ids = [line.pk for line in lines]
    transaction.on_commit(lambda: _queue_fulfilment(line_ids))


def _queue_fulfilment(line_ids: list[int]) -> None:
    from core.commerce.tasks import fulfil_order_line

    for line_id in line_ids:
        fulfil_order_line.delay(line_id)


def _book_capture(order: Order, lines: list[OrderLine], seller_of: dict[int, int]) -> None:
    """Cash in, owed to the order's clearing account; escrow lines are split at once (their
    tax and commission are booked, the seller's share held per line)."""
    currency = order.currency
    ledger.post_entry(
        kind=EntryKind.CAPTURE,
        reference=f"order:{order.pk}",
        order_id=order.pk,
        postings=[
            debit(ledger.PROVIDER_CASH, Money(order.total, currency)),
            credit(ledger.buyer_clearing(order.pk), Money(order.total, currency)),
        ],
    )
    held = [line for line in lines if line.is_escrow]
    if not held:
        return
    postings = []
    for line in held:
        seller_id = seller_of[line.sub_order_id]
        postings += [
            debit(ledger.buyer_clearing(order.pk), Money(line.total, currency)),
            credit(ledger.TAX_PAYABLE, Money(line.tax_amount, currency)),
            credit(ledger.PLATFORM_FEES, Money(line.commission_amount, currency)),
            credit(ledger.escrow(line.pk), Money(line.seller_net, currency), seller_id),
        ]
    ledger.post_entry(
        kind=EntryKind.ESCROW_HOLD,
        reference=f"order:{order.pk}",
        order_id=order.pk,
        postings=postings,
    )


def ensure_customer_reference(*, order: Order) -> str:
    """The buyer's customer id at the order's provider (made once, then reused)."""
    from core.payments.providers import get_provider

    existing = PaymentCustomer.objects.filter(
        user_id=order.buyer_id, provider=order.provider
    ).first()
    if existing is not None:
        return existing.reference
    reference = get_provider(order.provider).ensure_customer(
        email=order.email, name=order.billing_name, existing_reference=""
    )
    PaymentCustomer.objects.get_or_create(
        user_id=order.buyer_id, provider=order.provider, defaults={"reference": reference}
    )
    return reference
