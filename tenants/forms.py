from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from core.registry import get_registry
from tenants.models import Theme


def _module_choices() -> list[tuple[str, str]]:
    return [(manifest.key, manifest.name) for manifest in get_registry()]


class OpenMarketplaceForm(forms.Form):
    name = forms.CharField(label="Marketplace name", max_length=120)
    slug = forms.CharField(
        label="Address",
        max_length=40,
        help_text=f"Your storefront will be at <address>.{settings.PLATFORM_DOMAIN}",
    )
    owner_email = forms.EmailField(label="Your e-mail")
    owner_password = forms.CharField(label="Password", widget=forms.PasswordInput)
    theme = forms.ChoiceField(choices=Theme.choices, initial=Theme.BASE)
    primary_colour = forms.RegexField(
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#2f6fde",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    modules = forms.MultipleChoiceField(
        choices=_module_choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def branding(self) -> dict[str, Any]:
        return {
            "theme": self.cleaned_data["theme"],
            "primary_colour": self.cleaned_data["primary_colour"],
        }
