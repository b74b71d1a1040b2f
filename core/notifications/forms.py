from __future__ import annotations

from zoneinfo import available_timezones

from django import forms


class PreferencesForm(forms.Form):
    """The settings under the matrix; the matrix's checkboxes are read by name
    (``<type_key>:<channel>``) in the view."""

    time_zone = forms.ChoiceField(choices=())
    quiet_start = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    quiet_end = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    is_daily_digest = forms.BooleanField(
        required=False, label="Send my e-mails as one daily summary"
    )
    phone_number = forms.CharField(
        required=False,
        max_length=20,
        label="Mobile number for texts",
        widget=forms.TextInput(attrs={"placeholder": "+4915112345678", "inputmode": "tel"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        zones = sorted(available_timezones())
        self.fields["time_zone"].choices = [(zone, zone) for zone in zones]  # type: ignore[attr-defined]


class DigestHourForm(forms.Form):
    digest_hour = forms.TypedChoiceField(
        coerce=int, choices=[(hour, f"{hour:02d}:00") for hour in range(24)], label="Digest hour"
    )
