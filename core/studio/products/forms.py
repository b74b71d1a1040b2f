"""Forms of the studio's product pages. They check shapes (amounts, choices, sizes); the
catalogue services check the rest, and their errors land beside the field they name
(``ServiceForm.add_domain_error``)."""

from __future__ import annotations

from typing import Any

from django import forms

from core.accounts.forms import ServiceForm
from core.catalog.models import Category, ProductStatus
from core.catalog.services import csv_io
from core.catalog.services.bulk import RepriceMode
from core.catalog.services.images import ALT_MAX_LENGTH, MAX_IMAGE_BYTES
from core.errors import DomainError
from core.marketplace import current_marketplace
from core.money import Money, MoneyError
from core.registry import get_registry

BULK_ACTIONS = [
    ("publish", "Publish (send for review)"),
    ("unpublish", "Unpublish"),
    ("reprice", "Change prices"),
    ("archive", "Archive"),
]


def _set_choices(form: forms.Form, name: str, choices: list[tuple[Any, str]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _category_choices() -> list[tuple[str, str]]:
    rows = Category.objects.filter(is_active=True).order_by("path", "position")
    return [(c.slug, ("\u2014 " * c.depth) + c.name) for c in rows]


class ProductFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or summary"}),
    )
    status = forms.ChoiceField(label="Status", required=False)
    product_type = forms.ChoiceField(label="Type", required=False)
    category = forms.ChoiceField(label="Category", required=False)

    def __init__(self, *args: Any, types: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "status", [("", "Any status"), *ProductStatus.choices])
        _set_choices(self, "product_type", [("", "Any type"), *types])
        _set_choices(self, "category", [("", "Any category"), *_category_choices()])

    def values(self) -> dict[str, str]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}


class BulkForm(ServiceForm):
    action = forms.ChoiceField(label="With the selected", choices=BULK_ACTIONS)
    product_ids = forms.TypedMultipleChoiceField(label="Products", coerce=int)
    reprice_mode = forms.ChoiceField(
        label="How",
        required=False,
        choices=[
            (RepriceMode.PERCENT, "Change by a percentage"),
            (RepriceMode.SET, "Set a price"),
        ],
    )
    change = forms.DecimalField(
        label="Change (%)",
        required=False,
        max_digits=6,
        decimal_places=2,
        help_text="-10 lowers prices by 10 %.",
    )
    currency = forms.ChoiceField(label="Currency", required=False)
    amount = forms.CharField(label="New price", max_length=20, required=False)

    def __init__(self, *args: Any, product_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only ids listed for this seller can be chosen: anything else is a field error.
        _set_choices(self, "product_ids", [(pk, str(pk)) for pk in product_ids])
        currencies = current_marketplace().currencies
        _set_choices(self, "currency", [(c, c) for c in currencies])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") != "reprice":
            return data
        mode = data.get("reprice_mode") or ""
        if not mode:
            self.add_error("reprice_mode", "Choose how to change the prices.")
        elif mode == RepriceMode.PERCENT:
            change = data.get("change")
            if change is None:
                self.add_error("change", "Give a percentage, e.g. -10 or 5.")
            else:
                data["change_bp"] = int(change * 100)
        else:
            currency = data.get("currency") or current_marketplace().default_currency
            try:
                data["amount_minor"] = Money.parse(data.get("amount") or "", currency).amount
            except MoneyError:
                self.add_error("amount", f"Give an amount in {currency}, e.g. 19.99.")
        return data


class CsvImportForm(ServiceForm):
    file = forms.FileField(
        label="CSV file",
        help_text="The columns of the export; leave slug empty to create a product.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > csv_io.MAX_BYTES:
            raise forms.ValidationError("CSV files are at most 5 MB.")
        return upload


class ProductForm(ServiceForm):
    """The wizard's common step. Prices: one field per currency of the marketplace, the
    default currency required."""

    field_aliases = {"prices": "price_default", "images": "name", "variants": "name"}

    name = forms.CharField(label="Name", max_length=160)
    summary = forms.CharField(
        label="Summary",
        max_length=300,
        required=False,
        help_text="One sentence on cards and search results.",
    )
    description = forms.CharField(
        label="Description",
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    category = forms.ChoiceField(label="Category", required=False)
    tags = forms.CharField(
        label="Tags",
        max_length=900,
        required=False,
        help_text="Comma-separated: lowercase letters, digits and hyphens (at most 20).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        marketplace = current_marketplace()
        self.default_currency = marketplace.default_currency
        self.currencies = [marketplace.default_currency] + [
            c for c in marketplace.currencies if c != marketplace.default_currency
        ]
        _set_choices(self, "category", [("", "No category"), *_category_choices()])
        for currency in self.currencies:
            is_default = currency == self.default_currency
            self.fields[f"price_{currency}"] = forms.CharField(
                label=f"Price ({currency})",
                max_length=20,
                required=is_default,
                help_text="" if is_default else "Optional: leave empty to not sell in it.",
                widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
            )
        self.aliases = {**self.field_aliases, "prices": f"price_{self.default_currency}"}

    def add_domain_error(self, error: DomainError) -> None:
        details = error.details if isinstance(error.details, dict) else {}
        field = details.get("field")
        if isinstance(field, str):
            field = self.aliases.get(field, field)
        self.add_error(field if field in self.fields else None, error.message)

    def price_fields(self) -> list[forms.BoundField]:
        return [self[f"price_{currency}"] for currency in self.currencies]

    def text_fields(self) -> list[forms.BoundField]:
        return [self["name"], self["summary"], self["description"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        prices: dict[str, int] = {}
        for currency in self.currencies:
            raw = (data.get(f"price_{currency}") or "").strip()
            if not raw:
                continue
            try:
                prices[currency] = Money.parse(raw, currency).amount
            except MoneyError:
                self.add_error(f"price_{currency}", f"Give an amount in {currency}, e.g. 19.99.")
        data["prices"] = prices
        data["tag_list"] = [
            t.strip().lower() for t in (data.get("tags") or "").split(",") if t.strip()
        ]
        return data


def product_initial(product: Any) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": product.name,
        "summary": product.summary,
        "description": product.description,
        "category": product.category.slug if product.category else "",
        "tags": ", ".join(product.tags),
    }
    for price in product.prices.all():
        if price.variant_id is None:
            initial[f"price_{price.currency}"] = Money(
                price.amount, price.currency
            ).to_decimal_string()
    return initial


class ImageUploadForm(ServiceForm):
    image = forms.FileField(
        label="Picture file",
        help_text=f"JPEG, PNG, WebP or GIF, up to {MAX_IMAGE_BYTES // (1024 * 1024)} MB.",
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
    )
    alt = forms.CharField(
        label="Describe it (alt text)",
        max_length=ALT_MAX_LENGTH,
        required=False,
        help_text="What the picture shows, for people who cannot see it.",
    )


class ImageAltForm(ServiceForm):
    alt = forms.CharField(label="Alt text", max_length=ALT_MAX_LENGTH, required=False)


class ImageOrderForm(forms.Form):
    order = forms.CharField(max_length=400)

    def ids(self) -> list[int]:
        raw = self.cleaned_data.get("order", "")
        try:
            return [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            return []


def type_choices(types: list[str]) -> list[tuple[str, str]]:
    registry = get_registry()
    return [(key, registry.product_type_label(key)) for key in types]


class TypeForm(forms.Form):
    product_type = forms.ChoiceField(label="What do you sell?", widget=forms.RadioSelect)

    def __init__(self, *args: Any, types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "product_type", type_choices(types))
