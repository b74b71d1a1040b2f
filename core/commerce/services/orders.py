"""The order state machine. Every change goes through ``transition_order`` /
``transition_sub_orders`` and leaves an OrderTransition row with who and when."""

from __future__ import annotations

from collections.abc import Iterable

from core.accounts.models import User
from core.commerce.errors import CommerceError, CommerceErrorCode
from core.commerce.models import Order, OrderStatus, OrderTransition, SubOrder

S = OrderStatus
ALLOWED: dict[str, set[str]] = {
    S.PENDING_PAYMENT: {S.PAID, S.CANCELLED},
    S.PAID: {S.FULFILLING, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED},
    S.FULFILLING: {S.FULFILLED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED},
    S.FULFILLED: {S.COMPLETED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED},
    S.COMPLETED: {S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED},
    S.PARTIALLY_REFUNDED: {
        S.PARTIALLY_REFUNDED,
        S.REFUNDED,
        S.DISPUTED,
        S.FULFILLED,
        S.COMPLETED,
    },
    S.DISPUTED: {S.PAID, S.FULFILLING, S.FULFILLED, S.COMPLETED, S.PARTIALLY_REFUNDED, S.REFUNDED},
    S.REFUNDED: set(),
    S.CANCELLED: set(),
}


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, set())


def transition_order(
    order: Order,
    target: OrderStatus,
    *,
    actor: User | None = None,
    actor_label: str,
    note: str = "",
    sub_orders: Iterable[SubOrder] = (),
) -> None:
    """Move the (locked) order and the given sub-orders to ``target``."""
    if order.status == target and target != S.PARTIALLY_REFUNDED:
        return
    if not can_transition(order.status, target):
        raise CommerceError(
            CommerceErrorCode.INVALID_TRANSITION,
            f"An order that is {order.get_status_display().lower()} "
            f"cannot become {target.label.lower()}.",
            details={"from": order.status, "to": str(target)},
            status=409,
        )
    history = [
        OrderTransition(
            order=order,
            from_status=order.status,
            to_status=target,
            actor=actor,
            actor_label=actor_label,
            note=note[:300],
        )
    ]
    order.status = target
    order.save(update_fields=["status"])
    moved = [sub for sub in sub_orders if sub.status != target]
    for sub in moved:
        history.append(
            OrderTransition(
                order=order,
                sub_order=sub,
                from_status=sub.status,
                to_status=target,
                actor=actor,
                actor_label=actor_label,
                note=note[:300],
            )
        )
        sub.status = target
    if moved:
        SubOrder.objects.filter(pk__in=[sub.pk for sub in moved]).update(status=target)
    OrderTransition.objects.bulk_create(history)
