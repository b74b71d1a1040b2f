"""Tenant files on S3-compatible object storage: private objects under ``<schema>/`` keys,
reachable only through presigned URLs that live at most five minutes.

Locally (no bucket configured) files stay on Django's FileSystemStorage under MEDIA_ROOT; the
helpers below serve both, so fleet operations (backup, export, purge) need not care which."""

from __future__ import annotations

import posixpath
import re
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db.models.fields.files import FieldFile
from django.utils.http import content_disposition_header
from django_tenants.utils import schema_context
from storages.backends.s3 import S3Storage
from storages.utils import safe_join

from core.schema import current_schema_name

# The longest a presigned URL may live; DESIGN "Files": private files only through
# short-lived signed URLs issued after an access check.
MAX_PRIVATE_URL_SECONDS = 300
_SAFE_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_DELETE_BATCH = 1000  # S3 DeleteObjects takes at most 1000 keys per request


def tenant_prefix(schema_name: str) -> str:
    """``<schema>/``; refuses anything that is not a plain schema name (no ``..``, no ``/``)."""
    if not _SAFE_SCHEMA.match(schema_name):
        raise SuspiciousFileOperation(f"refusing file prefix for schema {schema_name!r}")
    return schema_name + "/"


class TenantPrivateS3Storage(S3Storage):
    """Every key is under the current tenant's schema, whatever name the caller gives: a name
    already starting with ``<schema>/`` keeps it (upload_to functions add it, so the name in
    the database is the same locally and on S3); any other name is put under it. Another
    tenant's name therefore resolves to a key inside this tenant's prefix, which is empty.

    Objects are private; URLs are always presigned (no custom domain, no unsigned URLs) and
    expire after at most ``MAX_PRIVATE_URL_SECONDS``."""

    default_acl = "private"
    querystring_auth = True
    querystring_expire = MAX_PRIVATE_URL_SECONDS
    custom_domain = None
    location = ""
    signature_version = "s3v4"
    # Like FileSystemStorage: a second upload under a taken name gets a new name.
    file_overwrite = False

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        problems = []
        if self.default_acl != "private":
            problems.append("default_acl must be 'private'")
        if not self.querystring_auth:
            problems.append("querystring_auth must be on (URLs are presigned)")
        if self.custom_domain:
            problems.append("custom_domain gives unsigned public URLs; leave it unset")
        if self.location:
            problems.append("location must be empty (keys start with the tenant's schema)")
        if not 0 < int(self.querystring_expire) <= MAX_PRIVATE_URL_SECONDS:
            problems.append(f"querystring_expire must be 1-{MAX_PRIVATE_URL_SECONDS} seconds")
        if problems:
            raise ImproperlyConfigured("TenantPrivateS3Storage: " + "; ".join(problems) + ".")

    def _normalize_name(self, name: str) -> str:
        # ``name`` was already cleaned by django-storages (``a/../b`` -> ``b``).
        prefix = tenant_prefix(current_schema_name())
        relative = name.lstrip("/")
        if relative.startswith(prefix):
            relative = relative[len(prefix) :]
        elif relative + "/" == prefix:
            relative = ""
        try:
            key: str = safe_join(prefix, relative)
        except ValueError:
            raise SuspiciousFileOperation(f"Attempted access to {name!r} denied.") from None
        return key

    def url(
        self,
        name: str,
        parameters: Mapping[str, str] | None = None,
        expire: int | None = None,
        http_method: str | None = None,
    ) -> str:
        seconds = int(self.querystring_expire if expire is None else expire)
        if not 0 < seconds <= MAX_PRIVATE_URL_SECONDS:
            raise ValueError(f"a private URL lives 1-{MAX_PRIVATE_URL_SECONDS} seconds")
        url: str = super().url(
            name, parameters=dict(parameters or {}), expire=seconds, http_method=http_method
        )
        return url

    def tenant_keys(self) -> list[str]:
        """Every key under the current tenant's prefix (= the names files were saved as)."""
        prefix = tenant_prefix(current_schema_name())
        paginator = self.connection.meta.client.get_paginator("list_objects_v2")
        keys: list[str] = []
        for page in paginator.paginate(Bucket=self.bucket_name, Prefix=prefix):
            keys += [entry["Key"] for entry in page.get("Contents", ())]
        return sorted(keys)

    def delete_keys(self, keys: list[str]) -> None:
        client = self.connection.meta.client
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = [
                {"Key": self._normalize_name(key)} for key in keys[start : start + _DELETE_BATCH]
            ]
            client.delete_objects(Bucket=self.bucket_name, Delete={"Objects": batch, "Quiet": True})


def private_file_url(
    field_file: FieldFile,
    *,
    download_name: str | None = None,
    content_type: str | None = None,
    expire_seconds: int | None = None,
) -> str | None:
    """A presigned URL for a private file of the current tenant (call after the access
    check), or None when the storage cannot sign URLs (local files: stream them instead).
    ``download_name`` makes the browser save the file under that name."""
    storage = field_file.storage
    if not isinstance(storage, TenantPrivateS3Storage) or not field_file.name:
        return None
    parameters = {}
    if download_name:
        disposition = content_disposition_header(as_attachment=True, filename=download_name)
        parameters["ResponseContentDisposition"] = disposition or "attachment"
    if content_type:
        parameters["ResponseContentType"] = content_type
    return storage.url(field_file.name, parameters=parameters, expire=expire_seconds)


# --- whole tenants (fleet operations) ----------------------------------------------------------


def tenant_file_names(schema_name: str, storage: Storage | None = None) -> list[str]:
    """Every stored file of a tenant, as the names the database keeps (``<schema>/...``)."""
    storage = storage or default_storage
    prefix = tenant_prefix(schema_name)
    with schema_context(schema_name):
        if isinstance(storage, TenantPrivateS3Storage):
            return storage.tenant_keys()
        return sorted(_walk(storage, prefix.rstrip("/")))


def _walk(storage: Storage, directory: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in files:
        yield posixpath.join(directory, name)
    for name in directories:
        yield from _walk(storage, posixpath.join(directory, name))


def delete_tenant_files(schema_name: str, storage: Storage | None = None) -> int:
    """Delete every file under the tenant's prefix; returns how many there were. Idempotent."""
    storage = storage or default_storage
    names = tenant_file_names(schema_name, storage)
    with schema_context(schema_name):
        if isinstance(storage, TenantPrivateS3Storage):
            storage.delete_keys(names)
        elif isinstance(storage, FileSystemStorage):
            shutil.rmtree(Path(storage.path(tenant_prefix(schema_name))), ignore_errors=True)
        else:
            for name in names:
                storage.delete(name)
    return len(names)
