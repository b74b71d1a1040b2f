"""A product's files and their immutable versions: every upload is version n + 1 with a
changelog, judged by its content (``core.uploads``), within the operator's size limit, with
its SHA-256 kept so buyers can check what they downloaded.

Two ways in, one way to publish: a file sent through Souk (``upload_version``) and a file
the seller's browser put straight into the bucket (``direct_uploads.complete_upload``) are
checked by the same rules and become a version through the same ``publish_version``.

On S3 the module's private objects (versions, stamped copies) are written with server-side
encryption (``encryption_parameters``: ``SOUK_S3_SSE``, AES256 unless the operator says
otherwise), whatever the bucket's default is."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.db.models.fields.files import FieldFile

from core.errors import ErrorKind
from core.storage import TenantPrivateS3Storage
from core.uploads import checked_content_type
from modules.digital.errors import DigitalError, DigitalErrorCode, invalid, not_found
from modules.digital.manifest import manifest
from modules.digital.models import DigitalFile, DigitalProduct, FileVersion, new_key
from modules.digital.services.previews import queue_previews
from modules.digital.services.updates import queue_update_notice
from tenants.selectors import current_tenant_row

HASH_CHUNK = 1024 * 1024
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")


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


# --- encryption at rest ------------------------------------------------------------------------


def encryption_parameters() -> dict[str, str]:
    """S3's server-side encryption arguments for the module's private objects (empty when
    the operator turned it off with ``SOUK_S3_SSE = ""``, for a server without it)."""
    algorithm = str(getattr(settings, "SOUK_S3_SSE", "AES256") or "")
    if not algorithm:
        return {}
    if algorithm not in SSE_ALGORITHMS:
        raise ImproperlyConfigured(f"SOUK_S3_SSE must be one of {SSE_ALGORITHMS} or empty.")
    parameters = {"ServerSideEncryption": algorithm}
    key_id = str(getattr(settings, "SOUK_S3_SSE_KMS_KEY_ID", "") or "")
    if key_id and algorithm.startswith("aws:kms"):
        parameters["SSEKMSKeyId"] = key_id
    return parameters


def save_private(field: FieldFile, name: str, content: File[Any], *, content_type: str) -> None:
    """``field.save(name, content)`` (not saving the row), encrypted at rest on S3 and stored
    with the type its content was judged to be. The shared storage is left untouched: the
    write goes through a copy carrying this object's parameters."""
    storage = field.storage
    if not isinstance(storage, TenantPrivateS3Storage):
        field.save(name, content, save=False)
        return
    writer = copy.copy(storage)
    writer.object_parameters = {
        **storage.object_parameters,
        **encryption_parameters(),
        "ContentType": content_type,
    }
    field.storage = writer
    try:
        field.save(name, content, save=False)
    finally:
        field.storage = storage


# --- the checks both ways in share -------------------------------------------------------------


def uploadable_file(*, file_id: int, seller_id: int, lock: bool = False) -> DigitalFile:
    """One of ``seller_id``'s offered files that takes uploads (another seller's file is not
    found; an external link has no versions, so an upload to one is refused beside the
    field)."""
    files = DigitalFile.objects.select_for_update() if lock else DigitalFile.objects
    found = files.filter(
        pk=file_id, product__product__seller_id=seller_id, removed_at__isnull=True
    ).first()
    if found is None:
        raise not_found()
    if found.external_url:
        raise invalid(
            DigitalErrorCode.INVALID_FILE,
            "file",
            "This file is an external link; add a new file to upload one.",
        )
    return found


def max_bytes() -> int:
    """The marketplace's largest version (``max_file_mb``), in bytes."""
    return manifest.settings_for(current_tenant_row()).max_file_mb * 1024 * 1024


def check_size(name: str, size: int) -> None:
    limit = max_bytes()
    if size <= 0:
        raise invalid(DigitalErrorCode.INVALID_FILE, "file", f"{name}: this file is empty.")
    if size > limit:
        raise DigitalError(
            DigitalErrorCode.FILE_TOO_LARGE,
            f"{name}: a file may be at most {limit // (1024 * 1024)} MB.",
            details={"field": "file", "max_bytes": limit},
            kind=ErrorKind.TOO_LARGE,
        )


def checked_type(name: str, stream: IO[bytes]) -> str:
    """The type of what is sold, judged by its first bytes (``core.uploads``)."""
    return checked_content_type(name, stream, verb="sold")


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    stream.seek(0)
    for chunk in iter(lambda: stream.read(HASH_CHUNK), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


# --- publishing --------------------------------------------------------------------------------


@transaction.atomic
def publish_version(
    *,
    file_id: int,
    seller_id: int,
    name: str,
    content_type: str,
    size: int,
    sha256: str,
    changelog: str,
    store: Callable[[FileVersion], None],
    key: str | None = None,
) -> FileVersion:
    """Version n + 1 of the file from content already checked: ``store(version)`` puts its
    bytes in place before the row is written. Versions are numbered under the file's row
    lock, so two uploads never share a number; with a ``key`` (a direct upload's), a version
    already published under it is returned instead of a second one."""
    digital_file = uploadable_file(file_id=file_id, seller_id=seller_id, lock=True)
    if key is not None:
        published = FileVersion.objects.filter(file=digital_file, key=key).first()
        if published is not None:
            return published
    number = (digital_file.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    version = FileVersion(
        file=digital_file,
        number=number,
        key=key or new_key(),
        original_name=name[:255],
        content_type=content_type,
        size=size,
        sha256=sha256,
        changelog=changelog.strip()[:5000],
    )
    store(version)
    version.save()
    # After commit: the public previews, and (from version 2) the buyers' notice.
    queue_previews(version_id=version.pk)
    queue_update_notice(version_id=version.pk)
    return version


def upload_version(
    *, file_id: int, seller_id: int, name: str, stream: IO[bytes], size: int, changelog: str = ""
) -> FileVersion:
    """Version n + 1 of one of ``seller_id``'s files, sent through Souk."""
    uploadable_file(file_id=file_id, seller_id=seller_id)
    check_size(name, size)
    content_type = checked_type(name, stream)
    sha256 = _sha256(stream)

    def store(version: FileVersion) -> None:
        save_private(version.content, version.key, File(stream), content_type=content_type)

    return publish_version(
        file_id=file_id,
        seller_id=seller_id,
        name=name,
        content_type=content_type,
        size=size,
        sha256=sha256,
        changelog=changelog,
        store=store,
    )
