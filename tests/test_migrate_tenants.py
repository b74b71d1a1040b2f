"""migrate_tenants: skips schemas at the latest state, migrates the rest in parallel, reports
each failure without stopping the others. Runs on committed schemas of its own (worker
processes cannot see a test's transaction) and removes them afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.schemas_sql import drop_schema, existing_schemas, use_public_schema
from tenants.services.migrate_fleet import migrate_fleet, pending_schemas
from tenants.services.schema_pool import clone_template

SCHEMAS = ["zz_fleet_current", "zz_fleet_behind", "zz_fleet_broken"]


@pytest.fixture
def fleet(django_db_setup, django_db_blocker) -> Iterator[list[str]]:
    with django_db_blocker.unblock():
        for schema in SCHEMAS:
            drop_schema(schema)
            clone_template(schema)
        with connection.cursor() as cursor:
            # Behind: the alpha module's migration was never applied here.
            cursor.execute("DROP TABLE zz_fleet_behind.alpha_fulfilmentrecord")
            cursor.execute("DROP TABLE zz_fleet_behind.alpha_alphaitem")
            cursor.execute("DELETE FROM zz_fleet_behind.django_migrations WHERE app = 'alpha'")
            # Broken: the record is gone but the tables are there, so the migration fails.
            cursor.execute("DELETE FROM zz_fleet_broken.django_migrations WHERE app = 'alpha'")
        yield SCHEMAS
        for schema in SCHEMAS:
            drop_schema(schema)
        use_public_schema()


def test_only_schemas_behind_are_pending(fleet):
    assert pending_schemas(fleet) == ["zz_fleet_behind", "zz_fleet_broken"]


def test_parallel_migration_migrates_the_behind_and_reports_the_broken(fleet):
    result = migrate_fleet(schemas=fleet, parallel=2)

    assert result.up_to_date == ["zz_fleet_current"]
    assert result.migrated == ["zz_fleet_behind"]
    assert list(result.failed) == ["zz_fleet_broken"]
    assert "already exists" in result.failed["zz_fleet_broken"]
    assert pending_schemas(fleet) == ["zz_fleet_broken"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM zz_fleet_behind.alpha_alphaitem")
        assert cursor.fetchone() == (0,)


def test_command_reports_and_fails_when_a_schema_fails(fleet, capsys):
    with pytest.raises(CommandError) as caught:
        call_command("migrate_tenants", schemas=fleet, parallel=2)
    assert "1 schema(s) failed" in str(caught.value)
    captured = capsys.readouterr()
    assert "1 up to date, 1 migrated, 1 failed" in captured.out
    assert "FAILED zz_fleet_broken" in captured.err


def test_noop_run_touches_nothing(django_db_setup, django_db_blocker, capsys):
    with django_db_blocker.unblock():
        call_command("migrate_tenants")
        assert existing_schemas("zz_fleet_") == []
    out = capsys.readouterr().out
    assert ", 0 migrated, 0 failed" in out
    assert "migrating public schema" not in out
