"""What backups and exports share: public rows, tables, counts, archive helpers."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import re
import tarfile
import tempfile
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.utils import timezone
from django_tenants.utils import schema_context

from core.storage import tenant_file_names, tenant_prefix
from tenants.models import Branding, Tenant
from tenants.schemas_sql import quoted

logger = logging.getLogger(__name__)

BACKUP_FORMAT = "souk-tenant-backup"
EXPORT_FORMAT = "souk-tenant-export"
FORMAT_VERSION = 1
MANIFEST, PUBLIC_ROWS, DUMP, FILES = "manifest.json", "public.json", "schema.dump", "files/"
_CHUNK = 1 << 20
_TENANT_FIELDS = (
    "slug",
    "name",
    "schema_name",
    "status",
    "suspended_reason",
    "owner_email",
    "default_currency",
    "extra_currencies",
    "time_zone",
    "seller_two_factor_required",
    "created_at",
)
# Never exported: credentials and their hashes, OTP seeds, recovery codes, session blobs.
SECRET_FIELD = re.compile(r"(^password$|secret|_hash$|^key$|^bin_key$|^token$|session_data)")
OMITTED_MODELS = frozenset({"sessions.Session"})
# Tables people open in a spreadsheet get a CSV beside their JSON.
CSV_MODELS = frozenset({"accounts.User", "sellers.Seller", "catalog.Product"})


def public_rows(tenant: Tenant) -> dict[str, Any]:
    """The tenant's rows in the public schema: tenant, domains, branding, modules."""
    branding = Branding.objects.filter(tenant=tenant).first()
    return {
        "tenant": {
            **{field: getattr(tenant, field) for field in _TENANT_FIELDS},
            "plan": tenant.plan.slug if tenant.plan else None,
        },
        "domains": list(
            tenant.domains.order_by("-is_primary", "domain").values(
                "domain", "is_primary", "is_custom"
            )
        ),
        "branding": None
        if branding is None
        else {field: getattr(branding, field) for field in _branding_fields()},
        "modules": list(tenant.modules.order_by("key").values("key", "is_enabled", "config")),
    }


def _branding_fields() -> list[str]:
    return [f.name for f in Branding._meta.concrete_fields if f.name not in {"id", "tenant"}]


def tenant_models() -> list[type[models.Model]]:
    """Models whose tables every tenant schema has (TENANT_APPS), m2m tables included."""
    tenant_apps = set(settings.TENANT_APPS)
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_config.name in tenant_apps
    ]


def table_counts(schema_name: str, cursor: Any) -> dict[str, int]:
    cursor.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
        [schema_name],
    )
    tables = [row[0] for row in cursor.fetchall()]
    if not tables:
        return {}
    query = " UNION ALL ".join(
        f"SELECT %s, count(*) FROM {quoted(schema_name)}.{connection.ops.quote_name(t)}"
        for t in tables
    )
    cursor.execute(query, tables)
    return {str(name): int(count) for name, count in cursor.fetchall()}


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, cls=ExportEncoder, indent=2, sort_keys=True).encode()


class ExportEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, bytes | memoryview):
            return base64.b64encode(bytes(o)).decode()
        return super().default(o)


def _spooled_copy(source: IO[bytes]) -> tuple[IO[bytes], int, str]:
    """A rewound copy of a stream with its size and SHA-256 (tar needs the size up front)."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * _CHUNK)  # noqa: SIM115
    digest = hashlib.sha256()
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        spool.write(chunk)
    size = spool.tell()
    spool.seek(0)
    return spool, size, digest.hexdigest()


# --- backup ------------------------------------------------------------------------------------


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def _add_tenant_files(archive: tarfile.TarFile, schema_name: str) -> list[dict[str, Any]]:
    prefix = tenant_prefix(schema_name)
    entries = []
    with schema_context(schema_name):
        for name in tenant_file_names(schema_name):
            with default_storage.open(name, "rb") as stored:
                spool, size, digest = _spooled_copy(stored)
            relative = name[len(prefix) :]
            info = tarfile.TarInfo(FILES + relative)
            info.size = size
            info.mtime = int(timezone.now().timestamp())
            with spool:
                archive.addfile(info, spool)
            entries.append({"name": relative, "size": size, "sha256": digest})
    return entries


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- restore -----------------------------------------------------------------------------------
