"""Documents shared in a booking: either side uploads a file once the session is booked;
only the booking's buyer and consultant list and download it; the uploader removes it (a
soft removal: it leaves the list and its URL is a 404). A file's type is judged by its
content (``filetype``'s magic numbers, never the name or the browser's claim): PDFs, images,
office documents, and plain text, CSV or Markdown under a text name; programs, scripts and
binaries nobody can name are refused, naming the file. The size limit is the operator's
``max_file_mb``. Stored privately under the marketplace's prefix (``booking_file_path``)."""

from __future__ import annotations

import secrets
from pathlib import PurePosixPath
from typing import IO, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.accounts.models import User
from core.errors import ErrorKind
from core.uploads import checked_content_type as checked_upload_type
from modules.consulting.errors import ConsultingError, ConsultingErrorCode
from modules.consulting.models import Booking, BookingFile
from modules.consulting.services.booking import current_bounds
from modules.consulting.services.session_access import (
    Role,
    check_open,
    check_participant,
    invalid,
    item_not_found,
    not_yours,
    side_of,
    tell_other_side,
)

DOCUMENT_TYPES = frozenset(
    {
        "application/pdf", "application/rtf",
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/bmp",
        "image/heic", "image/avif",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)  # fmt: skip
MAX_FILES = 50  # per booking, listed ones


def checked_content_type(name: str, stream: IO[bytes]) -> str:
    """The file's type as its content shows it (``core.uploads``), limited to documents and
    pictures, or a refusal naming the file."""
    return checked_upload_type(name, stream, allowed=DOCUMENT_TYPES, verb="shared")


def max_file_bytes() -> int:
    return current_bounds().max_file_mb * 1024 * 1024


def files_of(booking: Booking) -> QuerySet[BookingFile]:
    """The booking's listed files (removed ones are gone for both sides)."""
    return booking.files.filter(removed_at__isnull=True).order_by("created_at", "id")


def listed_file(booking: Booking, file_id: int) -> BookingFile:
    found = files_of(booking).filter(pk=file_id).first()
    if found is None or not found.file:
        raise item_not_found("file")
    return found


@transaction.atomic
def upload_file(
    *, booking: Booking, actor: User, role: Role, upload: UploadedFile[Any]
) -> BookingFile:
    """``upload`` stored privately on ``booking`` by ``actor``; the other side is told."""
    check_participant(booking, actor, role)
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("consultant__seller", "session_type__product")
        .get(pk=booking.pk)
    )
    check_open(booking)
    name = PurePosixPath((upload.name or "file").replace("\\", "/")).name[:200] or "file"
    size = upload.size or 0
    if size <= 0:
        raise invalid(
            ConsultingErrorCode.FILE_REFUSED, "file", f"{name}: this file is empty.", file=name
        )
    limit = max_file_bytes()
    if size > limit:
        raise ConsultingError(
            ConsultingErrorCode.FILE_TOO_LARGE,
            f"{name}: a file may be at most {limit // (1024 * 1024)} MB.",
            details={"field": "file", "file": name, "max_bytes": limit},
            kind=ErrorKind.TOO_LARGE,
        )
    if files_of(booking).count() >= MAX_FILES:
        raise invalid(
            ConsultingErrorCode.FILE_REFUSED, "file", f"At most {MAX_FILES} files per booking."
        )
    upload.seek(0)
    content_type = checked_content_type(name, upload)
    upload.seek(0)
    stored = BookingFile(
        booking=booking,
        uploaded_by=actor,
        key=secrets.token_hex(16),
        original_name=name,
        content_type=content_type,
        size=size,
    )
    stored.file.save(stored.key, upload, save=False)
    stored.save()
    tell_other_side(
        booking,
        role=role,
        title=f"A file was shared in your session: {name}",
        body=f"{booking.session_type.product.name}",
        dedupe_key=f"consulting:file:{stored.pk}",
    )
    return stored


@transaction.atomic
def remove_file(*, booking: Booking, actor: User, role: Role, file_id: int) -> BookingFile:
    """The uploader's side removes its file: it leaves the list and is no longer served."""
    check_participant(booking, actor, role)
    found = (
        BookingFile.objects.select_for_update()
        .filter(booking=booking, pk=file_id, removed_at__isnull=True)
        .first()
    )
    if found is None:
        raise item_not_found("file")
    if side_of(booking, found.uploaded_by_id) != role:
        raise not_yours(f"Only whoever shared {found.original_name} can remove it.")
    found.removed_at = timezone.now()
    found.save(update_fields=["removed_at"])
    return found
