"""Large versions straight from the seller's browser to the bucket, when files live on S3.

``start_upload`` signs an S3 presigned POST for one object: a fresh key under the tenant's
private prefix (``<schema>/digital/uploads/<file>/<key>``), at most the marketplace's
``max_file_mb``, encrypted at rest (``versions.encryption_parameters``), valid for
``UPLOAD_SECONDS``. The bytes never pass through Souk.

``complete_upload`` then judges the object exactly as an upload through Souk is judged
(``versions``: the size limit, the type by content from its first bytes) and hashes it
streaming; a lying or oversized object is deleted and refused beside the field. What was
hashed is copied, only if unchanged (``CopySourceIfMatch`` on the ETag read), to the
version's own key, so writing the upload key again later cannot change a published version;
the version is then published by ``versions.publish_version`` under the upload's key. A
second call returns the same version.

Locally (files under MEDIA_ROOT) there is no bucket to post to: both refuse with a message
pointing at the ordinary upload (``POST /files/{id}/versions``)."""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from django.db import transaction
from django.utils import timezone

from core.errors import ErrorKind
from core.schema import current_schema_name
from core.storage import TenantPrivateS3Storage, tenant_prefix
from core.uploads import SNIFF_BYTES, UploadRefused
from modules.digital.errors import DigitalError
from modules.digital.models import FileVersion, new_key, version_path
from modules.digital.services import versions

logger = logging.getLogger(__name__)

# How long a signed POST may be used: long enough to start a large upload, short enough
# that a leaked form is soon worthless (AWS checks the policy when the upload starts).
UPLOAD_SECONDS = 15 * 60
_UPLOAD_KEY = re.compile(r"^[0-9a-f]{32}$")
# Presigned POST form fields of S3's server-side encryption.
_SSE_FIELDS = {
    "ServerSideEncryption": "x-amz-server-side-encryption",
    "SSEKMSKeyId": "x-amz-server-side-encryption-aws-kms-key-id",
}


class DirectUploadErrorCode(StrEnum):
    UNAVAILABLE = "direct_upload_unavailable"  # files are stored locally: no bucket
    MISSING = "direct_upload_missing"  # nothing under that key (never sent, or expired)
    CHANGED = "direct_upload_changed"  # the object changed while it was being checked


@dataclass(frozen=True)
class UploadTicket:
    upload_key: str
    url: str
    fields: dict[str, str]
    max_bytes: int
    expires_at: datetime


def bucket_storage() -> TenantPrivateS3Storage | None:
    """The versions' storage when it is a bucket, else None."""
    storage = FileVersion._meta.get_field("content").storage
    return storage if isinstance(storage, TenantPrivateS3Storage) else None


def is_available() -> bool:
    return bucket_storage() is not None


def _bucket() -> TenantPrivateS3Storage:
    storage = bucket_storage()
    if storage is None:
        raise DigitalError(
            DirectUploadErrorCode.UNAVAILABLE,
            "This marketplace stores files itself, not in a bucket: upload the file through "
            "POST /files/{file_id}/versions (multipart) instead.",
            kind=ErrorKind.CONFLICT,
        )
    return storage


def upload_object_key(file_id: int, upload_key: str) -> str:
    """Where the browser puts the bytes: under the current tenant's prefix, never another's."""
    return f"{tenant_prefix(current_schema_name())}digital/uploads/{file_id}/{upload_key}"


def _client(storage: TenantPrivateS3Storage) -> Any:
    return storage.connection.meta.client


def start_upload(
    *, seller_id: int, file_id: int, name: str = "", size: int | None = None
) -> UploadTicket:
    """A signed POST for one new version of one of ``seller_id``'s files. A ``size`` given
    beforehand is checked now, so a file that is too large is refused before it is sent."""
    storage = _bucket()
    versions.uploadable_file(file_id=file_id, seller_id=seller_id)
    if size is not None:
        versions.check_size(name or "The file", size)
    limit = versions.max_bytes()
    upload_key = new_key()
    fields = {
        form_field: value
        for parameter, value in versions.encryption_parameters().items()
        if (form_field := _SSE_FIELDS.get(parameter))
    }
    conditions: list[Any] = [["content-length-range", 1, limit]]
    conditions += [{form_field: value} for form_field, value in fields.items()]
    signed = _client(storage).generate_presigned_post(
        Bucket=storage.bucket_name,
        Key=upload_object_key(file_id, upload_key),
        Fields=fields,
        Conditions=conditions,
        ExpiresIn=UPLOAD_SECONDS,
    )
    return UploadTicket(
        upload_key=upload_key,
        url=str(signed["url"]),
        fields={str(key): str(value) for key, value in signed["fields"].items()},
        max_bytes=limit,
        expires_at=timezone.now() + timedelta(seconds=UPLOAD_SECONDS),
    )


def _missing() -> DigitalError:
    return DigitalError(
        DirectUploadErrorCode.MISSING,
        "Nothing was uploaded for this version (or the upload expired): upload the file again.",
        details={"field": "file"},
        kind=ErrorKind.NOT_FOUND,
    )


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _published(file_id: int, upload_key: str) -> FileVersion | None:
    return FileVersion.objects.filter(file_id=file_id, key=upload_key).first()


def _read_head(body: Any) -> bytes:
    head = b""
    while len(head) < SNIFF_BYTES:
        chunk = body.read(SNIFF_BYTES - len(head))
        if not chunk:
            break
        head += chunk
    return bytes(head)


def complete_upload(
    *, seller_id: int, file_id: int, upload_key: str, name: str, changelog: str = ""
) -> FileVersion:
    """The version made of what the browser put under ``upload_key`` (module docstring)."""
    storage = _bucket()
    if not _UPLOAD_KEY.match(upload_key):
        raise _missing()
    versions.uploadable_file(file_id=file_id, seller_id=seller_id)
    name = name.strip()[:255] or "upload"
    if (done := _published(file_id, upload_key)) is not None:
        return done
    client = _client(storage)
    bucket = storage.bucket_name
    source = upload_object_key(file_id, upload_key)

    def refuse(error: DigitalError | UploadRefused) -> DigitalError | UploadRefused:
        client.delete_object(Bucket=bucket, Key=source)
        return error

    try:
        head = client.head_object(Bucket=bucket, Key=source)
    except ClientError as error:
        if _error_code(error) not in ("404", "NoSuchKey", "NotFound"):
            raise
        # A concurrent call may have published it and removed the upload meanwhile.
        if (done := _published(file_id, upload_key)) is not None:
            return done
        raise _missing() from None
    size, etag = int(head["ContentLength"]), str(head["ETag"])
    try:
        versions.check_size(name, size)
    except DigitalError as error:
        raise refuse(error) from None
    try:
        body = client.get_object(Bucket=bucket, Key=source, IfMatch=etag)["Body"]
    except ClientError as error:
        if _error_code(error) in ("PreconditionFailed", "412"):
            raise _changed() from None
        raise
    try:
        first = _read_head(body)
        try:
            content_type = versions.checked_type(name, io.BytesIO(first))
        except UploadRefused as error:
            raise refuse(error) from None
        digest, read = hashlib.sha256(first), len(first)
        for chunk in body.iter_chunks(versions.HASH_CHUNK):
            digest.update(chunk)
            read += len(chunk)
    finally:
        body.close()
    if read != size:
        raise _changed()
    final = version_path(FileVersion(file_id=file_id, key=upload_key), "")
    try:
        client.copy(
            {"Bucket": bucket, "Key": source},
            bucket,
            final,
            ExtraArgs={
                "CopySourceIfMatch": etag,
                "ContentType": content_type,
                "MetadataDirective": "REPLACE",
                **versions.encryption_parameters(),
            },
        )
    except ClientError as error:
        if _error_code(error) in ("PreconditionFailed", "412"):
            raise _changed() from None
        raise

    def store(version: FileVersion) -> None:
        version.content.name = final

    version = versions.publish_version(
        file_id=file_id,
        seller_id=seller_id,
        name=name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        changelog=changelog,
        store=store,
        key=upload_key,
    )
    transaction.on_commit(lambda: _remove_upload(client, bucket, source))
    return version


def _changed() -> DigitalError:
    return DigitalError(
        DirectUploadErrorCode.CHANGED,
        "The uploaded file changed while it was being checked: upload it again.",
        details={"field": "file"},
        kind=ErrorKind.CONFLICT,
    )


def _remove_upload(client: Any, bucket: str, key: str) -> None:
    try:
        client.delete_object(Bucket=bucket, Key=key)
    except ClientError:  # the version is published; a leftover upload object is harmless
        logger.exception("digital: could not remove the direct upload %s", key)
