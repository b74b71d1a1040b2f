"""Serving a delivery's private file after the caller's access check (the selectors): a
short-lived signed URL on object storage, or the file streamed from local storage."""

from __future__ import annotations

from typing import Any

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
        raise GigsError(
            GigsErrorCode.FILE_LOCKED,
            "The seller unlocks this file when you accept the delivery; see the preview.",
            kind=ErrorKind.FORBIDDEN,
        )
    return found


def serve(attached: GigDeliveryFile) -> HttpResponseBase:
    url = private_file_url(
        attached.file, download_name=attached.original_name, content_type=attached.content_type
    )
    if url is not None:
        redirect = HttpResponseRedirect(url)
        redirect["Cache-Control"] = "no-store"
        return redirect
    response = FileResponse(
        attached.file.open("rb"),
        as_attachment=True,
        filename=attached.original_name,
        content_type=attached.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
