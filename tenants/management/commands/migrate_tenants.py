from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.services.migrate_fleet import migrate_fleet, public_schema_is_current


class Command(BaseCommand):
    help = (
        "Migrate the public schema, then every tenant, pool and template schema that is not at "
        "the latest migration state, in parallel. Failures are reported per schema."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--parallel", type=int, default=None, help="worker processes")
        parser.add_argument("--schema", action="append", dest="schemas", help="only these")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        if not public_schema_is_current():
            self.stdout.write("migrating public schema")
            call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        result = migrate_fleet(schemas=options["schemas"], parallel=options["parallel"])
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{len(result.up_to_date)} up to date, {len(result.migrated)} migrated, "
            f"{len(result.failed)} failed in {elapsed:.2f}s"
        )
        for schema in result.migrated:
            self.stdout.write(f"  migrated {schema}")
        for schema, error in result.failed.items():
            self.stderr.write(f"  FAILED {schema}: {error}")
        if not result.is_success:
            raise CommandError(f"{len(result.failed)} schema(s) failed to migrate")
