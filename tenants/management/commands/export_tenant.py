from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tenants.models import Tenant
from tenants.services.fleet_ops import FleetOperationError, export_tenant


class Command(BaseCommand):
    help = (
        "GDPR export of one marketplace: a zip with every table as JSON, users, sellers, "
        "products and orders also as CSV, and its files; no password hashes, token hashes, "
        "OTP secrets or session data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument(
            "--output", type=Path, help="zip path (default: ./<slug>-export-<UTC time>.zip)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = Tenant.objects.filter(slug=options["slug"]).exclude(schema_name="public").first()
        if tenant is None:
            raise CommandError(f"no marketplace {options['slug']!r}")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        output = options["output"] or Path(f"{tenant.slug}-export-{stamp}.zip")
        try:
            export = export_tenant(tenant=tenant, output=output)
        except FleetOperationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"exported {tenant.slug}: {sum(export.tables.values())} rows in "
            f"{len(export.tables)} tables, {export.files} files -> {export.path}"
        )
