from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing

from core.accounts.models import User
from core.registry import get_registry
from tenants.errors import TenantError
from tenants.models import Theme
from tenants.validation import clean_slug

# Bot friction with no third party: a hidden field people never fill in, and a signed stamp of
# when the form was shown. A script that posts at once, or replays one stamp for hours, is
# refused; a person takes more than a couple of seconds and less than a few hours.
FORM_STAMP_SALT = "souk.tenants.open-marketplace-form"
FORM_MIN_SECONDS = 2.0
FORM_MAX_SECONDS = 3 * 3600.0
HONEYPOT_FIELD = "website"
REFUSED = "We could not accept this form. Please reload the page and try again."
TOO_FAST = "That was quick! Please check your details and send the form again."
TOO_OLD = "This form was open for too long. Please send it again."


def issue_form_stamp(*, issued_at: float | None = None) -> str:
    """The signed time the form was shown (``issued_at`` is for tests)."""
    moment = time.time() if issued_at is None else issued_at
    return signing.dumps({"t": round(moment, 3)}, salt=FORM_STAMP_SALT)


def _check_form_stamp(stamp: str) -> None:
    try:
        payload = signing.loads(stamp, salt=FORM_STAMP_SALT)
        shown_at = float(payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise forms.ValidationError(REFUSED, code="bot_check") from None
    age = time.time() - shown_at
    if age < FORM_MIN_SECONDS:
        raise forms.ValidationError(TOO_FAST, code="too_fast")
    if age > FORM_MAX_SECONDS:
        raise forms.ValidationError(TOO_OLD, code="too_old")


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
    # The honeypot: hidden from people by CSS and from screen readers, left empty by them.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    # Rendered by the template from a fresh stamp each time the page is shown.
    form_stamp = forms.CharField(required=False, widget=forms.HiddenInput)

    @property
    def human_fields(self) -> list[forms.BoundField]:
        return [field for field in self.visible_fields() if field.name != HONEYPOT_FIELD]

    def clean_slug(self) -> str:
        try:
            return clean_slug(self.cleaned_data["slug"])
        except TenantError as error:
            raise forms.ValidationError(error.message) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get(HONEYPOT_FIELD):
            raise forms.ValidationError(REFUSED, code="bot_check")
        _check_form_stamp(cleaned.get("form_stamp") or "")
        # Checked here too so a weak password costs no attempt of the rate limit.
        password, email = cleaned.get("owner_password"), cleaned.get("owner_email")
        if password and email:
            try:
                validate_password(password, User(email=email))
            except forms.ValidationError as error:
                self.add_error("owner_password", error)
        return cleaned

    def branding(self) -> dict[str, Any]:
        return {
            "theme": self.cleaned_data["theme"],
            "primary_colour": self.cleaned_data["primary_colour"],
        }
