from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.crypto import InvalidToken
from tenants.models import Tenant
from tenants.services.encryption import rotate_encrypted_secrets


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret of every marketplace under the first key of "
        "SOUK_ENCRYPTION_KEY (put the new key first, deploy, run this, then drop the old key)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for tenant in Tenant.objects.exclude(schema_name="public").order_by("pk"):
            try:
                count = rotate_encrypted_secrets(tenant=tenant)
            except InvalidToken as exc:
                raise CommandError(
                    f"{tenant.slug}: a stored secret is readable by none of the configured "
                    "keys; nothing in this marketplace was changed. Keep the old key listed."
                ) from exc
            total += count
            self.stdout.write(f"{tenant.slug}: {count} secret(s) re-encrypted")
        self.stdout.write(f"{total} secret(s) re-encrypted under the newest key")
