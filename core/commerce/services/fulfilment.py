"""Handing paid lines to their modules. ``fulfil_line`` runs the module's hook and books the
line's earnings in one transaction, guarded by the line's status under a row lock, so a task
that dies midway is rolled back and its retry does everything exactly once. Lock order is
always order, then line (refunds take the same locks in the same order)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.commerce.models import (
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
    RefundLine,
    SubOrder,
)
from core.commerce.services.orders import transition_order
from core.money import Money
from core.payments import ledger
from core.payments.ledger import credit, debit
from core.payments.models import EntryKind
from core.registry import get_registry
from core.registry.enablement import enabled_module_keys
from core.registry.registry import UnknownModule

DONE = {LineStatus.FULFILLED, LineStatus.COMPLETED, LineStatus.REVOKED, LineStatus.CANCELLED}
SETTLED = {LineStatus.COMPLETED, LineStatus.REVOKED, LineStatus.CANCELLED}


def _hook(product_type: str, action: str) -> object | None:
    registry = get_registry()
    enabled = enabled_module_keys()  # the module this tenant runs for the type
    try:
        if action == "fulfil":
            return registry.fulfil_hook(product_type, enabled)
        return registry.revoke_hook(product_type, enabled)
    except UnknownModule:  # no module sells this type here (any more): nothing to hand over
        return None


@transaction.atomic
def fulfil_line(*, line_id: int) -> bool:
    """False when the line is not waiting for fulfilment (done before, or refunded)."""
    order_id = OrderLine.objects.values_list("order_id", flat=True).get(pk=line_id)
    order = Order.objects.select_for_update().get(pk=order_id)
    line = OrderLine.objects.select_for_update().get(pk=line_id)
    if line.status != LineStatus.FULFILLING:
        return False
    hook = _hook(line.product_type, "fulfil")
    if callable(hook):
        hook(line)
    now = timezone.now()
    line.fulfilled_at = now
    if line.is_escrow:
        line.status = LineStatus.FULFILLED  # the money waits for the module's release
    else:
        _book_earnings(order, line)
        line.status, line.completed_at = LineStatus.COMPLETED, now
    line.save(update_fields=["status", "fulfilled_at", "completed_at"])
    advance_order(order)
    return True


def refunded_parts(line: OrderLine) -> tuple[int, int, int]:
    """(tax, commission, seller) already refunded on the line."""
    sums = RefundLine.objects.filter(order_line=line).aggregate(
        tax=Sum("tax_amount"), commission=Sum("commission_amount"), seller=Sum("seller_amount")
    )
    return int(sums["tax"] or 0), int(sums["commission"] or 0), int(sums["seller"] or 0)


def _book_earnings(order: Order, line: OrderLine) -> None:
    """The un-refunded part of a delivered line leaves the buyer's clearing account: tax
    payable, the commission, and the rest owed to the seller."""
    tax_back, commission_back, seller_back = refunded_parts(line)
    tax = line.tax_amount - tax_back
    commission = line.commission_amount - commission_back
    seller = line.seller_net - seller_back
    seller_id = SubOrder.objects.values_list("seller_id", flat=True).get(pk=line.sub_order_id)
    currency = order.currency
    ledger.post_entry(
        kind=EntryKind.EARN,
        reference=f"line:{line.pk}",
        order_id=order.pk,
        postings=[
            debit(ledger.buyer_clearing(order.pk), Money(tax + commission + seller, currency)),
            credit(ledger.TAX_PAYABLE, Money(tax, currency)),
            credit(ledger.PLATFORM_FEES, Money(commission, currency)),
            credit(ledger.seller_payable(seller_id), Money(seller, currency), seller_id),
        ],
    )


def advance_order(order: Order) -> None:
    """Fulfilling -> fulfilled when every line is delivered; -> completed when every line is
    settled. Sub-orders follow their own lines."""
    lines = list(OrderLine.objects.filter(order=order).values_list("sub_order_id", "status"))
    sub_orders = list(SubOrder.objects.filter(order=order))
    delivered = [sub for sub in sub_orders if _all(lines, sub.pk, DONE)]
    settled = [sub for sub in sub_orders if _all(lines, sub.pk, SETTLED)]
    all_delivered = all(status in DONE for _, status in lines)
    all_settled = all(status in SETTLED for _, status in lines)
    if order.status == OrderStatus.FULFILLING and all_delivered:
        transition_order(order, OrderStatus.FULFILLED, actor_label="system", sub_orders=delivered)
    elif order.status == OrderStatus.FULFILLING:
        _move_sub_orders(order, delivered, OrderStatus.FULFILLED)
    if order.status == OrderStatus.FULFILLED and all_settled:
        transition_order(order, OrderStatus.COMPLETED, actor_label="system", sub_orders=settled)
    else:
        _move_sub_orders(order, settled, OrderStatus.COMPLETED)


def _all(lines: list[tuple[int, str]], sub_order_id: int, statuses: set[LineStatus]) -> bool:
    return all(status in statuses for sub_id, status in lines if sub_id == sub_order_id)


def _move_sub_orders(order: Order, sub_orders: list[SubOrder], target: OrderStatus) -> None:
    """Sub-orders may run ahead of their order (one seller delivers before another)."""
    from core.commerce.models import OrderTransition

    ahead = [
        sub
        for sub in sub_orders
        if sub.status in (OrderStatus.FULFILLING, OrderStatus.FULFILLED) and sub.status != target
    ]
    if not ahead:
        return
    OrderTransition.objects.bulk_create(
        OrderTransition(
            order=order,
            sub_order=sub,
            from_status=sub.status,
            to_status=target,
            actor_label="system",
        )
        for sub in ahead
    )
    SubOrder.objects.filter(pk__in=[sub.pk for sub in ahead]).update(status=target)


@transaction.atomic
def revoke_line(*, line_id: int) -> bool:
    """Run the module's ``revoke`` hook for a refunded line, once (``revoked_at`` under the
    row lock guards it)."""
    order_id = OrderLine.objects.values_list("order_id", flat=True).get(pk=line_id)
    Order.objects.select_for_update().get(pk=order_id)
    line = OrderLine.objects.select_for_update().get(pk=line_id)
    if line.status != LineStatus.REVOKED or line.revoked_at is not None:
        return False
    hook = _hook(line.product_type, "revoke")
    if callable(hook):
        hook(line)
    line.revoked_at = timezone.now()
    line.save(update_fields=["revoked_at"])
    return True
