"""A product's files and their immutable versions: every upload is version n + 1 with a
changelog, judged by its content (``core.uploads``), within the operator's size limit, with
its SHA-256 kept so buyers can check what they downloaded."""

from __future__ import annotations

import hashlib
from typing import IO

from django.core.files import File
from django.db import transaction
from django.db.models import Max

from core.errors import ErrorKind
from core.uploads import checked_content_type
from modules.digital.errors import DigitalError, DigitalErrorCode, invalid, not_found
from modules.digital.manifest import manifest
from modules.digital.models import DigitalFile, DigitalProduct, FileVersion
from modules.digital.services.previews import queue_previews
from modules.digital.services.updates import queue_update_notice
from tenants.selectors import current_tenant_row

HASH_CHUNK = 1024 * 1024


def add_file(*, product: DigitalProduct, title: str, external_url: str = "") -> DigitalFile:
    title = title.strip()
    if not title or len(title) > 200:
        raise invalid(DigitalErrorCode.INVALID_FILE, "title", "Give the file a title.")
    if external_url and not external_url.startswith("https://"):
        raise invalid(DigitalErrorCode.INVALID_FILE, "external_url", "Links start https://.")
    position = (product.files.aggregate(last=Max("position"))["last"] or 0) + 1
    return DigitalFile.objects.create(
        product=product, title=title, external_url=external_url, position=position
    )


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(HASH_CHUNK), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


@transaction.atomic
def upload_version(
    *, file_id: int, seller_id: int, name: str, stream: IO[bytes], size: int, changelog: str = ""
) -> FileVersion:
    """Version n + 1 of one of ``seller_id``'s files (another seller's file is not found).
    Versions are numbered under the file's row lock, so two uploads never share a number."""
    digital_file = (
        DigitalFile.objects.select_for_update()
        .filter(pk=file_id, product__product__seller_id=seller_id, removed_at__isnull=True)
        .first()
    )
    if digital_file is None:
        raise not_found()
    limit = manifest.settings_for(current_tenant_row()).max_file_mb * 1024 * 1024
    if size <= 0:
        raise invalid(DigitalErrorCode.INVALID_FILE, "file", f"{name}: this file is empty.")
    if size > limit:
        raise DigitalError(
            DigitalErrorCode.FILE_TOO_LARGE,
            f"{name}: a file may be at most {limit // (1024 * 1024)} MB.",
            details={"field": "file", "max_bytes": limit},
            kind=ErrorKind.TOO_LARGE,
        )
    content_type = checked_content_type(name, stream, verb="sold")
    number = (digital_file.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = FileVersion(
        file=digital_file,
        number=number,
        original_name=name[:255],
        content_type=content_type,
        size=size,
        sha256=_sha256(stream),
        changelog=changelog.strip()[:5000],
    )
    version.content.save(version.key, File(stream), save=False)
    version.save()
    # After commit: the public previews, and (from version 2) the buyers' notice.
    queue_previews(version_id=version.pk)
    queue_update_notice(version_id=version.pk)
    return version
