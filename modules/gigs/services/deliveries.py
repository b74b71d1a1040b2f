"""Deliveries, revisions and acceptance of a gig order.

States: in_progress -> delivered -> (revision_requested -> in_progress -> delivered)* ->
completed. A delivery is a draft until the seller delivers it, which needs a real artifact
(a non-empty file or a link) and every checklist item ticked. Revisions are capped by the
package and extras as bought. Accepting releases the line's escrow once; with no answer
within the frozen policy's days the delivery is accepted for the buyer, after reminders
48 h and 24 h before (core deadlines: each fires once, even after a worker dies)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core import events
from core.accounts.models import User
from core.commerce.errors import CommerceError
from core.commerce.models import OrderLine
from core.commerce.services.escrow import held_in_escrow, release_escrow
from core.deadlines.services import cancel_deadline, schedule_deadline
from core.errors import ErrorKind
from modules.gigs.errors import GigsError, GigsErrorCode, invalid, not_found, wrong_state
from modules.gigs.models import (
    DeliveryKind,
    DeliveryStatus,
    GigDelivery,
    GigDeliveryFile,
    GigOrder,
    OrderStatus,
    RevisionRequest,
)
from modules.gigs.services.addons import refund_addons, release_addons, withdraw_unpaid
from modules.gigs.services.milestones import complete_current, current_milestone
from modules.gigs.services.orders import (
    buyers_order,
    close_timers,
    deadline_key,
    event_payload,
    is_link,
    locked,
    sellers_order,
)

MAX_LINKS = 10
MAX_FILES = 20
MAX_FILE_BYTES = 100 * 1024 * 1024
AUTO_ACCEPT_REMINDERS = ((48, "auto-accept-reminder-48h"), (24, "auto-accept-reminder-24h"))


@dataclass(frozen=True)
class DraftData:
    description: str = ""
    notes: str = ""
    links: list[str] = field(default_factory=list)
    checklist_ticked: list[str] = field(default_factory=list)
    preview_url: str = ""


def _clean_draft(order: GigOrder, data: DraftData) -> DraftData:
    code = GigsErrorCode.INVALID_DELIVERY
    if len(data.description) > 5000:
        raise invalid(code, "description", "At most 5000 characters.")
    if len(data.notes) > 2000:
        raise invalid(code, "notes", "At most 2000 characters.")
    links = [link.strip() for link in data.links]
    if len(links) > MAX_LINKS:
        raise invalid(code, "links", f"At most {MAX_LINKS} links.")
    for index, link in enumerate(links):
        if not is_link(link):
            raise invalid(code, f"links[{index}]", "Give an http(s) link.")
    preview_url = data.preview_url.strip()
    if preview_url and not is_link(preview_url):
        raise invalid(code, "preview_url", "Give an http(s) link to the preview.")
    unknown = [item for item in data.checklist_ticked if item not in order.checklist]
    if unknown:
        raise invalid(code, "checklist_ticked", f"Not on this order's checklist: {unknown[0]}")
    return DraftData(
        description=data.description.strip(),
        notes=data.notes.strip(),
        links=links,
        checklist_ticked=[item for item in order.checklist if item in data.checklist_ticked],
        preview_url=preview_url,
    )


def sellers_delivery(order: GigOrder, delivery_id: int) -> GigDelivery:
    delivery = GigDelivery.objects.filter(pk=delivery_id, order=order).first()
    if delivery is None:
        raise not_found(GigsErrorCode.DELIVERY_NOT_FOUND, "No such delivery of this order.")
    return delivery


@transaction.atomic
def save_draft(
    *, seller_id: int, order_id: int, data: DraftData, delivery_id: int | None = None
) -> GigDelivery:
    """A new draft (``delivery_id`` None) or an edit of one. Working on a requested revision
    puts the order back in progress."""
    order = sellers_order(seller_id=seller_id, order_id=order_id, lock=True)
    if order.status == OrderStatus.REVISION_REQUESTED:
        order.status = OrderStatus.IN_PROGRESS
        order.save(update_fields=["status"])
    elif order.status != OrderStatus.IN_PROGRESS:
        raise wrong_state("Deliveries are made while the order is in progress.", order.status)
    cleaned = _clean_draft(order, data)
    if delivery_id is None:
        delivery = GigDelivery(order=order, kind=DeliveryKind.DRAFT)
    else:
        delivery = sellers_delivery(order, delivery_id)
        if delivery.status != DeliveryStatus.DRAFT:
            raise wrong_state("A delivered submission cannot change.", delivery.status)
    delivery.description = cleaned.description
    delivery.notes = cleaned.notes
    delivery.links = cleaned.links
    delivery.preview_url = cleaned.preview_url
    delivery.checklist_ticked = cleaned.checklist_ticked
    delivery.save()
    return delivery


@transaction.atomic
def attach_file(
    *,
    seller_id: int,
    order_id: int,
    delivery_id: int,
    upload: UploadedFile[Any],
    is_locked_until_accepted: bool = False,
) -> GigDeliveryFile:
    """A file on a draft, stored privately under the marketplace's prefix. An empty file is
    refused: it is no artifact. A locked file is listed to the buyer but downloaded only
    once the order is accepted (a preview link shows the work meanwhile)."""
    order = sellers_order(seller_id=seller_id, order_id=order_id, lock=True)
    delivery = sellers_delivery(order, delivery_id)
    if delivery.status != DeliveryStatus.DRAFT:
        raise wrong_state("A delivered submission cannot change.", delivery.status)
    size = upload.size or 0
    if size <= 0:
        raise invalid(GigsErrorCode.NO_ARTIFACT, "file", "This file is empty.")
    if size > MAX_FILE_BYTES:
        raise GigsError(
            GigsErrorCode.INVALID_DELIVERY,
            "A file may be at most 100 MB.",
            details={"field": "file"},
            kind=ErrorKind.TOO_LARGE,
        )
    if delivery.files.count() >= MAX_FILES:
        raise invalid(GigsErrorCode.INVALID_DELIVERY, "file", f"At most {MAX_FILES} files.")
    attached = GigDeliveryFile(
        delivery=delivery,
        key=secrets.token_hex(16),
        original_name=(upload.name or "file")[:200],
        content_type=(upload.content_type or "application/octet-stream")[:100],
        size=size,
        is_locked_until_accepted=is_locked_until_accepted,
    )
    attached.file.save(attached.key, upload, save=False)
    attached.save()
    return attached


@transaction.atomic
def deliver(*, seller_id: int, order_id: int, delivery_id: int) -> GigDelivery:
    """Deliver a draft: a real artifact and the whole checklist are required. Starts the
    auto-accept period (the order's frozen policy) and its reminders."""
    order = sellers_order(seller_id=seller_id, order_id=order_id, lock=True)
    if order.status != OrderStatus.IN_PROGRESS:
        raise wrong_state("Only an order in progress can be delivered.", order.status)
    delivery = sellers_delivery(order, delivery_id)
    if delivery.status != DeliveryStatus.DRAFT:
        raise wrong_state("This submission was delivered already.", delivery.status)
    if not delivery.links and not delivery.files.filter(size__gt=0).exists():
        raise GigsError(
            GigsErrorCode.NO_ARTIFACT,
            "Attach a file or give a link: a delivery needs something to deliver.",
            details={"field": "files"},
            kind=ErrorKind.INVALID,
        )
    missing = [item for item in order.checklist if item not in delivery.checklist_ticked]
    if missing:
        raise GigsError(
            GigsErrorCode.CHECKLIST_INCOMPLETE,
            "Tick every checklist item before delivering.",
            details={"field": "checklist_ticked", "missing": missing},
            kind=ErrorKind.INVALID,
        )
    now = timezone.now()
    submitted = order.deliveries.aggregate(last=Max("number"))["last"] or 0
    open_revision = order.revisions.filter(resolved_at__isnull=True).order_by("-id").first()
    delivery.kind = DeliveryKind.REVISION if open_revision else DeliveryKind.FINAL
    delivery.status = DeliveryStatus.SUBMITTED
    delivery.number = submitted + 1
    delivery.submitted_at = now
    delivery.milestone = current_milestone(order)
    delivery.save(update_fields=["kind", "status", "number", "submitted_at", "milestone"])
    if open_revision is not None:
        open_revision.resolved_at = now
        open_revision.save(update_fields=["resolved_at"])
    order.status = OrderStatus.DELIVERED
    order.delivered_at = now
    order.auto_accept_at = now + timedelta(days=order.policy["auto_accept_days"])
    order.save(update_fields=["status", "delivered_at", "auto_accept_at"])
    _schedule_auto_accept(order, delivery.number)
    events.emit("gig.delivered", event_payload(order, delivery_number=delivery.number))
    return delivery


def _schedule_auto_accept(order: GigOrder, number: int) -> None:
    assert order.auto_accept_at is not None
    now = timezone.now()
    payload = {"order_id": order.pk, "delivery_number": number}
    for hours, timer in AUTO_ACCEPT_REMINDERS:
        at = order.auto_accept_at - timedelta(hours=hours)
        if at > now:
            schedule_deadline(
                key=deadline_key(order.pk, timer),
                at=at,
                task="gigs.auto_accept_reminder",
                payload={**payload, "hours": hours},
            )
        else:  # a period this short has no such reminder (nor one left from before)
            cancel_deadline(key=deadline_key(order.pk, timer))
    schedule_deadline(
        key=deadline_key(order.pk, "auto-accept"),
        at=order.auto_accept_at,
        task="gigs.auto_accept",
        payload=payload,
    )


def _cancel_auto_accept(order: GigOrder) -> None:
    for _, timer in AUTO_ACCEPT_REMINDERS:
        cancel_deadline(key=deadline_key(order.pk, timer))
    cancel_deadline(key=deadline_key(order.pk, "auto-accept"))


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
    _cancel_auto_accept(order)
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


def _complete(order: GigOrder, *, is_auto: bool) -> GigOrder:
    """Release the line's escrow to the seller (once: the reference is the order's) and
    close the order; with agreed milestones, release the one delivered and go on with the
    next (the order closes with the last)."""
    if order.milestones_agreed_at is not None:
        if complete_current(order):
            order.status = OrderStatus.IN_PROGRESS
            order.auto_accept_at = None
            order.save(update_fields=["status", "auto_accept_at"])
            _cancel_auto_accept(order)
            return order
    else:
        release_escrow(order_line_id=order.order_line_id, reference=f"gig:{order.pk}:accept")
    release_addons(order)
    withdraw_unpaid(order)
    now = timezone.now()
    order.status = OrderStatus.COMPLETED
    order.completed_at = now
    order.is_auto_accepted = is_auto
    order.auto_accept_at = None
    order.save(update_fields=["status", "completed_at", "is_auto_accepted", "auto_accept_at"])
    close_timers(order)
    events.emit("gig.completed", event_payload(order, is_auto_accepted=is_auto))
    return order


@transaction.atomic
def accept(*, buyer: User, order_id: int) -> GigOrder:
    order = buyers_order(buyer=buyer, order_id=order_id, lock=True)
    if order.status != OrderStatus.DELIVERED:
        raise wrong_state("Only a delivered order can be accepted.", order.status)
    return _complete(order, is_auto=False)


@transaction.atomic
def auto_accept(*, order_id: int, delivery_number: int) -> bool:
    """The deadline's work: accept the delivery it was set for, if nothing happened since.
    Escrow frozen by an open dispute leaves the order delivered (the dispute decides)."""
    order = locked(order_id)
    if order.status != OrderStatus.DELIVERED:
        return False
    last = order.deliveries.aggregate(last=Max("number"))["last"]
    if last != delivery_number:
        return False
    try:
        with transaction.atomic():
            _complete(order, is_auto=True)
    except CommerceError as error:
        if isinstance(error.details, dict) and error.details.get("frozen"):
            return False
        raise
    return True


@transaction.atomic
def remind_auto_accept(*, order_id: int, delivery_number: int, hours: int) -> bool:
    order = locked(order_id)
    last = order.deliveries.aggregate(last=Max("number"))["last"]
    if order.status != OrderStatus.DELIVERED or last != delivery_number:
        return False
    events.emit(
        "gig.auto_accept_soon",
        event_payload(order, hours=hours, delivery_number=delivery_number),
    )
    return True


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
        return order  # the seller is at work already; nothing to reopen
    last = order.deliveries.filter(status=DeliveryStatus.SUBMITTED).order_by("-number").first()
    assert last is not None
    order.status = OrderStatus.REVISION_REQUESTED
    order.auto_accept_at = None
    order.save(update_fields=["status", "auto_accept_at"])
    _cancel_auto_accept(order)
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
