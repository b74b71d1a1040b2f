"""The fleet, in the public schema: tenants, their domains, plans, branding and modules.
Rows here are written only by ``tenants.services``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_tenants.models import DomainMixin, TenantMixin


class Plan(models.Model):  # type: ignore[django-manager-missing]  # Tenant is untyped
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    # Empty means every installed module may be enabled.
    allowed_modules = models.JSONField(default=list, blank=True)
    monthly_price_minor = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3, default="USD")
    is_default = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_plan"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def allows(self, module_key: str) -> bool:
        return not self.allowed_modules or module_key in self.allowed_modules


class TenantStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class Tenant(TenantMixin):
    # provision_tenant() brings the schema (warm pool, clone or migrations), never save().
    auto_create_schema = False
    auto_drop_schema = False

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="tenants"
    )
    status = models.CharField(
        max_length=16, choices=TenantStatus.choices, default=TenantStatus.ACTIVE
    )
    suspended_reason = models.CharField(max_length=300, blank=True)
    owner_email = models.EmailField(blank=True)
    default_currency = models.CharField(max_length=3, default="USD")
    # The marketplace's clock (an IANA name): what "a day" is for its dates, e.g. a course
    # lesson dripped "on 1 March" opens at midnight here. Checked by services.locale.
    time_zone = models.CharField(max_length=64, default="UTC")
    # Further currencies products may be priced in (the default is always allowed).
    extra_currencies = models.JSONField(default=list, blank=True)
    # Operators and staff always need a second factor; sellers when this is on.
    seller_two_factor_required = models.BooleanField(default=False)
    # Bumped whenever a TenantModule row of this tenant changes: part of the cache key of the
    # enabled modules, so a changed set is never served from the cache.
    modules_revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the owner proved their e-mail address. Only the public sign-up form makes a
    # marketplace without it, which waits for it, shown only to its operators (see
    # UnopenedMarketplaceMiddleware); every other way (staff, platform API, commands, restore)
    # makes an open one, hence the default.
    owner_verified_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    # Deleting is a request: the tenant is suspended and purged (schema, files, search index,
    # cache, these rows) once purge_after has passed, unless staff cancel it before.
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    purge_after = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(deletion_requested_at__isnull=True, purge_after__isnull=True)
                | Q(deletion_requested_at__isnull=False, purge_after__isnull=False),
                name="tenant_deletion_request_is_complete",
            )
        ]
        indexes = [
            models.Index(
                fields=["purge_after"],
                condition=Q(purge_after__isnull=False),
                name="tenant_purge_due",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deletion_requested(self) -> bool:
        return self.deletion_requested_at is not None

    @property
    def is_owner_verified(self) -> bool:
        return self.owner_verified_at is not None

    @property
    def is_suspended(self) -> bool:
        return bool(self.status == TenantStatus.SUSPENDED)

    @property
    def is_platform(self) -> bool:
        return bool(self.schema_name == "public")


class Domain(DomainMixin):
    """Several per tenant, exactly one primary (a partial unique index says so)."""

    is_custom = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"], condition=Q(is_primary=True), name="one_primary_domain"
            ),
            models.CheckConstraint(
                condition=Q(domain=models.functions.Lower("domain")), name="domain_lowercase"
            ),
        ]


class Theme(models.TextChoices):
    BASE = "base", "Base"
    BAZAAR = "bazaar", "Bazaar"


class Font(models.TextChoices):
    SYSTEM = "system", "System sans-serif"
    SERIF = "serif", "Serif"
    MONO = "mono", "Monospace"
    ROUNDED = "rounded", "Rounded"


FONT_STACKS: dict[str, str] = {
    Font.SYSTEM: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    Font.SERIF: 'Georgia, "Times New Roman", serif',
    Font.MONO: 'ui-monospace, "SFMono-Regular", Menlo, monospace',
    Font.ROUNDED: 'ui-rounded, "Nunito", "Trebuchet MS", sans-serif',
}

HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"


class Branding(models.Model):
    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="branding")
    display_name = models.CharField(max_length=120)
    tagline = models.CharField(max_length=200, blank=True)
    theme = models.CharField(max_length=32, choices=Theme.choices, default=Theme.BASE)
    # An https URL, or the path of an image uploaded in the back-office ("/brand-assets/...",
    # served from the tenant's own storage by tenants.backoffice.setup.public_urls).
    logo_url = models.CharField(max_length=200, blank=True)
    favicon_url = models.CharField(max_length=200, blank=True)
    primary_colour = models.CharField(max_length=7, default="#2f6fde")
    accent_colour = models.CharField(max_length=7, default="#f5a623")
    background_colour = models.CharField(max_length=7, default="#ffffff")
    text_colour = models.CharField(max_length=7, default="#1b1f24")
    font = models.CharField(max_length=16, choices=Font.choices, default=Font.SYSTEM)
    # A custom domain the operator asked for in the back-office, waiting for platform staff
    # to add it (tenants.services.domains.add_domain) once its DNS points here.
    requested_domain = models.CharField(max_length=253, blank=True)
    domain_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(primary_colour__regex=HEX_COLOUR)
                & Q(accent_colour__regex=HEX_COLOUR)
                & Q(background_colour__regex=HEX_COLOUR)
                & Q(text_colour__regex=HEX_COLOUR),
                name="branding_colours_are_hex",
            )
        ]

    def __str__(self) -> str:
        return f"Branding of {self.tenant_id}"

    def css_variables(self) -> dict[str, str]:
        return {
            "--brand-primary": self.primary_colour,
            "--brand-accent": self.accent_colour,
            "--brand-background": self.background_colour,
            "--brand-text": self.text_colour,
            "--brand-font": FONT_STACKS.get(self.font, FONT_STACKS[Font.SYSTEM]),
        }


class TenantModule(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="modules")
    key = models.CharField(max_length=32)
    is_enabled = models.BooleanField(default=True)
    config = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="one_row_per_tenant_module")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({'on' if self.is_enabled else 'off'})"


class SupportSession(models.Model):
    """Audit record of platform staff entering a tenant as support: who, when, why."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_sessions"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="support_sessions")
    reason = models.CharField(max_length=500)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"support by {self.staff_id} in {self.tenant_id} at {self.started_at:%Y-%m-%d %H:%M}"


class PooledSchema(models.Model):
    """A pre-migrated, empty schema waiting to become a tenant (``ALTER SCHEMA ... RENAME``)."""

    schema_name = models.CharField(max_length=63, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.schema_name
