"""Milestones: the seller proposes a plan (titles, days, shares of the price adding up to
100 %) before the first delivery; once the buyer agrees, the line's escrow (funded in full at
checkout) is split into the milestones' amounts, exactly, and each accepted milestone
releases its own amount (``release_escrow`` with the milestone's reference, so once)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core import events
from core.accounts.models import User
from core.commerce.models import OrderLine
from core.commerce.services.escrow import held_in_escrow, release_escrow
from modules.gigs.errors import GigsErrorCode, invalid, wrong_state
from modules.gigs.models import (
    DeliveryStatus,
    GigMilestone,
    GigOrder,
    MilestoneStatus,
    OrderStatus,
)
from modules.gigs.services.orders import (
    buyers_order,
    event_payload,
    sellers_order,
    start_next_milestone,
)

MIN_MILESTONES = 2
MAX_MILESTONES = 10


@dataclass(frozen=True)
class MilestoneData:
    title: str
    percent: int
    days: int
    description: str = ""


def _plannable(order: GigOrder) -> None:
    if order.status not in (OrderStatus.AWAITING_REQUIREMENTS, OrderStatus.IN_PROGRESS):
        raise wrong_state("Milestones are planned before anything is delivered.", order.status)
    if order.milestones_agreed_at is not None:
        raise wrong_state("The buyer agreed this order's milestones already.", order.status)
    if order.deliveries.filter(status=DeliveryStatus.SUBMITTED).exists():
        raise wrong_state("Milestones are planned before anything is delivered.", order.status)


@transaction.atomic
def propose_milestones(
    *, seller_id: int, order_id: int, milestones: list[MilestoneData]
) -> list[GigMilestone]:
    """Replace the proposal; the buyer agrees (or not) with ``agree_milestones``."""
    order = sellers_order(seller_id=seller_id, order_id=order_id, lock=True)
    _plannable(order)
    code = GigsErrorCode.INVALID_DELIVERY
    if not MIN_MILESTONES <= len(milestones) <= MAX_MILESTONES:
        raise invalid(code, "milestones", f"Plan {MIN_MILESTONES}-{MAX_MILESTONES} milestones.")
    rows = []
    for index, data in enumerate(milestones):
        where = f"milestones[{index}]"
        title = data.title.strip()
        if not title or len(title) > 120:
            raise invalid(code, f"{where}.title", "Give the milestone a title (1-120).")
        if not 1 <= data.percent <= 100:
            raise invalid(code, f"{where}.percent", "A share is 1-100 %.")
        if not 1 <= data.days <= 365:
            raise invalid(code, f"{where}.days", "A milestone takes 1-365 days.")
        rows.append(
            GigMilestone(
                order=order,
                number=index + 1,
                title=title,
                description=data.description.strip()[:2000],
                percent=data.percent,
                days=data.days,
            )
        )
    if sum(row.percent for row in rows) != 100:
        raise invalid(code, "milestones", "The shares must add up to 100 %.")
    order.milestones.all().delete()
    return GigMilestone.objects.bulk_create(rows)


@transaction.atomic
def agree_milestones(*, buyer: User, order_id: int) -> GigOrder:
    """The buyer agrees the proposal: amounts are fixed from what escrow holds (the last
    milestone takes the rounding), and the first starts if the clock runs."""
    order = buyers_order(buyer=buyer, order_id=order_id, lock=True)
    _plannable(order)
    milestones = list(order.milestones.order_by("number"))
    if not milestones:
        raise wrong_state("The seller has not proposed milestones.", order.status)
    line = OrderLine.objects.get(pk=order.order_line_id)
    held = held_in_escrow(line, order.currency)
    allocated = 0
    for milestone in milestones[:-1]:
        milestone.amount = held * milestone.percent // 100
        allocated += milestone.amount
    milestones[-1].amount = held - allocated
    for milestone in milestones:
        milestone.status = MilestoneStatus.PENDING
    GigMilestone.objects.bulk_update(milestones, ["amount", "status"])
    order.milestones_agreed_at = timezone.now()
    order.save(update_fields=["milestones_agreed_at"])
    if order.status == OrderStatus.IN_PROGRESS:
        start_next_milestone(order)
    events.emit("gig.milestones_agreed", event_payload(order, milestones=len(milestones)))
    return order


def current_milestone(order: GigOrder) -> GigMilestone | None:
    if order.milestones_agreed_at is None:
        return None
    return order.milestones.filter(status=MilestoneStatus.IN_PROGRESS).order_by("number").first()


def complete_current(order: GigOrder) -> bool:
    """Release the milestone in progress (its amount, once) and start the next one. True
    when milestones remain (the order goes back to work), False when it was the last."""
    milestone = current_milestone(order)
    assert milestone is not None
    if milestone.amount > 0:
        release_escrow(
            order_line_id=order.order_line_id,
            reference=f"milestone:{milestone.pk}",
            amount=milestone.amount,
        )
    milestone.status = MilestoneStatus.COMPLETED
    milestone.completed_at = timezone.now()
    milestone.save(update_fields=["status", "completed_at"])
    events.emit(
        "gig.milestone_completed",
        event_payload(order, milestone_number=milestone.number, amount=milestone.amount),
    )
    return start_next_milestone(order) is not None
