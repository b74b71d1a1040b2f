from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from tenants.services.fleet_ops import FleetOperationError, restore_tenant


class Command(BaseCommand):
    help = (
        "Restore a backup archive (backup_tenant) as a NEW marketplace: schema renamed to the "
        "new slug's, public rows recreated with the new slug and host, files copied under the "
        "new prefix, migrations applied if the archive is behind the code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--slug", required=True, help="the new marketplace's address")
        parser.add_argument("--name", help="display name (default: the backed-up one)")
        parser.add_argument(
            "--with-custom-domains",
            action="store_true",
            help="also attach the backup's custom domains that are not in use",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restored = restore_tenant(
                archive_path=options["archive"],
                slug=options["slug"],
                name=options["name"],
                with_custom_domains=options["with_custom_domains"],
            )
        except (FleetOperationError, DomainError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        tenant = restored.tenant
        self.stdout.write(
            f"restored {restored.source_schema} as {tenant.slug} ({tenant.schema_name}) with "
            f"{restored.files} files" + (", then migrated" if restored.migrated else "")
        )
        for domain in restored.skipped_domains:
            self.stdout.write(f"  custom domain not attached: {domain}")
