"""Forms of the money pages. People type rates as percentages ("12.5") and amounts in the
currency ("20.00"); the forms turn them into basis points and minor units for the services,
which stay the judges of what is allowed (their field errors land on these forms' fields)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from core.catalog.models import Category
from core.commerce.models import DiscountKind
from core.errors import DomainError
from core.money import Money, MoneyError
from core.registry import get_registry
from core.sellers.models import Seller


class PercentField(forms.DecimalField):
    """A rate typed as a percentage with up to two decimals; cleaned to basis points."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_value", Decimal("100"))
        kwargs.setdefault(
            "widget", forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int | None:
        percent = super().clean(value)
        return None if percent is None else int(percent * 100)


def percent_initial(rate_bp: int | None) -> str:
    return "" if rate_bp is None else f"{Decimal(rate_bp) / 100:.2f}"


class DomainErrorsForm(forms.Form):
    """Puts a service's field error on the form field it names (``service_fields`` maps the
    service's argument names to this form's fields)."""

    service_fields: dict[str, str] = {}

    def add_domain_error(self, error: DomainError) -> None:
        details = error.details if isinstance(error.details, dict) else {}
        name = self.service_fields.get(str(details.get("field", "")), details.get("field"))
        self.add_error(name if name in self.fields else None, error.message)


class DefaultCommissionForm(DomainErrorsForm):
    rate = PercentField(label="Marketplace commission (%)")
    service_fields = {"commission_rate_bp": "rate"}


class CategoryChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return "\u2014 " * int(obj.depth) + str(obj.name)


class CategoryCommissionForm(DomainErrorsForm):
    category = CategoryChoiceField(queryset=Category.objects.none(), label="Category")
    rate = PercentField(
        label="Commission (%)", required=False, help_text="Leave empty to use the default."
    )
    service_fields = {"category_id": "category", "commission_rate_bp": "rate"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Category.objects.filter(is_active=True).order_by("path", "position")


class SellerCommissionForm(DomainErrorsForm):
    seller = forms.ModelChoiceField(queryset=Seller.objects.none(), label="Seller")
    rate = PercentField(
        label="Commission (%)", required=False, help_text="Leave empty to use the default."
    )
    service_fields = {"commission_rate_bp": "rate"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["seller"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Seller.objects.order_by("business_name")


def _product_type_choices() -> list[tuple[str, str]]:
    types = get_registry().product_types()
    return [("", "Every type")] + [(key, spec.label) for key, spec in types.items()]


class TaxRuleForm(DomainErrorsForm):
    country = forms.CharField(
        label="Country", max_length=2, min_length=2, help_text="Two letters, e.g. DE."
    )
    region = forms.CharField(
        label="Region", max_length=10, required=False, help_text="Optional, e.g. CA."
    )
    product_type = forms.ChoiceField(label="Product type", required=False, choices=())
    name = forms.CharField(label="Tax name", max_length=60, help_text="As invoices show it.")
    rate = PercentField(label="Rate (%)")
    service_fields = {"rate_bp": "rate"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _product_type_choices()

    def clean_country(self) -> str:
        country = str(self.cleaned_data["country"]).strip().upper()
        if not country.isalpha():
            raise forms.ValidationError("Two letters, e.g. DE.")
        return country


class PricesIncludeTaxForm(forms.Form):
    prices_include_tax = forms.BooleanField(
        label="Prices shown to buyers include tax", required=False
    )


class DiscountCodeForm(DomainErrorsForm):
    code = forms.CharField(label="Code", max_length=40, help_text="Letters, digits, - or _.")
    kind = forms.ChoiceField(label="Kind", choices=DiscountKind.choices)
    percent = PercentField(label="Percent off", required=False, help_text="For a percent code.")
    amount = forms.CharField(
        label="Amount off", required=False, max_length=20, help_text="For a fixed code, e.g. 5.00."
    )
    currency = forms.ChoiceField(label="Currency", choices=())
    minimum_subtotal = forms.CharField(
        label="Minimum order", required=False, max_length=20, help_text="In the currency."
    )
    max_redemptions = forms.IntegerField(label="Uses in all", required=False, min_value=1)
    max_per_buyer = forms.IntegerField(label="Uses per buyer", required=False, min_value=1)
    starts_at = forms.DateTimeField(
        label="Starts",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    expires_at = forms.DateTimeField(
        label="Expires",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    service_fields = {"percent_bp": "percent"}

    def __init__(self, *args: Any, currencies: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["currency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, code) for code in currencies]

    def _money(self, name: str) -> int | None:
        text = str(self.cleaned_data.get(name) or "").strip()
        currency = self.cleaned_data.get("currency")
        if not text or not currency:
            return None
        try:
            return Money.parse(text, currency).amount
        except MoneyError:
            self.add_error(name, f"An amount in {currency}, e.g. 20.00.")
            return None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["amount_minor"] = self._money("amount")
        data["minimum_minor"] = self._money("minimum_subtotal") or 0
        if data.get("kind") == DiscountKind.PERCENT and data.get("percent") in (None, 0):
            self.add_error("percent", "Say how many percent off (more than 0).")
        is_fixed = data.get("kind") == DiscountKind.FIXED
        if is_fixed and not data["amount_minor"] and not self.has_error("amount"):
            self.add_error("amount", "Say how much off.")
        return data


class ReportForm(forms.Form):
    """The reports' period and currency (GET)."""

    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    currency = forms.ChoiceField(label="Currency", choices=())

    def __init__(self, *args: Any, currencies: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["currency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, code) for code in currencies]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", "The period ends before it starts.")
        return data


class PayoutReportForm(forms.Form):
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", "The period ends before it starts.")
        return data
