"""Forms of the cart, checkout and order pages. They only parse input; the commerce services
check it and say what is wrong, and ``add_domain_error`` puts their message beside the field
it names (a field the page does not show lands at the top of the form)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django import forms

from core.accounts.forms import ServiceForm
from core.commerce.models import RecurringPrice
from core.commerce.services.cart import MAX_QUANTITY, is_recurring_only
from core.money import Money
from core.payments.providers import PROVIDER_LABELS
from core.payments.providers.sandbox import TEST_CARDS


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class AddToCartForm(ServiceForm):
    """A plan (a recurring price of the product) makes the line a subscription of one: the
    quantity is then 1 whatever was sent."""

    product_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    # The variant's SKU (unique per product): the product page knows SKUs, not row ids.
    variant = forms.SlugField(label="Option", max_length=80, required=False)
    plan = forms.IntegerField(label="Plan", min_value=1, required=False)
    quantity = forms.IntegerField(
        label="Quantity", min_value=1, max_value=MAX_QUANTITY, initial=1, required=False
    )
    field_aliases: ClassVar[dict[str, str]] = {
        "variant_id": "variant",
        "recurring_price_id": "plan",
        "product_id": "",
    }

    def clean(self) -> dict[str, Any]:
        """No quantity sent (a form that shows only plans has no such field) is one; the
        cart then answers on the plan if the product is sold by subscription only."""
        data = super().clean() or {}
        if data.get("plan") is not None or (
            data.get("quantity") is None and "quantity" not in self.errors
        ):
            data["quantity"] = 1
        return data


_EVERY = {"month": ("month", "months"), "year": ("year", "years")}


def plan_label(price: RecurringPrice) -> str:
    """'19.00 USD per month', '90.00 EUR every 3 months', with its free trial."""
    one, many = _EVERY.get(price.interval, (price.interval, price.interval + "s"))
    amount = str(Money(price.amount, price.currency))
    every = f"per {one}" if price.interval_count == 1 else f"every {price.interval_count} {many}"
    trial = f" after a {price.trial_days}-day free trial" if price.trial_days else ""
    return f"{amount} {every}{trial}"


def sells_one_off(product_type: str, has_price: bool) -> bool:
    """Whether the buy form offers a one-off purchase beside any plans."""
    return has_price and not is_recurring_only(product_type)


def plan_choices(product_id: int) -> list[dict[str, Any]]:
    """The product's plans on sale (its active recurring prices without an option), for the
    buy form: ``[{"id", "label", "interval"}]``, monthly before yearly, cheapest first."""
    prices = RecurringPrice.objects.filter(
        product_id=product_id, is_active=True, variant__isnull=True
    ).order_by("interval", "interval_count", "amount", "id")
    return [{"id": p.pk, "label": plan_label(p), "interval": p.interval} for p in prices]


class QuantityForm(ServiceForm):
    quantity = forms.IntegerField(label="Quantity", min_value=0, max_value=MAX_QUANTITY)


class DiscountCodeForm(ServiceForm):
    code = forms.CharField(label="Discount code", max_length=40)


class CurrencyForm(ServiceForm):
    currency = forms.ChoiceField(label="Currency")

    def __init__(self, *args: Any, currencies: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["currency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, code) for code in currencies]


def _payment_method_field(is_test_mode: bool) -> forms.CharField:
    if is_test_mode:
        return forms.CharField(
            label="Card number",
            max_length=120,
            help_text="Test mode: use one of the test cards listed below.",
            widget=forms.TextInput(
                attrs={"autocomplete": "off", "inputmode": "numeric", "list": "test-cards"}
            ),
        )
    # A live provider's token made by its own card form in the browser (never a card number).
    return forms.CharField(label="Payment method", max_length=120)


class PaymentForm(ServiceForm):
    """Paying an order again after a decline."""

    def __init__(self, *args: Any, is_test_mode: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_method"] = _payment_method_field(is_test_mode)


class CheckoutForm(ServiceForm):
    name = forms.CharField(
        label="Name on the invoice",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    country = forms.CharField(
        label="Billing country",
        max_length=2,
        min_length=2,
        help_text="Two-letter code, e.g. DE or US.",
        widget=forms.TextInput(attrs={"autocomplete": "country", "size": 3}),
    )
    region = forms.CharField(
        label="Region or state (optional)",
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level1", "size": 10}),
    )
    # One per rendered form: submitting the same form twice places one order.
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        is_test_mode: bool = True,
        summary_url: str = "",
        providers: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_method"] = _payment_method_field(is_test_mode)
        if len(providers) > 1:
            # The buyer chooses how to pay; a card number only matters when paying by card.
            self.fields["provider"] = forms.ChoiceField(
                label="Pay with",
                choices=[(key, PROVIDER_LABELS.get(key, key)) for key in providers],
                initial=providers[0],
                widget=forms.RadioSelect,
            )
            self.fields["payment_method"].required = False
            self.fields["payment_method"].help_text = (
                f"{self.fields['payment_method'].help_text} Not needed for PayPal: you approve "
                "the payment at PayPal."
            ).strip()
            self.order_fields(["name", "country", "region", "provider", "payment_method"])
        if summary_url:
            # With htmx, the order summary is priced again (tax) once the address is typed.
            refresh = {
                "hx-get": summary_url,
                "hx-trigger": "change",
                "hx-include": "#id_country, #id_region",
                "hx-target": "#summary",
                "hx-select": "#summary",
                "hx-swap": "outerHTML",
            }
            for name in ("country", "region"):
                self.fields[name].widget.attrs.update(refresh)

    def clean_idempotency_key(self) -> str:
        key: str = self.cleaned_data["idempotency_key"].strip()
        if not key.isprintable():
            raise forms.ValidationError("Reload the page and try again.")
        return key

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        provider = cleaned.setdefault("provider", "")
        is_missing = not cleaned.get("payment_method") and "payment_method" not in self.errors
        if provider != "paypal" and is_missing:
            self.add_error("payment_method", "Give the card to pay with.")
        return cleaned


class ConfirmForm(ServiceForm):
    code = forms.CharField(
        label="Confirmation code from your bank",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    field_aliases: ClassVar[dict[str, str]] = {"confirmation": "code"}


def sandbox_cards() -> list[tuple[str, str]]:
    """The sandbox's cards and what each does, for the test-mode payment forms."""
    return list(TEST_CARDS.items())
