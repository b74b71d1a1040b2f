"""Milestones, two kinds of plan.

- Funded milestone by milestone (a seller's custom offer in milestones,
  ``quotes.create_milestone_offer``): the buyer pays the first at checkout (the order's own
  line); every later one is its own payment, a commerce custom offer (a ``GigAddon`` of kind
  "milestone") the buyer funds when the previous one is accepted, or earlier. A milestone's
  work starts only once it is funded; acceptance releases what its line holds (once, by the
  milestone's reference); cancellation refunds only funded, unreleased milestones.
- Shares of one paid line: the seller proposes a plan (titles, days, shares adding up to
  100 %) before the first delivery; once the buyer agrees, the line's escrow (funded in full
  at checkout) is split into the milestones' amounts, exactly, and each accepted milestone
  releases its own amount.

Either way the buyer may release an agreed percentage of the work in progress early
(``release_part``, once per milestone or order)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core import events
from core.accounts.models import User
from core.commerce.models import OfferStatus, OrderLine
from core.commerce.services.escrow import held_in_escrow, refund_escrow, release_escrow
from core.commerce.services.offers import create_offer
from core.errors import ErrorKind
from core.sellers.models import Seller
from modules.gigs.errors import GigsError, GigsErrorCode, invalid, not_found, wrong_state
from modules.gigs.models import (
    DeliveryStatus,
    GigAddon,
    GigMilestone,
    GigOrder,
    MilestoneStatus,
    OrderStatus,
)
from modules.gigs.services.orders import (
    FUNDING,
    buyers_order,
    event_payload,
    funded_numbers,
    is_funded_plan,
    sellers_order,
    start_next_milestone,
)
from modules.gigs.services.quotes import OFFER_DAYS

MIN_MILESTONES = 2
MAX_MILESTONES = 10


@dataclass(frozen=True)
class MilestoneData:
    title: str
    percent: int
    days: int
    description: str = ""


def _plannable(order: GigOrder) -> None:
    if is_funded_plan(order):
        raise wrong_state("This order's milestones were agreed with its offer.", order.status)
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
    """The milestone being worked on (None without an agreed plan). In a plan funded
    milestone by milestone, nothing can be delivered while the next one is not funded:
    refused here (``deliver`` asks)."""
    if order.milestones_agreed_at is None:
        return None
    milestone = (
        order.milestones.filter(status=MilestoneStatus.IN_PROGRESS).order_by("number").first()
    )
    if milestone is None and is_funded_plan(order):
        waiting = order.milestones.filter(status=MilestoneStatus.PENDING).order_by("number")
        first = waiting.first()
        if first is not None:
            raise GigsError(
                GigsErrorCode.WRONG_STATE,
                f"Milestone {first.number} is not funded yet: its work starts once the "
                "buyer funds it.",
                details={"status": order.status, "milestone": first.number},
                kind=ErrorKind.CONFLICT,
            )
    return milestone


def funding_line_id(order: GigOrder, number: int) -> int | None:
    """The order line holding a funded milestone's escrow (the order's own for the first)."""
    if number == 1:
        return order.order_line_id
    for addon in order.addons.all():
        is_it = addon.extra.get("kind") == FUNDING and int(addon.extra["number"]) == number
        if is_it and addon.order_line_id is not None:
            return addon.order_line_id
    return None


def complete_current(order: GigOrder) -> bool:
    """Release the milestone in progress (its amount, once) and start the next one. True
    when milestones remain (the order goes back to work, or waits for the next to be
    funded), False when it was the last."""
    milestone = current_milestone(order)
    assert milestone is not None
    if is_funded_plan(order):
        line_id = funding_line_id(order, milestone.number)
        assert line_id is not None  # it was in progress, so funded
        line = OrderLine.objects.get(pk=line_id)
        if held_in_escrow(line, order.currency) > 0:
            release_escrow(order_line_id=line_id, reference=f"milestone:{milestone.pk}")
    elif milestone.amount > 0:
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
    started = start_next_milestone(order)
    if started is not None:
        return True
    return order.milestones.filter(status=MilestoneStatus.PENDING).exists()


def create_funded_plan(order: GigOrder) -> list[GigMilestone]:
    """The fulfil hook's work for an order bought from a milestone offer: its milestones as
    offered (agreed by paying the first), each pending until funded and started."""
    rows = list(order.package["milestones"])
    total = sum(int(row["amount"]) for row in rows) or 1
    created = GigMilestone.objects.bulk_create(
        [
            GigMilestone(
                order=order,
                number=index + 1,
                title=row["title"],
                description=row["description"],
                amount=int(row["amount"]),
                percent=max(1, min(100, round(int(row["amount"]) * 100 / total))),
                days=int(row["days"]),
                status=MilestoneStatus.PENDING,
            )
            for index, row in enumerate(rows)
        ]
    )
    order.milestones_agreed_at = timezone.now()
    order.save(update_fields=["milestones_agreed_at"])
    return created


@transaction.atomic
def fund_milestone(*, buyer: User, order_id: int, number: int) -> GigAddon:
    """An offer for milestone ``number`` of a funded plan (to put in the cart and pay; its
    payment is held in escrow until the milestone is accepted). Asking again while it is
    unpaid gives the same offer."""
    order = buyers_order(buyer=buyer, order_id=order_id, lock=True)
    if not is_funded_plan(order):
        raise wrong_state("This order is not funded milestone by milestone.", order.status)
    if order.status in (OrderStatus.COMPLETED, OrderStatus.CANCELLED):
        raise wrong_state("This order is closed.", order.status)
    milestone = order.milestones.filter(number=number).first()
    if milestone is None:
        raise not_found(GigsErrorCode.ORDER_NOT_FOUND, "No such milestone.")
    if number in funded_numbers(order) or milestone.status != MilestoneStatus.PENDING:
        raise wrong_state(f"Milestone {number} is funded already.", milestone.status)
    waiting = (
        GigAddon.objects.filter(
            order=order, extra__kind=FUNDING, extra__number=number, order_line__isnull=True
        )
        .select_related("offer")
        .order_by("-id")
    )
    for addon in waiting:
        if addon.offer.status == OfferStatus.OPEN:
            return addon
    offer = create_offer(
        seller=Seller.objects.get(pk=order.seller_id),
        buyer_email=buyer.email,
        product_id=order.product_id,
        variant_id=None,
        title=f"{order.package['title']}: milestone {number} of {order.milestones.count()}"[:160],
        description=f"{milestone.title} (order {order.pk})"[:4000],
        amount=milestone.amount,
        currency=order.currency,
        quantity=1,
        expires_at=timezone.now() + timedelta(days=OFFER_DAYS),
    )
    return GigAddon.objects.create(
        offer=offer,
        order=order,
        extra={
            "id": None,
            "kind": FUNDING,
            "number": number,
            "title": milestone.title,
            "price": milestone.amount,
            "days": 0,
            "revisions": 0,
        },
    )


def milestone_funded(order: GigOrder, addon: GigAddon) -> None:
    """A milestone's payment arrived (the fulfil hook, order locked): if the seller waits
    for it, its work starts now."""
    events.emit(
        "gig.milestone_funded", event_payload(order, milestone_number=addon.extra["number"])
    )
    if order.status != OrderStatus.IN_PROGRESS:
        return
    if not order.milestones.filter(status=MilestoneStatus.IN_PROGRESS).exists():
        start_next_milestone(order)


def _refundable(line: OrderLine, held: int) -> int:
    """What the buyer gets back of a line whose escrow holds ``held`` of the seller's part:
    everything not refunded yet, less the share already released."""
    refundable = line.total - line.refunded_amount
    if held >= line.seller_net or line.seller_net <= 0:
        return refundable
    return min(refundable, line.total * held // line.seller_net)


def refund_unreleased(order: GigOrder, *, line_ids: list[int], reason: str) -> None:
    """With a cancellation: each of these lines gives back what escrow still holds of it."""
    for line in OrderLine.objects.filter(pk__in=line_ids).order_by("id"):
        held = held_in_escrow(line, order.currency)
        amount = _refundable(line, held) if line.is_escrow else line.total - line.refunded_amount
        if (held > 0 or not line.is_escrow) and amount > 0:
            refund_escrow(
                order_line_id=line.pk,
                reference=f"gig:{order.pk}:cancel",
                amount=amount,
                reason=f"Gig order cancelled: {reason.replace('_', ' ')}",
            )


def funded_line_ids(order: GigOrder) -> list[int]:
    """The lines of a funded plan's paid milestones (the order's own first)."""
    ids = [order.order_line_id]
    ids += [
        addon.order_line_id
        for addon in GigAddon.objects.filter(
            order=order, extra__kind=FUNDING, order_line__isnull=False
        )
        if addon.order_line_id is not None
    ]
    return ids


@transaction.atomic
def release_part(*, buyer: User, order_id: int, percent: int) -> int:
    """The buyer releases an agreed percentage (1-99) of the work in progress to the seller
    now: of the current milestone's funding, or of an order without milestones; once per
    milestone (or order). Acceptance later releases the rest. Returns the amount released
    (the seller's part)."""
    order = buyers_order(buyer=buyer, order_id=order_id, lock=True)
    if not 1 <= percent <= 99:
        raise invalid(GigsErrorCode.INVALID_DELIVERY, "percent", "Release 1-99 %.")
    if order.status not in (
        OrderStatus.IN_PROGRESS,
        OrderStatus.DELIVERED,
        OrderStatus.REVISION_REQUESTED,
    ):
        raise wrong_state("Only work under way can be paid in part.", order.status)
    if order.milestones_agreed_at is not None and not is_funded_plan(order):
        raise wrong_state("This order is paid milestone by milestone.", order.status)
    if is_funded_plan(order):
        milestone = current_milestone(order)
        assert milestone is not None
        line_id = funding_line_id(order, milestone.number)
        assert line_id is not None
        reference = f"milestone:{milestone.pk}:part"
    else:
        line_id, reference = order.order_line_id, f"gig:{order.pk}:part"
    line = OrderLine.objects.get(pk=line_id)
    amount = held_in_escrow(line, order.currency) * percent // 100
    if amount <= 0:
        raise wrong_state("Nothing is held to release.", order.status)
    released = release_escrow(order_line_id=line_id, reference=reference, amount=amount)
    if released == 0:
        raise wrong_state("A part of this work was released already.", order.status)
    events.emit("gig.partly_released", event_payload(order, percent=percent, amount=released))
    return released
