"""The super-admin console on the platform host: Django admin behind django-otp 2FA.
Every change goes through ``tenants.services``; the admin only parses and renders."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils.html import format_html
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from core.accounts import throttles
from core.accounts.models import User
from core.money import Money
from core.ratelimit import RateLimited, client_ip
from core.registry import get_registry
from tenants import services
from tenants.console import views
from tenants.console.forms import BrandingForm, PlanForm
from tenants.errors import TenantError
from tenants.models import (
    Branding,
    Domain,
    Plan,
    SupportSession,
    Tenant,
    Theme,
)
from tenants.selectors import tenants_for_listing
from tenants.services.branding_assets import store_brand_image


class ConsoleLoginForm(OTPAdminAuthenticationForm):
    """The console's sign-in (password and code in one form) under the tenant sign-in's
    limits: every password attempt counts per IP and per account (``login_ip``,
    ``login_account``; a right password clears the account's failures), every code per IP and
    per account (``otp_ip``, ``otp_account``)."""

    rate_limited: RateLimited | None = None
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username")
        if not email or not self.cleaned_data.get("password") or self.request is None:
            return super().clean()  # type: ignore[no-any-return]
        ip = client_ip(self.request)
        try:
            throttles.throttle_login(ip=ip, email=email)
            self.cleaned_data = AdminAuthenticationForm.clean(self)
            throttles.forget_failed_logins(email=email)
            if self.cleaned_data.get("otp_token") and not self.cleaned_data.get("otp_challenge"):
                throttles.throttle_otp(ip=ip, user=self.get_user())
        except RateLimited as refusal:
            self.rate_limited = refusal
            raise forms.ValidationError(refusal.message, code="rate_limited") from None
        self.clean_otp(self.get_user())
        return self.cleaned_data


class ConsoleSite(OTPAdminSite):
    site_header = "Souk platform console"
    site_title = "Souk console"
    index_title = "Fleet"
    login_form = ConsoleLoginForm

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """A refusal by the rate limits answers 429 with Retry-After (the form shows why)."""
        response = super().login(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        refusal = getattr(context.get("form"), "rate_limited", None)
        if refusal is not None:
            response.status_code = 429
            response["Retry-After"] = str(refusal.retry_after)
        return response

    def get_urls(self) -> list[URLPattern | URLResolver]:
        """The console's own pages beside the admin, behind the admin's guard."""
        site = {"site": self}
        pages = [
            path("fleet/", self.admin_view(views.fleet_page), site, name="fleet"),
            path(
                "fleet/<slug:slug>/", self.admin_view(views.tenant_page), site, name="fleet_tenant"
            ),
            path(
                "fleet/<slug:slug>/support/",
                self.admin_view(views.enter_as_support),
                site,
                name="fleet_support",
            ),
            path(
                "fleet/<slug:slug>/modules/<slug:key>/",
                self.admin_view(views.module_page),
                site,
                name="fleet_module",
            ),
        ]
        return [*pages, *super().get_urls()]


console = ConsoleSite(name="console")


class ProvisionForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.CharField(max_length=40)
    owner_email = forms.EmailField()
    plan = forms.ModelChoiceField(queryset=Plan.objects.all(), required=False)
    theme = forms.ChoiceField(choices=Theme.choices)
    modules = forms.MultipleChoiceField(
        choices=lambda: [(m.key, m.name) for m in get_registry()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    custom_domains = forms.CharField(
        required=False, help_text="Comma-separated custom domains (optional)."
    )


class DomainInline(admin.TabularInline[Domain, Tenant]):
    """Add a custom domain or tick primary; saved through the domain services."""

    model = Domain
    extra = 1
    fields = ("domain", "is_primary", "is_custom")
    readonly_fields = ("is_custom",)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "is_primary" and field is not None:
            field.initial = False  # a new domain is an extra one unless ticked
        return field


@admin.register(Tenant, site=console)
class TenantAdmin(admin.ModelAdmin[Tenant]):
    list_display = ("name", "slug", "status", "plan", "overview", "created_at")
    list_filter = ("status", "plan")
    search_fields = ("name", "slug", "domains__domain", "owner_email")
    readonly_fields = ("schema_name", "slug", "status", "suspended_reason", "created_at")
    fields = ("name", "slug", "schema_name", "plan", "status", "suspended_reason", "owner_email")
    # Modules are switched and configured on the marketplace's overview (forms generated from
    # each module's settings model), not as free-text keys and raw JSON here.
    inlines = (DomainInline,)
    actions = ("suspend", "resume")

    @admin.display(description="Overview")
    def overview(self, obj: Tenant) -> str:
        url = reverse("console:fleet_tenant", args=[obj.slug])
        return format_html('<a href="{}">Figures, modules, support</a>', url)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tenant]:
        return tenants_for_listing()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deletion drops a schema: the platform API's DELETE with a typed confirmation.
        return False

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        form = ProvisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                result = services.provision_tenant(
                    slug=data["slug"],
                    name=data["name"],
                    owner_email=data["owner_email"],
                    owner_password=None,
                    plan=data["plan"],
                    modules=data["modules"] or None,
                    branding={"theme": data["theme"]},
                    custom_domains=[d for d in data["custom_domains"].split(",") if d.strip()],
                )
            except TenantError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    f"{result.tenant.name} is live ({result.schema_source}, "
                    f"{result.elapsed_ms:.0f} ms). The owner sets a password via reset.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("console:tenants_tenant_change", args=[result.tenant.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "Open a marketplace",
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "console/provision.html", context)

    def save_model(self, request: HttpRequest, obj: Tenant, form: Any, change: bool) -> None:
        services.update_tenant(
            tenant=obj, name=obj.name, plan=obj.plan, owner_email=obj.owner_email
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        tenant: Tenant = form.instance
        # The rows are written by the services, not formset.save(); the admin's change message
        # still reads these.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            if not row.has_changed() or not hasattr(row, "cleaned_data"):
                continue
            data = row.cleaned_data
            try:
                if data.get("DELETE") and data.get("id"):
                    services.remove_domain(tenant=tenant, domain=data["id"].domain)
                elif data.get("id"):
                    if data["is_primary"]:
                        services.set_primary_domain(tenant=tenant, domain=data["id"].domain)
                else:
                    services.add_domain(
                        tenant=tenant, domain=data["domain"], is_primary=data["is_primary"]
                    )
            except TenantError as error:
                self.message_user(request, error.message, messages.ERROR)

    @admin.action(description="Suspend selected marketplaces")
    def suspend(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            try:
                services.suspend_tenant(tenant=tenant, reason="Suspended from the console")
            except TenantError as error:
                self.message_user(request, f"{tenant}: {error.message}", messages.WARNING)

    @admin.action(description="Resume selected marketplaces")
    def resume(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            try:
                services.resume_tenant(tenant=tenant)
            except TenantError as error:
                self.message_user(request, f"{tenant}: {error.message}", messages.WARNING)


@admin.register(Plan, site=console)
class PlanAdmin(admin.ModelAdmin[Plan]):
    form = PlanForm
    list_display = ("name", "slug", "monthly_price", "is_default")

    @admin.display(description="Monthly price", ordering="monthly_price_minor")
    def monthly_price(self, obj: Plan) -> str:
        return str(Money(obj.monthly_price_minor, obj.currency))


@admin.register(Branding, site=console)
class BrandingAdmin(admin.ModelAdmin[Branding]):
    form = BrandingForm
    list_display = ("display_name", "theme", "primary_colour")
    list_filter = ("theme",)
    readonly_fields = ("current_logo", "current_favicon")
    fieldsets = (
        (None, {"fields": ("display_name", "tagline", "theme", "font")}),
        (
            "Colours",
            {"fields": ("primary_colour", "accent_colour", "background_colour", "text_colour")},
        ),
        (
            "Logo and favicon",
            {
                "fields": (
                    "current_logo",
                    "logo",
                    "remove_logo",
                    "current_favicon",
                    "favicon",
                    "remove_favicon",
                )
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # provisioning creates every tenant's branding

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a marketplace always has its branding

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        branding = self.get_object(request, object_id)
        if branding is not None:
            subtitle = f"{branding.display_name} ({branding.tenant.slug})"
            extra_context = {**(extra_context or {}), "subtitle": subtitle}
        return super().change_view(request, object_id, form_url, extra_context)

    def _image(self, obj: Branding, url: str) -> str:
        if not url:
            return "None"
        if url.startswith("/"):  # uploaded: served from the marketplace's own host
            domain = obj.tenant.domains.filter(is_primary=True).values_list("domain", flat=True)
            url = f"https://{domain.first()}{url}"
        style = "max-height: 48px; vertical-align: middle"
        return format_html('<a href="{0}"><img src="{0}" alt="" style="{1}"> {0}</a>', url, style)

    @admin.display(description="Current logo")
    def current_logo(self, obj: Branding) -> str:
        return self._image(obj, obj.logo_url)

    @admin.display(description="Current favicon")
    def current_favicon(self, obj: Branding) -> str:
        return self._image(obj, obj.favicon_url)

    def save_model(self, request: HttpRequest, obj: Branding, form: Any, change: bool) -> None:
        services.update_branding(tenant=obj.tenant, changes=form.branding_changes())
        for kind, upload in form.uploads():
            with schema_context(obj.tenant.schema_name):
                store_brand_image(tenant=obj.tenant, kind=kind, upload=upload, size=upload.size)


@admin.register(User, site=console)
class StaffAdmin(admin.ModelAdmin[User]):
    list_display = ("email", "role", "is_staff", "is_active", "date_joined")
    fields = ("email", "full_name", "role", "is_staff", "is_superuser", "is_active")
    search_fields = ("email",)


@admin.register(SupportSession, site=console)
class SupportSessionAdmin(admin.ModelAdmin[SupportSession]):
    """The audit trail of support access; read-only."""

    list_display = ("started_at", "staff", "tenant", "reason", "expires_at", "ended_at")
    list_filter = ("tenant",)
    search_fields = ("staff__email", "tenant__slug", "reason")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


console.register(TOTPDevice, TOTPDeviceAdmin)
console.register(StaticDevice, StaticDeviceAdmin)
