from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from core.errors import DomainError
from tenants.models import Tenant
from tenants.services.fleet_ops import purge_due_tenants, purge_tenant


class Command(BaseCommand):
    help = (
        "Purge marketplaces whose deletion grace period is over (schema, files, search index, "
        "cache, public rows). Beat runs this hourly; a cancelled deletion is never purged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what is due, purge none")
        parser.add_argument("--slug", help="purge this marketplace (its deletion was requested)")
        parser.add_argument(
            "--ignore-grace-period",
            action="store_true",
            help="with --slug: purge now, before the grace period ends",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["slug"]:
            self._purge_one(options["slug"], options["ignore_grace_period"], options["dry_run"])
            return
        if options["ignore_grace_period"]:
            raise CommandError("--ignore-grace-period needs --slug")
        if options["dry_run"]:
            due = Tenant.objects.filter(purge_after__lte=timezone.now()).order_by("purge_after")
            for tenant in due:
                self.stdout.write(f"due: {tenant.slug} (purge after {tenant.purge_after:%c})")
            return
        purged = purge_due_tenants()
        for result in purged:
            self.stdout.write(f"purged {result.slug} ({result.files} files)")
        self.stdout.write(f"{len(purged)} marketplace(s) purged")

    def _purge_one(self, slug: str, ignore_grace_period: bool, dry_run: bool) -> None:
        tenant = Tenant.objects.filter(slug=slug).exclude(schema_name="public").first()
        if tenant is None:
            self.stdout.write(f"{slug}: nothing to purge (already gone)")
            return
        if dry_run:
            self.stdout.write(f"{slug}: purge after {tenant.purge_after}")
            return
        try:
            result = purge_tenant(tenant=tenant, ignore_grace_period=ignore_grace_period)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if result is not None:
            self.stdout.write(f"purged {result.slug} ({result.files} files)")
