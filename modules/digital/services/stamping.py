"""Each buyer's own copy of a product's PDFs, stamped on every page with who bought it and
fingerprinted (``processing.stamping``), made in a background job after payment; encrypted
too (printable, not editable) when the product's terms say ``protect_pdfs``. An encrypted
PDF cannot be stamped: the buyer gets the original and the copy says why, for the seller.
``who_leaked`` reads a fingerprint back from a PDF found in the wild.

When a copy is done the buyer is told it is ready (``digital.copy_ready``, with a link to
their library); when it could not be stamped the seller is told why too
(``digital.copy_unstamped``). Once per copy: the job's second run finds it done and says
nothing, and each notice carries the copy in its dedupe key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import IO

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from core.notifications.services.notify import notify
from modules.digital.models import (
    Entitlement,
    FileVersion,
    StampedCopy,
    StampStatus,
)
from modules.digital.processing.stamping import Corner, find_fingerprint, stamp_pdf, stamp_text
from modules.digital.services.updates import library_url
from modules.digital.services.versions import save_private

PDF = "application/pdf"
COPY_READY = "digital.copy_ready"
COPY_UNSTAMPED = "digital.copy_unstamped"


def latest_versions(product_id: int) -> list[FileVersion]:
    """The newest version of each of the product's files that are still offered."""
    newest: dict[int, FileVersion] = {}
    for version in FileVersion.objects.filter(
        file__product_id=product_id, file__removed_at__isnull=True
    ).order_by("file_id", "-number"):
        newest.setdefault(version.file_id, version)
    return list(newest.values())


def queue_stamps(*, entitlement_id: int) -> list[int]:
    """A pending stamped copy of each current PDF of the entitlement's product, each made by
    its own job; the ids of the copies queued (an existing copy is not queued twice)."""
    entitlement = Entitlement.objects.get(pk=entitlement_id)
    queued = []
    for version in latest_versions(entitlement.product_id):
        if version.content_type != PDF:
            continue
        copy, created = StampedCopy.objects.get_or_create(
            entitlement=entitlement,
            version=version,
            defaults={"fingerprint": secrets.token_urlsafe(12)},
        )
        if created:
            queued.append(copy.pk)
    transaction.on_commit(lambda: _run(queued))
    return queued


def queue_copy(*, entitlement_id: int, version_id: int) -> int:
    """A pending stamped copy of one version for one entitlement (a buyer asking for a
    version stamped by nobody yet: an earlier one, or one published since the purchase),
    made by a job once the caller's transaction commits; the copy's id."""
    copy, created = StampedCopy.objects.get_or_create(
        entitlement_id=entitlement_id,
        version_id=version_id,
        defaults={"fingerprint": secrets.token_urlsafe(12)},
    )
    if created:
        transaction.on_commit(lambda: _run([copy.pk]))
    return copy.pk


def _run(copy_ids: list[int]) -> None:
    from modules.digital.tasks import stamp_copy_task

    for copy_id in copy_ids:
        stamp_copy_task.delay(copy_id)


def stamp_copy(*, copy_id: int) -> str:
    """Make one stamped copy (the job's work; a second run finds it done). Its status."""
    with transaction.atomic():
        copy = (
            StampedCopy.objects.select_for_update()
            .select_related(
                "version",
                "entitlement__buyer",
                "version__file",
                "entitlement__order_line",
                "entitlement__product__product__seller",
            )
            .filter(pk=copy_id)
            .first()
        )
        if copy is None or copy.status != StampStatus.PENDING:
            return copy.status if copy is not None else "gone"
        entitlement = copy.entitlement
        buyer = entitlement.buyer
        text = stamp_text(
            name=buyer.full_name or buyer.email,
            email=buyer.email,
            order_number=str(entitlement.order_line.order_id),
        )
        with copy.version.content.open("rb") as source:
            stamped = stamp_pdf(
                source,
                text=text,
                fingerprint=copy.fingerprint,
                corner=Corner(entitlement.product.stamp_corner),
                protect=entitlement.product.protect_pdfs,
            )
        if stamped.content is None:
            copy.status, copy.note = StampStatus.UNSTAMPED, stamped.reason[:300]
        else:
            save_private(copy.content, copy.key, ContentFile(stamped.content), content_type=PDF)
            copy.status = StampStatus.READY
        copy.ready_at = timezone.now()
        copy.save(update_fields=["status", "note", "content", "ready_at"])
        _tell(copy)
        return str(copy.status)


def _tell(copy: StampedCopy) -> None:
    """The buyer hears their copy is ready; when it went out unstamped, the seller hears why
    (in the job's transaction, so a copy is announced exactly when it is marked done)."""
    entitlement = copy.entitlement
    terms = entitlement.product
    product_name = terms.product.name
    file_title = copy.version.file.title
    data = {"copy_id": copy.pk, "version_id": copy.version_id, "file_id": copy.version.file_id}
    body = f"Version {copy.version.number} of {file_title} is in your library."
    if copy.status == StampStatus.UNSTAMPED:
        body += f" It comes without your personal stamp: {copy.note}"
    notify(
        user_ids=[entitlement.buyer_id],
        type_key=COPY_READY,
        title=f"Your copy of {product_name} is ready: {file_title}",
        body=body,
        url=library_url(entitlement.pk),
        data=data,
        dedupe_key=f"digital.copy_ready:{copy.pk}",
    )
    if copy.status != StampStatus.UNSTAMPED:
        return
    notify(
        user_ids=[terms.product.seller.owner_id],
        type_key=COPY_UNSTAMPED,
        title=f"A buyer's copy of {product_name} went out unstamped: {file_title}",
        body=f"{copy.note} Order {entitlement.order_line.order_id}, version "
        f"{copy.version.number}. Upload an unencrypted PDF as a new version to have buyers' "
        "copies stamped.",
        url=f"/studio/digital/products/{terms.product_id}/",
        data={**data, "order_id": entitlement.order_line.order_id},
        dedupe_key=f"digital.copy_unstamped:{copy.pk}",
    )


@dataclass(frozen=True)
class Leak:
    fingerprint: str
    copy: StampedCopy | None  # None: a Souk fingerprint, but not one of this seller's copies


def who_leaked(*, seller_id: int, upload: IO[bytes]) -> Leak | None:
    """The stamped copy (and so the order and buyer) a PDF was made from, when it carries a
    fingerprint of one of ``seller_id``'s products; None when it carries none."""
    fingerprint = find_fingerprint(upload)
    if fingerprint is None:
        return None
    copy = (
        StampedCopy.objects.select_related(
            "entitlement__buyer", "entitlement__order_line__order", "version__file"
        )
        .filter(fingerprint=fingerprint, entitlement__product__product__seller_id=seller_id)
        .first()
    )
    return Leak(fingerprint, copy)
