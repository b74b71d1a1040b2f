"""Restoring a backup into a new slug and schema."""

from __future__ import annotations

import json
import logging
import shutil
import tarfile
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, models, transaction
from django_tenants.utils import schema_context, schema_exists
from psycopg import sql

from core.errors import ErrorKind
from core.registry import get_registry
from core.storage import delete_tenant_files, tenant_prefix
from tenants.errors import TenantError, TenantErrorCode
from tenants.models import Branding, Domain, Plan, Tenant, TenantModule
from tenants.schemas_sql import drop_schema, quoted, use_public_schema
from tenants.services.fleet_ops.common import (
    _CHUNK,
    BACKUP_FORMAT,
    DUMP,
    FILES,
    MANIFEST,
    PUBLIC_ROWS,
    _branding_fields,
    _file_sha256,
    _spooled_copy,
    table_counts,
    tenant_models,
)
from tenants.services.fleet_ops.tools import (
    FleetOperationError,
    _connection_options,
    _run,
    _session,
)
from tenants.services.migrate_fleet import latest_migration_state, pending_schemas
from tenants.services.schema_pool import migrate_schema
from tenants.validation import clean_slug, schema_name_for, subdomain_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RestoredTenant:
    tenant: Tenant
    source_schema: str
    files: int
    skipped_domains: list[str]
    migrated: bool


def restore_tenant(
    *, archive_path: Path, slug: str, name: str | None = None, with_custom_domains: bool = False
) -> RestoredTenant:
    """Restore a backup as a NEW tenant ``slug`` (schema ``t_<slug>``, host
    ``<slug>.<platform>``): schema, public rows, files under the new prefix (file names in
    the rows follow), then migrations if the archive is behind the code. Custom domains come
    along only with ``with_custom_domains`` and when free. Any failure removes what was made."""
    slug = clean_slug(slug)
    schema_name = schema_name_for(slug)
    host = subdomain_for(slug)
    use_public_schema()
    with tarfile.open(archive_path, "r:") as archive:
        manifest = _read_manifest(archive)
        source = str(manifest["schema_name"])
        quoted(source)  # refuses a name from the archive that is not a plain schema name
        rows = json.loads(_member_bytes(archive, PUBLIC_ROWS))
        if Tenant.objects.filter(slug=slug).exists() or schema_exists(schema_name):
            raise TenantError(
                TenantErrorCode.SLUG_TAKEN,
                f"The address '{slug}' is already taken.",
                details={"field": "slug", "value": slug},
                kind=ErrorKind.CONFLICT,
            )
        if Domain.objects.filter(domain=host).exists():
            raise TenantError(
                TenantErrorCode.DOMAIN_TAKEN, f"Already in use: {host}.", kind=ErrorKind.CONFLICT
            )
        custom = [d["domain"] for d in rows["domains"] if d["is_custom"]]
        taken = set(Domain.objects.filter(domain__in=custom).values_list("domain", flat=True))
        kept = [d for d in custom if with_custom_domains and d not in taken]
        with tempfile.TemporaryDirectory(prefix="souk-restore-") as work:
            dump = Path(work) / DUMP
            _extract_verified(archive, DUMP, str(manifest["dump_sha256"]), dump)
            _restore_schema(dump, source=source, target=schema_name, work=Path(work))
        try:
            _check_counts(schema_name, manifest["tables"])
            migrated = bool(pending_schemas([schema_name]))
            if migrated:  # an older archive: bring it to the code's tables first
                migrate_schema(schema_name)
            _rewrite_file_names(schema_name, source=source)
            files = _restore_files(archive, manifest["files"], schema_name)
            tenant = _recreate_public_rows(rows, slug, schema_name, name, [host, *kept])
        except BaseException:
            logger.warning("restore of %s into %s failed; removing it", source, schema_name)
            delete_tenant_files(schema_name)
            drop_schema(schema_name)
            raise
    logger.info("restored tenant %s from %s as %s", source, archive_path, schema_name)
    return RestoredTenant(
        tenant=tenant,
        source_schema=source,
        files=files,
        skipped_domains=sorted(set(custom) - set(kept)),
        migrated=migrated,
    )


def _member_bytes(archive: tarfile.TarFile, name: str) -> bytes:
    try:
        member = archive.getmember(name)
    except KeyError:
        raise FleetOperationError(f"not a Souk tenant backup: {name} is missing") from None
    handle = archive.extractfile(member) if member.isfile() else None
    if handle is None:
        raise FleetOperationError(f"not a Souk tenant backup: {name} is not a file")
    with handle:
        return handle.read()


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(_member_bytes(archive, MANIFEST))
    if manifest.get("format") != BACKUP_FORMAT or manifest.get("format_version") != 1:
        raise FleetOperationError("not a Souk tenant backup (format or version unknown)")
    unknown = {tuple(m) for m in manifest["migrations"]} - latest_migration_state()
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in sorted(unknown)[:5])
        raise FleetOperationError(
            f"the backup was made by newer code (migrations unknown here: {names}); "
            "restore it with that version of Souk or newer."
        )
    return manifest


def _extract_verified(archive: tarfile.TarFile, name: str, sha256: str, target: Path) -> None:
    member = archive.getmember(name)
    handle = archive.extractfile(member)
    if handle is None:
        raise FleetOperationError(f"{name} in the archive is not a file")
    with handle, target.open("wb") as out:
        shutil.copyfileobj(handle, out, _CHUNK)
    if _file_sha256(target) != sha256:
        raise FleetOperationError(f"{name} does not match its checksum: the archive is damaged")


def _restore_schema(dump: Path, *, source: str, target: str, work: Path) -> None:
    """Restore the dumped schema ``source`` into this database as ``target``. Under another
    name it goes through a scratch database: restored there, renamed with ALTER SCHEMA (so
    sequences, defaults and constraints follow), dumped again and restored here."""
    quoted(target)
    restore = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if source == target:
        _run("pg_restore", *restore, f"--dbname={_connection_options()['dbname']}", str(dump))
        return
    scratch = f"souk_restore_{uuid.uuid4().hex[:12]}"
    renamed = work / "renamed.dump"
    with _session() as session:
        session.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    try:
        _run("pg_restore", *restore, f"--dbname={scratch}", str(dump), database=scratch)
        with _session(scratch) as session:
            session.execute(
                sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                    sql.Identifier(source), sql.Identifier(target)
                )
            )
        _run(
            "pg_dump",
            f"--schema={target}",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={renamed}",
            database=scratch,
        )
    finally:
        with _session() as session:
            session.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch))
            )
    _run("pg_restore", *restore, f"--dbname={_connection_options()['dbname']}", str(renamed))


def _check_counts(schema_name: str, expected: dict[str, int]) -> None:
    with connection.cursor() as cursor:
        restored = table_counts(schema_name, cursor)
    if restored != expected:
        differing = sorted(
            t for t in set(restored) | set(expected) if restored.get(t) != expected.get(t)
        )
        raise FleetOperationError(f"restored row counts differ from the backup in {differing}")


def _rewrite_file_names(schema_name: str, *, source: str) -> None:
    """File fields keep ``<schema>/...`` names; point them at the new schema's prefix."""
    old, new = tenant_prefix(source), tenant_prefix(schema_name)
    with connection.cursor() as cursor:
        for model in tenant_models():
            for field in model._meta.concrete_fields:
                if not isinstance(field, models.FileField):
                    continue
                table = f"{quoted(schema_name)}.{connection.ops.quote_name(model._meta.db_table)}"
                column = connection.ops.quote_name(str(field.column))
                cursor.execute(
                    f"UPDATE {table} SET {column} = %s || substr({column}, %s) "
                    f"WHERE left({column}, %s) = %s",
                    [new, len(old) + 1, len(old), old],
                )


def _restore_files(archive: tarfile.TarFile, entries: list[dict[str, Any]], schema: str) -> int:
    prefix = tenant_prefix(schema)
    with schema_context(schema):
        for entry in entries:
            relative = PurePosixPath(str(entry["name"]))
            if relative.is_absolute() or ".." in relative.parts:
                raise FleetOperationError(f"unsafe file name in the archive: {relative}")
            handle = archive.extractfile(archive.getmember(FILES + str(relative)))
            if handle is None:
                raise FleetOperationError(f"{relative} in the archive is not a file")
            with handle:
                spool, _, digest = _spooled_copy(handle)
            if digest != entry["sha256"]:
                raise FleetOperationError(f"{relative} does not match its checksum")
            name = prefix + str(relative)
            default_storage.delete(name)  # left by an interrupted restore
            with spool:
                saved = default_storage.save(name, File(spool, name=name))
            if saved != name:
                raise FleetOperationError(f"{name} was stored as {saved}")
    return len(entries)


def _recreate_public_rows(
    rows: dict[str, Any], slug: str, schema_name: str, name: str | None, domains: list[str]
) -> Tenant:
    source = rows["tenant"]
    installed = set(get_registry().keys())
    try:
        with transaction.atomic():
            tenant = Tenant(
                schema_name=schema_name,
                slug=slug,
                name=(name or source["name"]).strip()[:120],
                plan=Plan.objects.filter(slug=source.get("plan") or "").first(),
                owner_email=source["owner_email"],
                default_currency=source["default_currency"],
                extra_currencies=source["extra_currencies"],
                # Backups made before marketplaces had a clock are on UTC.
                time_zone=source.get("time_zone", "UTC"),
                seller_two_factor_required=source["seller_two_factor_required"],
            )
            tenant.save()
            Domain.objects.bulk_create(
                Domain(tenant=tenant, domain=domain, is_primary=i == 0, is_custom=i > 0)
                for i, domain in enumerate(domains)
            )
            if rows["branding"]:
                fields = set(_branding_fields())
                Branding.objects.create(
                    tenant=tenant, **{k: v for k, v in rows["branding"].items() if k in fields}
                )
            TenantModule.objects.bulk_create(
                TenantModule(
                    tenant=tenant, key=m["key"], is_enabled=m["is_enabled"], config=m["config"]
                )
                for m in rows["modules"]
                if m["key"] in installed
            )
    except IntegrityError as exc:
        raise TenantError(
            TenantErrorCode.SLUG_TAKEN,
            "The address or a domain was taken while the backup was being restored.",
            details={"reason": str(exc).splitlines()[0]},
            kind=ErrorKind.CONFLICT,
        ) from exc
    return tenant


# --- GDPR export -------------------------------------------------------------------------------
