"""Forms of the console's pages: a module's settings (generated from its pydantic settings
model), entering as support, searching the fleet, a plan's price as money."""

from __future__ import annotations

from typing import Any

from django import forms

from core.money import CURRENCY_EXPONENTS, Money, MoneyError
from core.registry import ModuleManifest
from tenants.backoffice.setup.settings_form import ModuleSettingsForm as SettingsForm
from tenants.errors import TenantError
from tenants.models import Branding, Plan
from tenants.services.branding import BrandingSpec, parse_branding
from tenants.services.branding_assets import BrandImageKind, checked_image

ENABLED_FIELD = "is_enabled"


class ModuleSettingsForm(SettingsForm):
    """On/off and the module's settings, the fields generated from its settings model by the
    back-office's generator (the same form operators get). ``config`` holds the validated
    settings once ``is_valid()``; the model's errors are put on their fields."""

    def __init__(
        self,
        data: Any = None,
        *,
        manifest: ModuleManifest,
        is_enabled: bool,
        stored: dict[str, Any],
    ) -> None:
        super().__init__(manifest.settings_model, current=stored, data=data)
        self.manifest = manifest
        self.setting_names = list(self.fields)
        self.fields[ENABLED_FIELD] = forms.BooleanField(
            label=f"{manifest.name} is on", required=False, initial=is_enabled
        )

    @property
    def config(self) -> dict[str, Any]:
        return self.validated

    @property
    def setting_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.setting_names]

    def add_service_errors(self, details: Any, message: str) -> None:
        """A refusal of the modules service: per-field details where it names fields."""
        placed = False
        for detail in details if isinstance(details, list) else []:
            field = str(detail.get("field", "")).split(".")[0]
            if field in self.fields:
                self.add_error(field, str(detail.get("message", message)))
                placed = True
        if not placed:
            self.add_error(None, message)


class SupportSessionForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label="Why are you entering?",
        help_text="Logged with your name; the marketplace's operators can read it.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. ticket 1234: checkout fails"}),
    )


class TenantSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=120,
        label="Find a marketplace",
        widget=forms.SearchInput(attrs={"placeholder": "Name, slug, domain or owner e-mail"}),
    )


class PlanForm(forms.ModelForm[Plan]):
    """A plan's price as money ("29.00 USD"), stored in minor units."""

    monthly_price = forms.CharField(
        label="Monthly price", help_text="In the plan's currency, e.g. 29.00.", max_length=20
    )

    class Meta:
        model = Plan
        fields = ("slug", "name", "description", "allowed_modules", "currency", "is_default")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            price = Money(self.instance.monthly_price_minor, self.instance.currency)
            self.fields["monthly_price"].initial = price.to_decimal_string()

    def clean_currency(self) -> str:
        currency = str(self.cleaned_data["currency"]).strip().upper()
        if currency not in CURRENCY_EXPONENTS:
            raise forms.ValidationError(f"{currency} is not a currency Souk knows.")
        return currency

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        text, currency = cleaned.get("monthly_price"), cleaned.get("currency")
        if text is None or currency is None:
            return cleaned
        try:
            price = Money.parse(str(text), str(currency))
        except MoneyError as error:
            self.add_error("monthly_price", str(error))
            return cleaned
        if price.amount < 0:
            self.add_error("monthly_price", "A price cannot be negative.")
        else:
            self.instance.monthly_price_minor = price.amount
        return cleaned


IMAGE_FIELDS = {"logo": BrandImageKind.LOGO, "favicon": BrandImageKind.FAVICON}
BRANDING_TEXT_FIELDS = (
    "display_name",
    "tagline",
    "theme",
    "font",
    "primary_colour",
    "accent_colour",
    "background_colour",
    "text_colour",
)


class BrandingForm(forms.ModelForm[Branding]):
    """A marketplace's branding as staff edit it: the fields the back-office's branding page
    has, the logo and favicon as uploads (checked by content before anything is saved, then
    stored in the tenant's storage by ``store_brand_image``)."""

    logo = forms.FileField(
        required=False, help_text="PNG, JPEG, WebP or GIF; at most 1 MB, 2000 px a side."
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the logo")
    favicon = forms.FileField(
        required=False, help_text="PNG, ICO or GIF; at most 256 KB, 512 px a side."
    )
    remove_favicon = forms.BooleanField(required=False, label="Remove the favicon")

    class Meta:
        model = Branding
        fields = BRANDING_TEXT_FIELDS
        widgets = {
            name: forms.TextInput(attrs={"type": "color"})
            for name in BRANDING_TEXT_FIELDS
            if name.endswith("_colour")
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, kind in IMAGE_FIELDS.items():
            upload = cleaned.get(name)
            if upload is None:
                continue
            try:
                checked_image(kind=kind, upload=upload, size=upload.size)
            except TenantError as error:
                self.add_error(name, error.message)
            else:
                upload.seek(0)
        spec: dict[str, object] = {
            name: cleaned.get(name, getattr(self.instance, name))
            for name in BrandingSpec.model_fields
        }
        for name in ("logo_url", "favicon_url"):
            spec[name] = getattr(self.instance, name) or None
        try:
            parse_branding(spec)
        except TenantError as error:
            for detail in error.details if isinstance(error.details, list) else []:
                field = str(detail.get("field", ""))
                message = f"{field}: {detail.get('message', error.message)}"
                self.add_error(field if field in self.fields else None, message)
            if not isinstance(error.details, list):
                self.add_error(None, error.message)
        return cleaned

    def branding_changes(self) -> dict[str, object]:
        """What ``update_branding`` gets: the changed text and colour fields, and the images
        staff asked to remove."""
        changes: dict[str, object] = {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in BRANDING_TEXT_FIELDS
        }
        for name in IMAGE_FIELDS:
            if self.cleaned_data.get(f"remove_{name}") and not self.cleaned_data.get(name):
                changes[f"{name}_url"] = ""
        return changes

    def uploads(self) -> list[tuple[BrandImageKind, Any]]:
        return [
            (kind, self.cleaned_data[name])
            for name, kind in IMAGE_FIELDS.items()
            if self.cleaned_data.get(name) is not None
        ]
