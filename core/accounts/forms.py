"""Forms of the account pages. They only parse input; the services check it and say what is
wrong, and ``add_domain_error`` puts their message beside the field it is about."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any, ClassVar

from django import forms

from core.accounts.models import TokenScope
from core.errors import DomainError


class ServiceForm(forms.Form):
    """A form whose errors come mostly from services (``DomainError.details["field"]``)."""

    # A service's field name -> this form's, where the page calls a field differently.
    field_aliases: ClassVar[dict[str, str]] = {}

    def add_domain_error(self, error: DomainError) -> None:
        details = error.details if isinstance(error.details, dict) else {}
        field = details.get("field")
        if isinstance(field, str):
            field = self.field_aliases.get(field, field)
        self.add_error(field if field in self.fields else None, error.message)


def _text(label: str, *, autocomplete: str, max_length: int = 254, **attrs: str) -> Any:
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.TextInput(attrs={"autocomplete": autocomplete, **attrs}),
    )


def _email(label: str = "E-mail address", autocomplete: str = "email") -> Any:
    # The service validates the address; the input type only helps the browser's keyboard.
    return forms.CharField(
        label=label,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": autocomplete}),
    )


def _password(label: str, *, autocomplete: str) -> Any:
    return forms.CharField(
        label=label,
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class SignUpForm(ServiceForm):
    email = _email()
    full_name = forms.CharField(
        label="Your name",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = _password("Password", autocomplete="new-password")


class LoginForm(ServiceForm):
    # Named "username" like Django's own login form, so password managers and old links agree.
    username = _email(autocomplete="username")
    password = _password("Password", autocomplete="current-password")
    field_aliases: ClassVar[dict[str, str]] = {"email": "username"}


class CodeForm(ServiceForm):
    code = _text(
        "Code from your authenticator app (or a backup code)",
        autocomplete="one-time-code",
        max_length=40,
        inputmode="numeric",
    )


class EmailForm(ServiceForm):
    email = _email()


class NewPasswordForm(ServiceForm):
    new_password = _password("New password", autocomplete="new-password")


class ProfileForm(ServiceForm):
    full_name = forms.CharField(
        label="Your name",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class PasswordChangeForm(ServiceForm):
    current_password = _password("Current password", autocomplete="current-password")
    new_password = _password("New password", autocomplete="new-password")
    keep_access_tokens = forms.BooleanField(
        label="Keep my personal access tokens working (they are revoked otherwise)",
        required=False,
    )


class PasswordForm(ServiceForm):
    password = _password("Your password", autocomplete="current-password")


class ActionForm(ServiceForm):
    """A button: nothing to parse, but errors still need a form to be shown on."""


class AccessTokenForm(ServiceForm):
    name = forms.CharField(label="Name", max_length=200)
    scopes = forms.MultipleChoiceField(
        label="What it may do",
        choices=TokenScope.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    expires_on = forms.DateField(
        label="Stops working on (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    field_aliases: ClassVar[dict[str, str]] = {"expires_at": "expires_on"}

    def expires_at(self) -> datetime | None:
        """The start of the chosen day (UTC): the token works until that day begins."""
        day = self.cleaned_data["expires_on"]
        return None if day is None else datetime.combine(day, time.min, tzinfo=UTC)


class ReasonForm(ServiceForm):
    reason = forms.CharField(
        label="Reason (the person is told)",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class UserSearchForm(forms.Form):
    q = forms.CharField(label="Search by e-mail or name", max_length=254, required=False)
