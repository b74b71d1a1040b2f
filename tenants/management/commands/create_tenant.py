from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.errors import TenantError
from tenants.models import Plan
from tenants.services import provision_tenant


class Command(BaseCommand):
    help = "Open a marketplace: provision a tenant with its owner (operator) account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="address: <slug>.<PLATFORM_DOMAIN>")
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument(
            "--owner-password",
            default=None,
            help="omit to be prompted; '-' for none (the owner uses password reset)",
        )
        parser.add_argument("--plan", default=None, help="plan slug")
        parser.add_argument("--theme", default="base")
        parser.add_argument("--primary-colour", default=None)
        parser.add_argument("--tagline", default="")
        parser.add_argument("--module", action="append", dest="modules", help="repeatable")
        parser.add_argument("--domain", action="append", dest="domains", default=[])

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["owner_password"]
        if password is None:
            password = getpass.getpass("Owner password: ")
        if password == "-":
            password = None
        plan = None
        if options["plan"]:
            plan = Plan.objects.filter(slug=options["plan"]).first()
            if plan is None:
                raise CommandError(f"unknown plan {options['plan']!r}")
        branding: dict[str, Any] = {"theme": options["theme"], "tagline": options["tagline"]}
        if options["primary_colour"]:
            branding["primary_colour"] = options["primary_colour"]
        try:
            result = provision_tenant(
                slug=options["slug"],
                name=options["name"],
                owner_email=options["owner_email"],
                owner_password=password,
                plan=plan,
                modules=options["modules"],
                custom_domains=options["domains"],
                branding=branding,
            )
        except TenantError as error:
            raise CommandError(f"{error.code}: {error.message}") from error
        domains = ", ".join(result.tenant.domains.values_list("domain", flat=True))
        self.stdout.write(
            f"{result.tenant.name} is live at {domains} "
            f"(schema {result.tenant.schema_name} from {result.schema_source}, "
            f"{result.elapsed_ms:.0f} ms)"
        )
