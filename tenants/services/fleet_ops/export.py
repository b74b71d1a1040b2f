"""The GDPR export: every table as JSON (CSV for some) plus files, never secrets."""

from __future__ import annotations

import io
import json
import logging
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone
from django_tenants.utils import schema_context

from core import safe_csv
from core.storage import tenant_file_names, tenant_prefix
from tenants.models import Tenant
from tenants.services.fleet_ops.common import (
    _CHUNK,
    CSV_MODELS,
    EXPORT_FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    OMITTED_MODELS,
    SECRET_FIELD,
    ExportEncoder,
    _json_bytes,
    public_rows,
    tenant_models,
)
from tenants.services.fleet_ops.tools import FleetOperationError, souk_version

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TenantExport:
    path: Path
    tables: dict[str, int]
    files: int
    omitted_fields: dict[str, list[str]]


def export_tenant(*, tenant: Tenant, output: Path) -> TenantExport:
    """A zip of everything the marketplace holds: ``data/<app>.<model>.json`` for every table,
    ``csv/...`` for people and business tables (users, sellers, products, orders), the public
    rows, and its files. Secrets are left out: password hashes, token and key hashes, OTP
    seeds and recovery codes, session data (the manifest lists what was omitted)."""
    if tenant.is_platform:
        raise FleetOperationError("the platform itself is not a tenant to export")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    try:
        export = _write_export(tenant, partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(output)
    logger.info("exported tenant %s to %s", tenant.schema_name, output)
    return TenantExport(path=output, **export)


def _write_export(tenant: Tenant, path: Path) -> dict[str, Any]:
    tables: dict[str, int] = {}
    omitted: dict[str, list[str]] = {}
    marketplace = _json_bytes(public_rows(tenant))
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        schema_context(tenant.schema_name),
    ):
        archive.writestr("marketplace.json", marketplace)
        for model in sorted(tenant_models(), key=lambda m: m._meta.label):
            label = model._meta.label
            if label in OMITTED_MODELS:
                continue
            fields = [f for f in model._meta.concrete_fields if not SECRET_FIELD.search(f.name)]
            hidden = [f.name for f in model._meta.concrete_fields if f not in fields]
            if hidden:
                omitted[label] = hidden
            columns = [f.attname for f in fields]
            rows = model._base_manager.order_by("pk").values(*columns)
            tables[label] = _write_json_rows(archive, f"data/{label}.json", rows)
            if label in CSV_MODELS or "order" in str(model._meta.model_name):
                _write_csv_rows(archive, f"csv/{label}.csv", columns, rows)
        files = tenant_file_names(tenant.schema_name)
        prefix = tenant_prefix(tenant.schema_name)
        for name in files:
            with (
                default_storage.open(name, "rb") as stored,
                archive.open("files/" + name[len(prefix) :], "w") as out,
            ):
                shutil.copyfileobj(stored, out, _CHUNK)
        manifest = {
            "format": EXPORT_FORMAT,
            "format_version": FORMAT_VERSION,
            "souk_version": souk_version(),
            "created_at": timezone.now(),
            "slug": tenant.slug,
            "tables": tables,
            "files": len(files),
            "omitted": {"tables": sorted(OMITTED_MODELS), "fields": omitted},
        }
        archive.writestr(MANIFEST, _json_bytes(manifest))
    return {"tables": tables, "files": len(files), "omitted_fields": omitted}


def _write_json_rows(archive: zipfile.ZipFile, name: str, rows: models.QuerySet[Any, Any]) -> int:
    count = 0
    with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as out:
        out.write("[")
        for row in rows.iterator(chunk_size=2000):
            out.write(("," if count else "") + "\n  " + json.dumps(row, cls=ExportEncoder))
            count += 1
        out.write("\n]\n")
    return count


def _write_csv_rows(
    archive: zipfile.ZipFile, name: str, columns: list[str], rows: models.QuerySet[Any, Any]
) -> None:
    with (
        archive.open(name, "w") as raw,
        io.TextIOWrapper(raw, encoding="utf-8", newline="") as out,
    ):
        writer = safe_csv.writer(out)
        writer.writerow(columns)
        for row in rows.iterator(chunk_size=2000):
            writer.writerow([_csv_cell(row[column]) for column in columns])


def _csv_cell(value: Any) -> Any:
    """Numbers stay numbers (the writer escapes formula-like text only)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, cls=ExportEncoder)
    return value


# --- purge (hard delete after the grace period) --------------------------------------------------
