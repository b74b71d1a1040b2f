"""Small, quoted SQL helpers for schema-level work (names are validated before they get here)."""

from __future__ import annotations

import re

from django.db import connection
from django_tenants.utils import schema_exists

_SAFE_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def quoted(schema_name: str) -> str:
    if not _SAFE_SCHEMA.match(schema_name) or schema_name.startswith("pg_"):
        raise ValueError(f"refusing unsafe schema name {schema_name!r}")
    return '"' + schema_name + '"'


def use_public_schema() -> None:
    """Point the connection back at the public schema (django-tenants' backend)."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]


def rename_schema(old: str, new: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER SCHEMA {quoted(old)} RENAME TO {quoted(new)}")


def create_schema(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quoted(name)}")


def drop_schema(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {quoted(name)} CASCADE")


def existing_schemas(prefix: str = "") -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY nspname",
            [prefix.replace("_", r"\_") + "%"],
        )
        return [row[0] for row in cursor.fetchall()]


__all__ = [
    "create_schema",
    "drop_schema",
    "existing_schemas",
    "quoted",
    "rename_schema",
    "schema_exists",
]
