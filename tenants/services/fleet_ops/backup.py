"""A tenant backup: its schema (pg_dump), public rows and files in one tar archive."""

from __future__ import annotations

import json
import logging
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_exists

from tenants.models import Tenant
from tenants.schemas_sql import quoted
from tenants.services.fleet_ops.common import (
    BACKUP_FORMAT,
    DUMP,
    FORMAT_VERSION,
    MANIFEST,
    PUBLIC_ROWS,
    _add_bytes,
    _add_tenant_files,
    _file_sha256,
    _json_bytes,
    public_rows,
    table_counts,
)
from tenants.services.fleet_ops.tools import FleetOperationError, _run, _session, souk_version

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TenantBackup:
    path: Path
    manifest: dict[str, Any]


def backup_tenant(*, tenant: Tenant, output: Path) -> TenantBackup:
    """One tar archive: the schema (pg_dump custom format), the public rows as JSON, every file
    under the tenant's storage prefix, and a manifest (written last) with the migration
    state, the row count of every table (read in the dump's own snapshot), each file's
    SHA-256, the time and the Souk version."""
    schema_name = tenant.schema_name
    if tenant.is_platform or not schema_exists(schema_name):
        raise FleetOperationError(f"{tenant.slug} has no tenant schema to back up.")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    try:
        manifest = _write_backup(tenant, partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(output)
    logger.info("backed up tenant %s to %s", schema_name, output)
    return TenantBackup(path=output, manifest=json.loads(_json_bytes(manifest)))


def _write_backup(tenant: Tenant, path: Path) -> dict[str, Any]:
    schema_name = tenant.schema_name
    with tempfile.TemporaryDirectory(prefix="souk-backup-") as work:
        dump = Path(work) / DUMP
        with _session() as session, session.transaction():
            # pg_dump reads the snapshot this transaction exported, so the counts and the
            # migration records in the manifest are exactly those of the dump.
            session.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            snapshot = session.execute("SELECT pg_export_snapshot()").fetchall()[0][0]
            counts = table_counts(schema_name, session.cursor())
            migrations = session.execute(
                f"SELECT app, name FROM {quoted(schema_name)}.django_migrations ORDER BY app, name"
            ).fetchall()
            _run(
                "pg_dump",
                f"--schema={schema_name}",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={dump}",
            )
        with tarfile.open(path, "w") as archive:
            archive.add(dump, arcname=DUMP)
            _add_bytes(archive, PUBLIC_ROWS, _json_bytes(public_rows(tenant)))
            manifest = {
                "format": BACKUP_FORMAT,
                "format_version": FORMAT_VERSION,
                "souk_version": souk_version(),
                "created_at": timezone.now(),
                "slug": tenant.slug,
                "schema_name": schema_name,
                "migrations": [[app, name] for app, name in migrations],
                "tables": counts,
                "files": _add_tenant_files(archive, schema_name),
                "dump_sha256": _file_sha256(dump),
            }
            _add_bytes(archive, MANIFEST, _json_bytes(manifest))
    return manifest
