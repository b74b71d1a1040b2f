from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenants.services.schema_pool import fill_schema_pool, pool_size


class Command(BaseCommand):
    help = "Top the warm pool of pre-migrated schemas up (creating the template if missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", type=int, default=None, help="target pool size")

    def handle(self, *args: Any, **options: Any) -> None:
        added = fill_schema_pool(size=options["size"])
        self.stdout.write(f"added {added} schema(s); the pool holds {pool_size()}")
