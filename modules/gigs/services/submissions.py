"""The seller's submissions on a gig order: drafts, files and delivering.

A delivery is a draft until the seller delivers it, which needs a real artifact (a
non-empty file or a link) and every checklist item ticked. Files are checked by content
(``uploads``) against the marketplace's size limit; a file the seller locks until acceptance
gets a watermarked preview for the buyer. On an order under the operator's quality check
(``qc``) a delivery waits in review: the buyer sees it, and the auto-accept clock starts,
only once an operator approved it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core import events
from core.errors import ErrorKind
from modules.gigs.errors import GigsError, GigsErrorCode, invalid, not_found, wrong_state
from modules.gigs.models import (
    DeliveryKind,
    DeliveryStatus,
    GigDelivery,
    GigDeliveryFile,
    GigOrder,
    OrderStatus,
)
from modules.gigs.services import qc, uploads
from modules.gigs.services.acceptance import start_auto_accept
from modules.gigs.services.milestones import current_milestone
from modules.gigs.services.orders import current_policy, event_payload, is_link, sellers_order
from tenants.selectors import current_marketplace_settings

MAX_LINKS = 10
MAX_FILES = 20
MAX_FILE_BYTES = 100 * 1024 * 1024  # the default of the marketplace's ``delivery_file_max_mb``


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


def max_file_bytes() -> int:
    """The marketplace's limit on one delivered file (its setting, in megabytes)."""
    return int(current_policy().get("delivery_file_max_mb", 100)) * 1024 * 1024


@transaction.atomic
def attach_file(
    *,
    seller_id: int,
    order_id: int,
    delivery_id: int,
    upload: UploadedFile[Any],
    is_locked_until_accepted: bool = False,
) -> GigDeliveryFile:
    """A file on a draft, stored privately under the marketplace's prefix, its type judged
    by its content (an empty file, an executable, or a type not on the list is refused,
    naming the file). A locked file is listed to the buyer but downloaded only once the
    order is accepted; meanwhile the buyer sees a watermarked preview where one can be
    made (images; PDFs with pikepdf), and why not otherwise."""
    order = sellers_order(seller_id=seller_id, order_id=order_id, lock=True)
    delivery = sellers_delivery(order, delivery_id)
    if delivery.status != DeliveryStatus.DRAFT:
        raise wrong_state("A delivered submission cannot change.", delivery.status)
    name = (upload.name or "file")[:200]
    size = upload.size or 0
    if size <= 0:
        raise GigsError(
            GigsErrorCode.NO_ARTIFACT,
            f"{name}: this file is empty.",
            details={"field": "file", "file": name},
            kind=ErrorKind.INVALID,
        )
    limit = max_file_bytes()
    if size > limit:
        raise GigsError(
            GigsErrorCode.INVALID_DELIVERY,
            f"{name}: a file may be at most {limit // (1024 * 1024)} MB.",
            details={"field": "file", "file": name, "max_bytes": limit},
            kind=ErrorKind.TOO_LARGE,
        )
    if delivery.files.count() >= MAX_FILES:
        raise invalid(GigsErrorCode.INVALID_DELIVERY, "file", f"At most {MAX_FILES} files.")
    upload.seek(0)
    content_type = uploads.checked_content_type(name, upload)
    attached = GigDeliveryFile(
        delivery=delivery,
        key=secrets.token_hex(16),
        original_name=name,
        content_type=content_type,
        size=size,
        is_locked_until_accepted=is_locked_until_accepted,
    )
    if is_locked_until_accepted:
        upload.seek(0)
        preview = uploads.make_preview(upload, content_type, current_marketplace_settings().name)
        attached.preview_note = preview.note[:200]
        if preview.content is not None:
            attached.preview_content_type = preview.content_type
            attached.preview.save(attached.key, ContentFile(preview.content), save=False)
        upload.seek(0)
    attached.file.save(attached.key, upload, save=False)
    attached.save()
    return attached


@transaction.atomic
def deliver(*, seller_id: int, order_id: int, delivery_id: int) -> GigDelivery:
    """Deliver a draft: a real artifact and the whole checklist are required. Starts the
    auto-accept period (the order's frozen policy) and its reminders; on an order under the
    operator's quality check the delivery waits in review instead (no clock yet)."""
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
    in_review = qc.requires_qc(order)
    delivery.kind = DeliveryKind.REVISION if open_revision else DeliveryKind.FINAL
    delivery.status = DeliveryStatus.IN_REVIEW if in_review else DeliveryStatus.SUBMITTED
    delivery.number = submitted + 1
    delivery.submitted_at = now
    delivery.milestone = current_milestone(order)
    delivery.save(update_fields=["kind", "status", "number", "submitted_at", "milestone"])
    if open_revision is not None:
        open_revision.resolved_at = now
        open_revision.save(update_fields=["resolved_at"])
    if in_review:
        order.status = OrderStatus.IN_REVIEW
        order.save(update_fields=["status"])
        events.emit("gig.delivery_in_review", event_payload(order, delivery_number=delivery.number))
        return delivery
    start_auto_accept(order, delivery.number)
    events.emit("gig.delivered", event_payload(order, delivery_number=delivery.number))
    return delivery
