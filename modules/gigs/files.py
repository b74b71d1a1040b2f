"""Serving a delivery's private file after the caller's access check (the selectors find
the order among the caller's own, so another buyer's, seller's or marketplace's file is a
404): a short-lived signed URL on object storage, or the file streamed from local storage.
A buyer reaches delivered files only (not drafts, nor deliveries an operator has not
approved), a locked file only once the order is completed, and its watermarked preview
before that."""

from __future__ import annotations

from typing import Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponseBase, HttpResponseRedirect

from core.errors import ErrorKind
from core.storage import private_file_url
from modules.gigs.errors import GigsError, GigsErrorCode, not_found
from modules.gigs.models import DeliveryStatus, GigDeliveryFile, GigOrder, OrderStatus

# The download endpoints' documented answers (any type a seller delivers).
OPENAPI: dict[str, Any] = {
    "responses": {
        200: {
            "description": "The file as delivered (local storage)",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        302: {"description": "A presigned URL of the file (object storage), valid five minutes"},
    }
}


def delivery_file(order: GigOrder, file_id: int, *, with_drafts: bool) -> GigDeliveryFile:
    """A file of one of ``order``'s deliveries; a buyer reaches delivered ones only."""
    rows = GigDeliveryFile.objects.filter(pk=file_id, delivery__order=order)
    if not with_drafts:
        rows = rows.filter(delivery__status=DeliveryStatus.SUBMITTED)
    found = rows.first()
    if found is None or not found.file:
        raise not_found(GigsErrorCode.DELIVERY_NOT_FOUND, "No such file.")
    if not with_drafts and found.is_locked_until_accepted and order.status != OrderStatus.COMPLETED:
        hint = "see the preview" if found.preview else found.preview_note or "no preview"
        raise GigsError(
            GigsErrorCode.FILE_LOCKED,
            f"The seller locked {found.original_name} until you accept the delivery; {hint}.",
            details={"file": found.original_name, "has_preview": bool(found.preview)},
            kind=ErrorKind.FORBIDDEN,
        )
    return found


def preview_file(order: GigOrder, file_id: int) -> GigDeliveryFile:
    """The watermarked preview of a locked file of ``order``'s delivered submissions."""
    found = (
        GigDeliveryFile.objects.filter(
            pk=file_id, delivery__order=order, delivery__status=DeliveryStatus.SUBMITTED
        )
        .exclude(preview="")
        .first()
    )
    if found is None:
        raise not_found(GigsErrorCode.DELIVERY_NOT_FOUND, "No preview of such a file.")
    return found


def operator_file(file_id: int) -> GigDeliveryFile:
    """Any delivered (or in review, or returned) file of this marketplace, for operators."""
    found = (
        GigDeliveryFile.objects.filter(pk=file_id)
        .exclude(delivery__status=DeliveryStatus.DRAFT)
        .first()
    )
    if found is None or not found.file:
        raise not_found(GigsErrorCode.DELIVERY_NOT_FOUND, "No such file.")
    return found


def _serve(stored: FieldFile, name: str, content_type: str, *, inline: bool) -> HttpResponseBase:
    url = private_file_url(stored, download_name=name, content_type=content_type)
    if url is not None:
        redirect = HttpResponseRedirect(url)
        redirect["Cache-Control"] = "no-store"
        return redirect
    response = FileResponse(
        stored.open("rb"), as_attachment=not inline, filename=name, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def serve(attached: GigDeliveryFile) -> HttpResponseBase:
    return _serve(attached.file, attached.original_name, attached.content_type, inline=False)


def serve_preview(attached: GigDeliveryFile) -> HttpResponseBase:
    """The watermarked preview, shown in the browser (a PNG or a one-page PDF)."""
    stem = attached.original_name.rsplit(".", 1)[0] or "file"
    suffix = ".pdf" if attached.preview_content_type == "application/pdf" else ".png"
    return _serve(
        attached.preview,
        f"{stem}-preview{suffix}",
        attached.preview_content_type or "application/octet-stream",
        inline=True,
    )
