"""Fleet operations on one tenant: backup and restore (its schema, public rows and files), a
GDPR export (JSON/CSV and files, no secrets) and the purge that ends a deletion's grace period.

Backups use PostgreSQL's own tools (pg_dump/pg_restore, custom format); a restore under a new
name goes through a scratch database where the schema is renamed with ``ALTER SCHEMA`` before
it is dumped again, so no SQL text is ever rewritten. See docs-fleet-ops.md."""

from tenants.services.fleet_ops.backup import TenantBackup, backup_tenant
from tenants.services.fleet_ops.common import (
    ExportEncoder,
    public_rows,
    table_counts,
    tenant_models,
)
from tenants.services.fleet_ops.export import TenantExport, export_tenant
from tenants.services.fleet_ops.purge import (
    PurgedTenant,
    clear_tenant_cache,
    delete_tenant_now,
    drop_search_index,
    purge_due_tenants,
    purge_tenant,
)
from tenants.services.fleet_ops.restore import RestoredTenant, restore_tenant
from tenants.services.fleet_ops.tools import FleetOperationError, pg_tool, souk_version

__all__ = [
    "ExportEncoder",
    "FleetOperationError",
    "PurgedTenant",
    "RestoredTenant",
    "TenantBackup",
    "TenantExport",
    "backup_tenant",
    "clear_tenant_cache",
    "delete_tenant_now",
    "drop_search_index",
    "export_tenant",
    "pg_tool",
    "public_rows",
    "purge_due_tenants",
    "purge_tenant",
    "restore_tenant",
    "souk_version",
    "table_counts",
    "tenant_models",
]
