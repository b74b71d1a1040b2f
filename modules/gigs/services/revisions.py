"""Revisions of a delivered gig order: the buyer asks for changes within the order's cap
(package and extras as bought); a dispute decided "revision" reopens delivery without
counting against the cap. The deliverable moves delivered -> revision_requested ->
in_progress (the seller's next draft) -> delivered."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core import events
from core.accounts.models import User
from core.commerce.models import OrderLine
from core.commerce.services.escrow import held_in_escrow
from core.errors import ErrorKind
from modules.gigs.errors import GigsError, GigsErrorCode, invalid, wrong_state
from modules.gigs.models import DeliveryStatus, GigOrder, OrderStatus, RevisionRequest
from modules.gigs.services.acceptance import cancel_auto_accept
from modules.gigs.services.addons import refund_addons, release_addons, withdraw_unpaid
from modules.gigs.services.orders import buyers_order, close_timers, event_payload


@transaction.atomic
def request_revision(*, buyer: User, order_id: int, notes: str) -> RevisionRequest:
    """The buyer asks for changes to the last delivery, within the order's revision cap."""
    order = buyers_order(buyer=buyer, order_id=order_id, lock=True)
    if order.status != OrderStatus.DELIVERED:
        raise wrong_state("A revision is asked for on a delivered order.", order.status)
    notes = notes.strip()
    if not notes or len(notes) > 4000:
        raise invalid(GigsErrorCode.INVALID_DELIVERY, "notes", "Say what to change (1-4000).")
    if order.revisions_allowed is not None and order.revisions_used >= order.revisions_allowed:
        raise GigsError(
            GigsErrorCode.REVISIONS_EXHAUSTED,
            f"This order's {order.revisions_allowed} revisions are used: accept the delivery, "
            "buy an extra revision, or open a dispute.",
            details={
                "revisions_allowed": order.revisions_allowed,
                "options": ["accept", "buy_extra_revision", "open_dispute"],
            },
            kind=ErrorKind.CONFLICT,
        )
    last = order.deliveries.filter(status=DeliveryStatus.SUBMITTED).order_by("-number").first()
    assert last is not None  # delivered orders have a submitted delivery
    now = timezone.now()
    order.revisions_used += 1
    order.status = OrderStatus.REVISION_REQUESTED
    order.auto_accept_at = None
    order.save(update_fields=["revisions_used", "status", "auto_accept_at"])
    cancel_auto_accept(order)
    revision = RevisionRequest.objects.create(
        order=order,
        delivery=last,
        number=order.revisions.count() + 1,
        notes=notes,
        due_at=now + timedelta(days=order.policy["revision_days"]),
    )
    events.emit(
        "gig.revision_requested",
        event_payload(order, revision_number=revision.number, due_at=revision.due_at.isoformat()),
    )
    return revision


@transaction.atomic
def reopen_after_dispute(*, order_line_id: int, note: str) -> GigOrder | None:
    """A dispute on the line was decided "revision". While escrow still holds the seller's
    money, a delivered order goes back to revision_requested (the revision does not count
    against the cap); when the decision already settled the money, the order is closed as
    settled: completed if the seller was paid anything, otherwise cancelled."""
    order = GigOrder.objects.select_for_update().filter(order_line_id=order_line_id).first()
    if order is None or order.status in (OrderStatus.COMPLETED, OrderStatus.CANCELLED):
        return order
    line = OrderLine.objects.get(pk=order_line_id)
    now = timezone.now()
    if held_in_escrow(line, order.currency) <= 0:
        is_refunded = line.refunded_amount >= line.total
        order.status = OrderStatus.CANCELLED if is_refunded else OrderStatus.COMPLETED
        order.auto_accept_at = None
        if is_refunded:
            order.cancelled_at, order.cancel_reason = now, "dispute"
        else:
            order.completed_at = now
        order.save(
            update_fields=[
                "status",
                "auto_accept_at",
                "cancelled_at",
                "cancel_reason",
                "completed_at",
            ]
        )
        close_timers(order)
        if is_refunded:
            refund_addons(order)
        else:
            release_addons(order)
        withdraw_unpaid(order)
        event = "gig.cancelled" if is_refunded else "gig.completed"
        events.emit(event, event_payload(order, reason="dispute"))
        return order
    if order.status != OrderStatus.DELIVERED:
        return order  # the seller is at work already (or an operator checks); nothing to reopen
    last = order.deliveries.filter(status=DeliveryStatus.SUBMITTED).order_by("-number").first()
    assert last is not None
    order.status = OrderStatus.REVISION_REQUESTED
    order.auto_accept_at = None
    order.save(update_fields=["status", "auto_accept_at"])
    cancel_auto_accept(order)
    revision = RevisionRequest.objects.create(
        order=order,
        delivery=last,
        number=order.revisions.count() + 1,
        notes=(note.strip() or "A revision was decided in a dispute.")[:4000],
        due_at=now + timedelta(days=order.policy["revision_days"]),
        is_from_dispute=True,
    )
    events.emit(
        "gig.revision_requested",
        event_payload(order, revision_number=revision.number, due_at=revision.due_at.isoformat()),
    )
    return order
