"""The test database's fleet, for tests and fixtures that look past one test's transaction:
the warm pool's size, the database URL for other processes, a tenant's host, and a snapshot of
everything provisioning may create. The fixtures themselves are in the root conftest.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.db import connection

from tenants.models import Domain, PooledSchema, Tenant
from tenants.schemas_sql import existing_schemas

# The warm pool the suite keeps filled (the root conftest's django_db_setup); tests that take
# schemas from it outside a transaction refill it to this size.
TEST_POOL_SIZE = 4


def subprocess_database_url() -> str:
    """The test database pytest-django made, as a DATABASE_URL for other processes (servers,
    workers); a Unix socket host (the embedded PostgreSQL) is percent-encoded."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        host = quote(host, safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{db['NAME']}"


def host_of(tenant: Tenant) -> str:
    return Domain.objects.get(tenant=tenant, is_primary=True).domain


def fleet_snapshot() -> dict[str, Any]:
    """Everything provisioning may create; compared before and after a failure."""
    return {
        "schemas": existing_schemas("t_") + existing_schemas("souk_"),
        "pool": sorted(PooledSchema.objects.values_list("schema_name", flat=True)),
        "pool_schemas": existing_schemas("pool_"),
        "tenants": sorted(Tenant.objects.values_list("slug", flat=True)),
        "domains": sorted(Domain.objects.values_list("domain", flat=True)),
        "brandings": sorted(
            Tenant.objects.filter(branding__isnull=False).values_list("slug", flat=True)
        ),
        "modules": sorted(
            Tenant.objects.filter(modules__isnull=False).values_list("slug", "modules__key")
        ),
    }
