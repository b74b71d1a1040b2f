"""Forms of the console's pages. A module's settings form is generated from its pydantic
settings model: one Django field per model field (bounds and lengths from the model), then the
model itself validates the whole, so an operator sees each error beside its field."""

from __future__ import annotations

import enum
import types
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from django import forms
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from core.money import CURRENCY_EXPONENTS, Money, MoneyError
from core.registry import ModuleManifest
from tenants.models import Plan

ENABLED_FIELD = "is_enabled"


ACRONYMS = {"ip": "IP", "url": "URL", "api": "API", "id": "ID", "sms": "SMS", "vat": "VAT"}


def _label(name: str, info: FieldInfo) -> str:
    if info.title:
        return info.title
    words = [ACRONYMS.get(word, word) for word in name.split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


def _bounds(info: FieldInfo) -> dict[str, Any]:
    """min/max value and length from the field's constraints (``Field(ge=1, le=10)``)."""
    bounds: dict[str, Any] = {}
    for item in info.metadata:
        if isinstance(item, annotated_types.Ge):
            bounds["min_value"] = item.ge
        elif isinstance(item, annotated_types.Gt) and isinstance(item.gt, int):
            bounds["min_value"] = item.gt + 1
        elif isinstance(item, annotated_types.Le):
            bounds["max_value"] = item.le
        elif isinstance(item, annotated_types.Lt) and isinstance(item.lt, int):
            bounds["max_value"] = item.lt - 1
        elif isinstance(item, annotated_types.MaxLen):
            bounds["max_length"] = item.max_length
        elif isinstance(item, annotated_types.MinLen):
            bounds["min_length"] = item.min_length
    return bounds


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """``int | None`` -> (int, True)."""
    if get_origin(annotation) in {Union, types.UnionType}:
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def settings_field(name: str, info: FieldInfo) -> forms.Field:
    """The Django field for one pydantic field; what has no simple widget is edited as JSON."""
    annotation, is_optional = _without_none(info.annotation)
    bounds = _bounds(info)
    common: dict[str, Any] = {
        "label": _label(name, info),
        "help_text": info.description or "",
        "required": info.is_required() and not is_optional,
    }
    numeric = {key: bounds[key] for key in ("min_value", "max_value") if key in bounds}
    lengths = {key: bounds[key] for key in ("min_length", "max_length") if key in bounds}
    if annotation is bool:
        return forms.BooleanField(**{**common, "required": False})
    if annotation is int:
        return forms.IntegerField(**common, **numeric)
    if annotation is float:
        return forms.FloatField(**common, **numeric)
    if annotation is str:
        return forms.CharField(**common, **lengths, strip=True)
    if get_origin(annotation) is Literal:
        choices = [(str(value), str(value)) for value in get_args(annotation)]
        return forms.ChoiceField(choices=choices, **common)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        choices = [(str(member.value), str(member.value)) for member in annotation]
        return forms.ChoiceField(choices=choices, **common)
    return forms.JSONField(**common)


class ModuleSettingsForm(forms.Form):
    """On/off and the module's settings. ``config`` holds the validated settings once
    ``is_valid()``; errors of the settings model are put on their fields."""

    config: dict[str, Any]

    def __init__(
        self,
        *args: Any,
        manifest: ModuleManifest,
        is_enabled: bool,
        stored: dict[str, Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.manifest = manifest
        model: type[BaseModel] = manifest.settings_model
        self.fields[ENABLED_FIELD] = forms.BooleanField(
            label=f"{manifest.name} is on", required=False, initial=is_enabled
        )
        self.setting_names = list(model.model_fields)
        for name, info in model.model_fields.items():
            field = settings_field(name, info)
            default = None if info.is_required() else info.get_default(call_default_factory=True)
            value = stored.get(name, default)
            field.initial = value.value if isinstance(value, enum.Enum) else value
            self.fields[name] = field

    @property
    def setting_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.setting_names]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if any(name in self.errors for name in self.setting_names):
            return cleaned
        candidate = {
            name: cleaned.get(name) for name in self.setting_names if cleaned.get(name) is not None
        }
        try:
            self.config = self.manifest.validate_config(candidate)
        except ValidationError as exc:
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else None
                self.add_error(field if field in self.fields else None, str(error["msg"]))
        return cleaned

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
