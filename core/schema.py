"""The schema (tenant) the database connection is set to, typed for the rest of core."""

from django.db import connection


def current_schema_name() -> str:
    return str(getattr(connection, "schema_name", "public"))
