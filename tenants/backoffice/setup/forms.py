"""Forms of the set-up pages. They parse and check; the services write."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.validators import RegexValidator

from core.catalog.models import Category
from core.errors import DomainError
from tenants.backoffice.models import LegalPageKind
from tenants.backoffice.setup.services.legal_pages import MAX_HTML
from tenants.models import Font, Theme
from tenants.services.locale import time_zone_names

HEX = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1a2b3c.")
COLOUR_FIELDS = ("primary_colour", "accent_colour", "background_colour", "text_colour")


def show_domain_error(
    form: forms.Form, error: DomainError, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's refusal on the field it names (``details`` as ``{"field": ...}`` or
    a list of ``{"field", "message"}``; ``aliases`` maps a service's field names to the
    form's), else on the form."""
    details = error.details
    entries = details if isinstance(details, list) else [details] if details else []
    placed = False
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        field = str(entry.get("field", "")).split(".")[0]
        field = (aliases or {}).get(field, field)
        if field in form.fields:
            form.add_error(field, str(entry.get("message") or error.message))
            placed = True
    if not placed:
        form.add_error(None, error.message)


class ColourInput(forms.TextInput):
    input_type = "color"


class BrandingForm(forms.Form):
    display_name = forms.CharField(label="Marketplace name", max_length=120)
    tagline = forms.CharField(max_length=200, required=False)
    theme = forms.ChoiceField(choices=Theme.choices)
    font = forms.ChoiceField(choices=Font.choices)
    primary_colour = forms.CharField(
        label="Primary colour",
        validators=[HEX],
        widget=ColourInput,
        help_text="The header and buttons; white text sits on it.",
    )
    accent_colour = forms.CharField(label="Accent colour", validators=[HEX], widget=ColourInput)
    background_colour = forms.CharField(
        label="Background colour", validators=[HEX], widget=ColourInput
    )
    text_colour = forms.CharField(label="Text colour", validators=[HEX], widget=ColourInput)

    def clean_display_name(self) -> str:
        name = " ".join(str(self.cleaned_data["display_name"]).split())
        if not name:
            raise forms.ValidationError("Name the marketplace.")
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in COLOUR_FIELDS:
            if cleaned.get(name):
                cleaned[name] = str(cleaned[name]).lower()
        return cleaned


class BrandImageForm(forms.Form):
    image = forms.FileField(label="Image")


class DomainRequestForm(forms.Form):
    domain = forms.CharField(
        label="Custom domain",
        max_length=253,
        help_text="For example shop.example.com; you point it at us, we switch it on.",
    )


def _time_zone_choices() -> list[tuple[str, Any]]:
    """UTC, then the zones by area, each city with its offset now ("Berlin (UTC+01:00)")."""
    now = datetime.now(UTC)
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in time_zone_names()[1:]:
        area, _, place = name.partition("/")
        offset = now.astimezone(ZoneInfo(name)).strftime("%z")
        label = f"{place.replace('_', ' ')} (UTC{offset[:3]}:{offset[3:]})"
        groups.setdefault(area, []).append((name, label))
    return [("UTC", "UTC"), *groups.items()]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=_time_zone_choices,
        help_text="What a day is on this marketplace: a course lesson released on a date "
        "opens at midnight here.",
    )


class LegalPageForm(forms.Form):
    body_html = forms.CharField(
        label="Text",
        required=False,
        max_length=MAX_HTML,
        widget=forms.Textarea(attrs={"rows": 16, "class": "rich-text-source"}),
        help_text="Headings, paragraphs, bold, italic, lists and links are kept; anything "
        "else is removed. Leave it empty to take the page down.",
    )


LEGAL_KINDS = {kind.value: kind for kind in LegalPageKind}


class ModuleSwitchForm(forms.Form):
    is_enabled = forms.TypedChoiceField(
        choices=[("on", "On"), ("off", "Off")], coerce=lambda value: value == "on"
    )


def category_choices(exclude_path: str | None = None) -> list[tuple[str, str]]:
    """Every category as a parent option, indented by depth; a category's own subtree is
    left out (it cannot move under itself)."""
    options = [("", "— Top level —")]
    for category in Category.objects.only("id", "name", "depth", "path").order_by("path"):
        if exclude_path and category.path.startswith(exclude_path):
            continue
        options.append((str(category.pk), "\u2003" * category.depth + category.name))
    return options


class CategoryForm(forms.Form):
    name = forms.CharField(label="Category name", max_length=80)
    parent = forms.TypedChoiceField(
        label="Under", required=False, coerce=int, empty_value=None, choices=()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        assert isinstance(parent, forms.TypedChoiceField)
        parent.choices = category_choices()


class RenameCategoryForm(forms.Form):
    name = forms.CharField(max_length=80)


class MoveCategoryForm(forms.Form):
    parent = forms.TypedChoiceField(
        label="Move under", required=False, coerce=int, empty_value=None, choices=()
    )

    def __init__(self, *args: Any, category: Category, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent = self.fields["parent"]
        assert isinstance(parent, forms.TypedChoiceField)
        parent.choices = category_choices(exclude_path=category.path)


class ReorderForm(forms.Form):
    """What the drag-and-drop script posts: the children of one parent, in their new order."""

    parent = forms.IntegerField(required=False)
    order = forms.CharField(max_length=4000)

    def clean_order(self) -> list[int]:
        raw = str(self.cleaned_data["order"])
        try:
            ids = [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError("Send category ids separated by commas.") from None
        if not ids or len(ids) != len(set(ids)):
            raise forms.ValidationError("Send each category once.")
        return ids


class ModerationForm(forms.Form):
    ACTIONS = [("approve", "Approve"), ("reject", "Reject")]
    action = forms.ChoiceField(choices=ACTIONS)
    products = forms.TypedMultipleChoiceField(coerce=int, choices=(), label="Products")
    reason = forms.CharField(
        max_length=500,
        required=False,
        help_text="Required to reject: the seller sees it.",
    )

    def __init__(self, *args: Any, product_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = self.fields["products"]
        assert isinstance(products, forms.TypedMultipleChoiceField)
        products.choices = [(str(pk), str(pk)) for pk in product_ids]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        reason = " ".join(str(cleaned.get("reason") or "").split())
        cleaned["reason"] = reason
        if cleaned.get("action") == "reject" and not reason:
            self.add_error("reason", "Tell the seller why.")
        return cleaned


class FeatureForm(forms.Form):
    is_featured = forms.TypedChoiceField(
        choices=[("yes", "Featured"), ("no", "Not featured")], coerce=lambda value: value == "yes"
    )
