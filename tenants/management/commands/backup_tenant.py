from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tenants.models import Tenant
from tenants.services.fleet_ops import FleetOperationError, backup_tenant


class Command(BaseCommand):
    help = (
        "Back up one marketplace into a tar archive: its schema (pg_dump, custom format), its "
        "public rows (tenant, domains, branding, modules), its files and a manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument(
            "--output", type=Path, help="archive path (default: ./<slug>-<UTC time>.tar)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).exclude(schema_name="public").first()
        if tenant is None:
            raise CommandError(f"no marketplace {options['slug']!r}")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        output = options["output"] or Path(f"{tenant.slug}-{stamp}.tar")
        try:
            backup = backup_tenant(tenant=tenant, output=output)
        except FleetOperationError as exc:
            raise CommandError(str(exc)) from exc
        manifest = backup.manifest
        self.stdout.write(
            f"backed up {tenant.slug} ({manifest['schema_name']}): "
            f"{sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables, "
            f"{len(manifest['files'])} files -> {backup.path}"
        )
