"""Forms of the onboarding wizard and the operator's review; the services do the checking."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms

from core.accounts.forms import ServiceForm
from core.registry import get_registry
from core.sellers.models import LegalForm, VerificationStatus

DOCUMENT_KINDS = [
    ("identity", "Proof of identity (passport, ID card)"),
    ("business_registration", "Business registration"),
    ("address", "Proof of address"),
    ("other", "Other"),
]


class BusinessDetailsForm(ServiceForm):
    business_name = forms.CharField(label="Business name", max_length=300)
    legal_form = forms.ChoiceField(
        label="You sell as", choices=LegalForm.choices, widget=forms.RadioSelect
    )
    country = forms.CharField(label="Country (two letters, e.g. DE)", max_length=2, required=False)
    tax_id = forms.CharField(label="Tax or VAT number (optional)", max_length=60, required=False)


class DocumentForm(ServiceForm):
    kind = forms.ChoiceField(label="Document", choices=DOCUMENT_KINDS)
    file = forms.FileField(
        label="File (PDF, PNG or JPEG, up to 10 MB)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )


def product_type_choices(available: Iterable[str]) -> list[tuple[str, str]]:
    """The offered types with their modules' labels, in the registry's order."""
    offered = set(available)
    return [
        (key, spec.label) for key, spec in get_registry().product_types().items() if key in offered
    ]


class ProductTypesForm(ServiceForm):
    """Only what a module on this marketplace sells is offered (the service checks again)."""

    product_types = forms.MultipleChoiceField(
        label="What you will sell", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, available: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.MultipleChoiceField, self.fields["product_types"])
        field.choices = product_type_choices(available)


class ApproveForm(ProductTypesForm):
    def __init__(self, *args: Any, available: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, available=available, **kwargs)
        self.fields["product_types"].label = "May sell"


class RejectForm(ServiceForm):
    reason = forms.CharField(
        label="What the seller must fix (they are told)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Show",
        choices=[("", "All applications"), *VerificationStatus.choices],
        required=False,
    )


class PayPalPayoutsForm(ServiceForm):
    # The service validates the address; the input type only helps the phone's keyboard.
    email = forms.CharField(
        label="Your PayPal e-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
