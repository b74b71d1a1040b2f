"""Forms of the studio's team and profile pages; the services check again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory

from core.accounts.forms import ServiceForm
from core.sellers.models import Seller, TeamPermission

PORTFOLIO_MAX = 20
PORTFOLIO_BLANK_ROWS = 2


def _permission_field(label: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=TeamPermission.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one thing they may do."},
    )


class InviteForm(ServiceForm):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    permissions = _permission_field("They may")


class MemberPermissionsForm(ServiceForm):
    permissions = _permission_field("May")


class PublicProfileForm(ServiceForm):
    bio = forms.CharField(
        label="About your shop",
        max_length=Seller._meta.get_field("bio").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Shown on your public page: who you are, what you make, how you work.",
    )
    website = forms.URLField(
        label="Website (optional)",
        max_length=200,
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "url"}),
    )


class PortfolioItemForm(forms.Form):
    """One row: both fields or neither (a blank row is skipped)."""

    title = forms.CharField(label="Title", max_length=120, required=False)
    url = forms.URLField(label="Link", max_length=500, required=False, assume_scheme="https")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        title, url = cleaned.get("title"), cleaned.get("url")
        if title and not url and "url" not in self.errors:
            self.add_error("url", "Add the link to this work.")
        if url and not title:
            self.add_error("title", "Give this work a title.")
        return cleaned


PortfolioFormSet = formset_factory(
    PortfolioItemForm,
    extra=PORTFOLIO_BLANK_ROWS,
    can_delete=True,
    max_num=PORTFOLIO_MAX,
    validate_max=True,
    absolute_max=PORTFOLIO_MAX + PORTFOLIO_BLANK_ROWS,
)


def portfolio_items(formset: Any) -> list[dict[str, str]]:
    """The kept, filled rows of a valid formset, in order."""
    items = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE") or not data.get("title"):
            continue
        items.append({"title": data["title"].strip(), "url": data["url"]})
    return items
