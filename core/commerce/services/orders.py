"""The order state machine. Every change goes through ``transition_order`` /
``transition_sub_orders`` and leaves an OrderTransition row with who and when."""

from __future__ import annotations

from collections.abc import Iterable

from core.accounts.models import User
from core.commerce.errors import CommerceError, CommerceErrorCode
from core.commerce.models import Order, OrderStatus, OrderTransition, SubOrder
from core.errors import ErrorKind

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
# The happy path; a sub-order already further along it than the order's new status (one
# seller delivered before another) stays where it is rather than stepping back.
FORWARD: tuple[str, ...] = (S.PAID, S.FULFILLING, S.FULFILLED, S.COMPLETED)


def _is_ahead(status: str, target: str) -> bool:
    return status in FORWARD and target in FORWARD and FORWARD.index(status) > FORWARD.index(target)


def can_transition(current: str, target: str) -> bool:
    return target in ALLOWED.get(current, set())


def transition_order(
    order: Order,
    *targets: OrderStatus,
    actor: User | None = None,
    actor_label: str,
    note: str = "",
    sub_orders: Iterable[SubOrder] = (),
    also_save: tuple[str, ...] = (),
) -> None:
    """Move the (locked) order and the given sub-orders through ``targets`` in order: one
    UPDATE each for the order and the sub-orders, one INSERT for the history. ``also_save``
    names further order fields the caller changed (e.g. ``paid_at``)."""
    history: list[OrderTransition] = []
    subs = list(sub_orders)
    current = order.status
    for target in targets:
        if current == target and target != S.PARTIALLY_REFUNDED:
            continue
        if not can_transition(current, target):
            raise CommerceError(
                CommerceErrorCode.INVALID_TRANSITION,
                f"An order that is {OrderStatus(current).label.lower()} "
                f"cannot become {target.label.lower()}.",
                details={"from": current, "to": str(target)},
                kind=ErrorKind.CONFLICT,
            )
        history.append(_step(order, None, current, target, actor, actor_label, note))
        for sub in subs:
            if sub.status != target and not _is_ahead(sub.status, target):
                history.append(_step(order, sub, sub.status, target, actor, actor_label, note))
                sub.status = target
        current = target
    if not history:
        return
    order.status = current
    order.save(update_fields=["status", *also_save])
    moved = [sub.pk for sub in subs if sub.status == current]
    if moved:
        SubOrder.objects.filter(pk__in=moved).update(status=current)
    OrderTransition.objects.bulk_create(history)


def _step(
    order: Order,
    sub_order: SubOrder | None,
    from_status: str,
    to_status: str,
    actor: User | None,
    actor_label: str,
    note: str,
) -> OrderTransition:
    return OrderTransition(
        order=order,
        sub_order=sub_order,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        actor_label=actor_label,
        note=note[:300],
    )
