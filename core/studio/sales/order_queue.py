"""The studio's orders queue: a seller's sub-orders with the ones waiting for the seller first.

"Waiting for the seller" means paid and not yet delivered (a line still being fulfilled), a
dispute, or a service line whose money sits in escrow until the seller delivers and the buyer
accepts. Everything else (completed, refunded, cancelled, awaiting the buyer's payment) follows,
newest first. One query for a page of rows and one for the tab counts, however many rows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from core.commerce import selectors as commerce_selectors
from core.commerce.models import LineStatus, OrderLine, OrderStatus, SubOrder
from core.sellers.models import Seller


class Queue(StrEnum):
    ACTION = "action"
    ESCROW = "escrow"
    ALL = "all"


QUEUE_LABELS = {
    Queue.ACTION: "Needs action",
    Queue.ESCROW: "In escrow",
    Queue.ALL: "All orders",
}

# Paid, and something of the seller's is not delivered yet (or the buyer disputes it).
TO_FULFIL = (OrderStatus.PAID, OrderStatus.FULFILLING)
NEEDS_ACTION = (*TO_FULFIL, OrderStatus.DISPUTED)


def _held_in_escrow() -> Exists:
    """A service line of the sub-order waits for delivery and acceptance with its money held."""
    return Exists(
        OrderLine.objects.filter(
            sub_order=OuterRef("pk"), is_escrow=True, status=LineStatus.FULFILLED
        )
    )


def _is_action() -> Q:
    return Q(status__in=NEEDS_ACTION)


def queue(
    seller: Seller, *, view: Queue = Queue.ACTION, status: str = "", search: str = ""
) -> QuerySet[SubOrder]:
    """The rows of one tab, most urgent first. ``search`` is an order number or part of the
    buyer's e-mail address or name."""
    rows = (
        commerce_selectors.seller_sub_orders(seller)
        .select_related("order__buyer")
        .annotate(
            line_count=Count("lines"),
            is_held_in_escrow=_held_in_escrow(),
        )
        .annotate(
            priority=Case(
                When(_is_action(), then=Value(0)),
                When(is_held_in_escrow=True, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
    )
    if view == Queue.ACTION:
        rows = rows.filter(_is_action())
    elif view == Queue.ESCROW:
        rows = rows.filter(is_held_in_escrow=True)
    if status:
        rows = rows.filter(status=status)
    search = search.strip()
    if search:
        number = search.lstrip("#")
        if number.isdigit():
            rows = rows.filter(order_id=int(number))
        else:
            rows = rows.filter(
                Q(order__buyer__email__icontains=search)
                | Q(order__buyer__full_name__icontains=search)
                | Q(order__billing_name__icontains=search)
            )
    return rows.order_by("priority", "-id")


@dataclass(frozen=True)
class QueueCounts:
    action: int
    escrow: int
    all: int

    def of(self, view: Queue) -> int:
        return int(getattr(self, view.value))


def queue_counts(seller: Seller) -> QueueCounts:
    """How many sub-orders each tab holds (one query)."""
    figures = SubOrder.objects.filter(seller=seller).aggregate(
        action=Count("id", filter=_is_action()),
        escrow=Count("id", filter=Q(_held_in_escrow())),
        all=Count("id"),
    )
    return QueueCounts(action=figures["action"], escrow=figures["escrow"], all=figures["all"])


def next_step(sub_order: SubOrder, *, is_held_in_escrow: bool) -> str:
    """What the seller is waiting on for a row, in words."""
    if sub_order.status in TO_FULFIL:
        return "Not delivered yet"
    if sub_order.status == OrderStatus.DISPUTED:
        return "Answer the dispute"
    if is_held_in_escrow:
        return "Deliver; paid when the buyer accepts"
    if sub_order.status == OrderStatus.PENDING_PAYMENT:
        return "Waiting for the buyer's payment"
    return ""
