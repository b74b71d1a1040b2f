"""`make demo`: platform staff, plans, a warm pool and three demo marketplaces that look and sell
differently (software and courses, consultations, and gigs: design and writing services).
Idempotent: running it again keeps what exists."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.module_loading import import_string
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.accounts.models import Role, User
from core.registry import get_registry
from tenants.models import Domain, Plan, Tenant
from tenants.services import fill_schema_pool, provision_tenant

STAFF_EMAIL = "staff@souk.localhost"
STAFF_PASSWORD = "souk-demo-staff"
STAFF_BACKUP_CODE = "demo-2fa-code"
OWNER_PASSWORD = "souk-demo-owner"
# Single-use second-factor codes of each demo marketplace's operator (renewed by every run).
OPERATOR_BACKUP_CODES = tuple(f"demo-operator-{n}" for n in range(1, 6))
DEMO_PASSWORD = "souk-demo-user"


def _demo_marketplaces() -> list[dict[str, Any]]:
    installed = [manifest.key for manifest in get_registry()]
    return [
        {
            "slug": "byte-bazaar",
            "name": "Byte Bazaar",
            "modules": installed,
            "branding": {
                "theme": "bazaar",
                "tagline": "Software, downloads and courses from independent makers",
                "primary_colour": "#7a1f5c",
                "accent_colour": "#f2a541",
                "background_colour": "#fffaf3",
                "text_colour": "#2b1a24",
                "font": "serif",
            },
        },
        {
            "slug": "consult-corner",
            "name": "Consult Corner",
            "modules": ["consulting"],
            "branding": {
                "theme": "base",
                "tagline": "Book experts by the hour",
                "primary_colour": "#0b7a75",
                "accent_colour": "#ffd166",
                "font": "rounded",
            },
        },
        {
            "slug": "studio-row",
            "name": "Studio Row",
            "modules": ["gigs"],
            "branding": {
                "theme": "base",
                "tagline": "Hire independent designers and writers, paid safely through escrow",
                "primary_colour": "#2f4858",
                "accent_colour": "#f6ae2d",
                "font": "system",
            },
        },
    ]


class Command(BaseCommand):
    help = "Provision the demo fleet (staff, plans, two marketplaces) and print where to go."

    def handle(self, *args: Any, **options: Any) -> None:
        Plan.objects.get_or_create(
            slug="starter",
            defaults={"name": "Starter", "is_default": True, "monthly_price_minor": 0},
        )
        Plan.objects.get_or_create(
            slug="growth", defaults={"name": "Growth", "monthly_price_minor": 4900}
        )
        self._staff()
        fill_schema_pool()
        port = "8000"
        lines = [
            "",
            "Souk demo is ready.",
            f"  Platform (open a marketplace): http://{settings.PLATFORM_DOMAIN}:{port}/",
            f"  Staff console: http://{settings.PLATFORM_DOMAIN}:{port}/console/",
            f"    {STAFF_EMAIL} / {STAFF_PASSWORD}, second factor: choose the backup-code "
            f"device and enter {STAFF_BACKUP_CODE} (single use; re-run `make demo` for a new one)",
        ]
        for spec in _demo_marketplaces():
            tenant = Tenant.objects.filter(slug=spec["slug"]).first()
            if tenant is None:
                tenant = provision_tenant(
                    slug=spec["slug"],
                    name=spec["name"],
                    owner_email=f"owner@{spec['slug']}.localhost",
                    owner_password=OWNER_PASSWORD,
                    modules=spec["modules"],
                    branding=spec["branding"],
                ).tenant
            self._catalogue(tenant, seed=len(lines))
            self._operator_codes(tenant)
            domain = Domain.objects.get(tenant=tenant, is_primary=True).domain
            modules = ", ".join(
                tenant.modules.filter(is_enabled=True).values_list("key", flat=True)
            )
            lines.append(
                f"  {tenant.name} ({spec['branding']['theme']} theme; modules: "
                f"{modules or 'none installed yet'}): http://{domain}:{port}/  "
                f"owner@{spec['slug']}.localhost / {OWNER_PASSWORD} (operator; second factor: "
                f"backup code {OPERATOR_BACKUP_CODES[0]} .. {OPERATOR_BACKUP_CODES[-1]})"
            )
        lines.append(
            f"  Sellers: <seller>@demo.localhost (Byte Bazaar: nimbus-labs, quill-works, "
            "pixel-forge, ironclad; Consult Corner, consultants: ledgerline (London), "
            "clientwise (New York), agenda-studio (Singapore); Studio "
            "Row, gigs: north-mark, pagecraft, inkwell-illustration, plainword), "
            "teammate ana@nimbus-labs.localhost; buyers such as amara.okafor@demo.localhost; "
            f"password {DEMO_PASSWORD}. Payments run in the sandbox: card 4242 4242 4242 4242 "
            "succeeds."
        )
        fill_schema_pool()
        self.stdout.write("\n".join(lines) + "\n")

    def _catalogue(self, tenant: Tenant, seed: int) -> None:
        """Its catalogue, people and 90 days of trade when it has no sellers yet: the software
        catalogue (tenants/demo) where it sells software, then each module's own demo data."""
        from django_tenants.utils import schema_context

        from core.sellers.models import Seller
        from tenants.demo.activity import populate
        from tenants.demo.catalogues import CATALOGUES
        from tenants.selectors import enabled_module_keys

        registry = get_registry()
        product_types = {
            key
            for module in enabled_module_keys(tenant)
            for key in registry.get(module).product_type_keys
        }
        with schema_context(tenant.schema_name):
            if Seller.objects.exists():
                return
            if "software" in product_types and tenant.slug in CATALOGUES:
                populate(CATALOGUES[tenant.slug], password=DEMO_PASSWORD, seed=seed)
            # Then every module on here with demo data for it adds its part.
            for key in sorted(enabled_module_keys(tenant)):
                hook = registry.get(key).demo
                if hook:
                    import_string(hook)(tenant.slug, password=DEMO_PASSWORD, seed=seed)

    def _operator_codes(self, tenant: Tenant) -> None:
        """The operator's back-office needs a second factor: backup codes, so the demo can be
        walked through without an authenticator app."""
        from django_tenants.utils import schema_context

        with schema_context(tenant.schema_name):
            owner = User.objects.get(email=tenant.owner_email)
            # Two-factor is on once an authenticator is enrolled; its codes are the backups.
            TOTPDevice.objects.get_or_create(user=owner, name="Authenticator app")
            if owner.two_factor_enabled_at is None:
                owner.two_factor_enabled_at = timezone.now()
                owner.save(update_fields=["two_factor_enabled_at"])
            backup, _ = StaticDevice.objects.get_or_create(user=owner, name="Backup codes")
            backup.token_set.all().delete()
            for code in OPERATOR_BACKUP_CODES:
                backup.token_set.create(token=code)

    def _staff(self) -> None:
        staff = User.objects.filter(email=STAFF_EMAIL).first()
        if staff is None:
            staff = User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD)
        staff.role = Role.STAFF
        staff.save(update_fields=["role"])
        TOTPDevice.objects.get_or_create(user=staff, name="Authenticator app")
        backup, _ = StaticDevice.objects.get_or_create(user=staff, name="Backup codes")
        backup.token_set.all().delete()
        backup.token_set.create(token=STAFF_BACKUP_CODE)
