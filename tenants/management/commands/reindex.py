"""A fleet command (it walks every tenant), so it lives with the tenants like migrate_tenants;
the per-tenant work is the catalogue's search backend."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import schema_context

from core.catalog.search.opensearch import OpenSearchBackend
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Rebuild the OpenSearch product index of every tenant (or --schema ones) with no "
        "downtime: fill a new index, swap the alias to it atomically, drop the old one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--schema", action="append", dest="schemas", help="only these")

    def handle(self, *args: Any, **options: Any) -> None:
        found = Tenant.objects.exclude(schema_name="public").order_by("schema_name")
        if options["schemas"]:
            found = found.filter(schema_name__in=options["schemas"])
        tenants = list(found)
        if options["schemas"]:
            unknown = set(options["schemas"]) - {t.schema_name for t in tenants}
            if unknown:
                raise CommandError(f"no tenant with schema {', '.join(sorted(unknown))}")
        backend = OpenSearchBackend()
        failed = []
        for tenant in tenants:
            try:
                with schema_context(tenant.schema_name):
                    rebuilt = backend.rebuild_index()
            except Exception as error:  # reported per tenant; the others still get rebuilt
                failed.append(tenant.schema_name)
                self.stderr.write(f"  FAILED {tenant.schema_name}: {type(error).__name__}: {error}")
                continue
            replaced = ", ".join(rebuilt.replaced) or "nothing"
            self.stdout.write(
                f"{tenant.schema_name}: {rebuilt.count} product(s) into {rebuilt.index} "
                f"(alias {rebuilt.alias}; replaced {replaced})"
            )
        if failed:
            raise CommandError(f"{len(failed)} tenant(s) failed to reindex")
