"""The operator's quality check (QC) of gig deliveries.

A marketplace names categories (``GigsSettings.qc_category_slugs``; a category covers its
subcategories) whose deliveries an operator checks before the buyer sees them. The list is
frozen on each order's ``policy`` when it is placed, so a change is never retroactive. A
delivery on such an order waits in review (order ``in_review``): the buyer does not see it
and the auto-accept clock does not run. An operator approves it (the buyer is told, the
auto-accept period starts from then) or returns it to the seller with a note (the seller is
told and delivers again). Both are idempotent (the same decision again changes nothing; the
other decision is refused) and recorded on the delivery: who, when, the note."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from core import events
from core.accounts.models import User
from core.errors import ErrorKind
from core.notifications.services.notify import notify
from core.sellers.models import Seller
from modules.gigs.errors import GigsError, GigsErrorCode, invalid, not_found, wrong_state
from modules.gigs.models import (
    DeliveryKind,
    DeliveryStatus,
    GigDelivery,
    GigOrder,
    OrderStatus,
)
from modules.gigs.selectors import in_qc_categories
from modules.gigs.services.acceptance import start_auto_accept
from modules.gigs.services.orders import event_payload

logger = logging.getLogger(__name__)
MAX_NOTE = 2000


def requires_qc(order: GigOrder) -> bool:
    """Whether the order's deliveries wait for an operator: its frozen policy decides (an
    explicit ``qc_required``, else its category among the frozen ``qc_category_slugs``)."""
    if "qc_required" in order.policy:
        return bool(order.policy["qc_required"])
    return in_qc_categories(order.product_id, order.policy)


def queue() -> QuerySet[GigDelivery]:
    """Deliveries waiting for an operator, the oldest first."""
    return (
        GigDelivery.objects.filter(status=DeliveryStatus.IN_REVIEW)
        .select_related("order", "order__seller", "order__buyer")
        .prefetch_related("files")
        .order_by("submitted_at", "id")
    )


def _locked_delivery(delivery_id: int) -> tuple[GigDelivery, GigOrder]:
    order_id = GigDelivery.objects.filter(pk=delivery_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise not_found(GigsErrorCode.DELIVERY_NOT_FOUND, "No such delivery.")
    order = GigOrder.objects.select_for_update().get(pk=order_id)
    delivery = GigDelivery.objects.select_for_update().get(pk=delivery_id)
    if delivery.status == DeliveryStatus.DRAFT:
        raise not_found(GigsErrorCode.DELIVERY_NOT_FOUND, "No such delivery.")
    return delivery, order


def _already(decision: str, delivery: GigDelivery) -> GigsError:
    by = delivery.qc_decided_by.email if delivery.qc_decided_by else "an operator"
    when = delivery.qc_decided_at.strftime("%Y-%m-%d %H:%M") if delivery.qc_decided_at else ""
    return GigsError(
        GigsErrorCode.WRONG_STATE,
        f"This delivery was {decision} already by {by} ({when} UTC).",
        details={"status": delivery.status, "qc_state": delivery.qc_state},
        kind=ErrorKind.CONFLICT,
    )


@transaction.atomic
def approve(*, operator: User, delivery_id: int) -> GigDelivery:
    """The buyer sees the delivery from now; the auto-accept period starts now."""
    delivery, order = _locked_delivery(delivery_id)
    if delivery.qc_state == "approved":
        return delivery  # approved already: nothing changes
    if delivery.status == DeliveryStatus.RETURNED:
        raise _already("returned to the seller", delivery)
    if delivery.status != DeliveryStatus.IN_REVIEW or order.status != OrderStatus.IN_REVIEW:
        raise wrong_state("Only a delivery in review can be approved.", order.status)
    assert delivery.number is not None
    delivery.status = DeliveryStatus.SUBMITTED
    delivery.qc_decided_by = operator
    delivery.qc_decided_at = timezone.now()
    delivery.save(update_fields=["status", "qc_decided_by", "qc_decided_at"])
    start_auto_accept(order, delivery.number)
    events.emit(
        "gig.delivered",
        event_payload(order, delivery_number=delivery.number, qc_approved_by=operator.pk),
    )
    logger.info(
        "gig delivery approved",
        extra={"order_id": order.pk, "delivery_id": delivery.pk, "operator_id": operator.pk},
    )
    return delivery


@transaction.atomic
def return_to_seller(*, operator: User, delivery_id: int, note: str) -> GigDelivery:
    """Back to the seller with ``note``: the order is in progress again and the seller
    delivers anew (a returned revision stays the open revision)."""
    note = note.strip()
    if not note or len(note) > MAX_NOTE:
        raise invalid(
            GigsErrorCode.INVALID_DELIVERY,
            "note",
            f"Tell the seller what to fix (1-{MAX_NOTE} characters).",
        )
    delivery, order = _locked_delivery(delivery_id)
    if delivery.status == DeliveryStatus.RETURNED:
        return delivery  # returned already: nothing changes (the first note stands)
    if delivery.qc_state == "approved":
        raise _already("approved", delivery)
    if delivery.status != DeliveryStatus.IN_REVIEW or order.status != OrderStatus.IN_REVIEW:
        raise wrong_state("Only a delivery in review can be returned.", order.status)
    now = timezone.now()
    delivery.status = DeliveryStatus.RETURNED
    delivery.qc_decided_by = operator
    delivery.qc_decided_at = now
    delivery.qc_note = note
    delivery.save(update_fields=["status", "qc_decided_by", "qc_decided_at", "qc_note"])
    if delivery.kind == DeliveryKind.REVISION:
        # The revision it answered is open again: the next delivery answers it.
        order.revisions.filter(resolved_at__isnull=False).order_by("-id")[:1].update(
            resolved_at=None
        )
    order.status = OrderStatus.IN_PROGRESS
    order.save(update_fields=["status"])
    payload = event_payload(order, delivery_number=delivery.number, note=note)
    events.emit("gig.delivery_returned", payload)
    owner_id = Seller.objects.values_list("owner_id", flat=True).get(pk=order.seller_id)
    notify(
        user_ids=[int(owner_id)],
        type_key="gigs.delivery_returned",
        title=f"Delivery #{delivery.number} of {order.title} was returned: {note}"[:200],
        body=note,
        url=reverse("gigs_studio:order", args=[order.pk]),
        data={"order_id": order.pk, "delivery_id": delivery.pk},
        dedupe_key=f"gig.delivery_returned:{order.pk}:{delivery.pk}",
    )
    logger.info(
        "gig delivery returned",
        extra={"order_id": order.pk, "delivery_id": delivery.pk, "operator_id": operator.pk},
    )
    return delivery


@dataclass(frozen=True)
class QcStep:
    at: datetime
    what: str
    note: str = ""
    by: str = ""


def steps(deliveries: list[GigDelivery]) -> list[QcStep]:
    """The quality check's steps on an order's deliveries, oldest first (each delivery's
    ``qc_decided_by`` should be selected with it)."""
    found: list[QcStep] = []
    for delivery in deliveries:
        if delivery.submitted_at is None or not delivery.qc_state:
            continue
        found.append(QcStep(delivery.submitted_at, f"Delivery #{delivery.number} sent for review"))
        if delivery.qc_decided_at is None:
            continue
        by = delivery.qc_decided_by.email if delivery.qc_decided_by else ""
        if delivery.qc_state == "approved":
            what = f"Delivery #{delivery.number} approved: shown to the buyer"
            found.append(QcStep(delivery.qc_decided_at, what, by=by))
        else:
            what = f"Delivery #{delivery.number} returned to the seller"
            found.append(QcStep(delivery.qc_decided_at, what, note=delivery.qc_note, by=by))
    return sorted(found, key=lambda step: step.at)


def summary(order_id: int) -> dict[str, Any]:
    """The QC state of an order for its seller's page: whether a delivery waits in review,
    the last returned note, and the steps."""
    deliveries = list(
        GigDelivery.objects.filter(order_id=order_id)
        .exclude(status=DeliveryStatus.DRAFT)
        .select_related("qc_decided_by")
        .order_by("id")
    )
    checked = [delivery for delivery in deliveries if delivery.qc_state]
    last = checked[-1] if checked else None
    return {
        "state": last.qc_state if last else "",
        "delivery": last,
        "returned_note": last.qc_note if last and last.qc_state == "returned" else "",
        "steps": steps(deliveries),
    }
