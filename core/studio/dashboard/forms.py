"""The period chooser of the dashboard and analytics pages (a GET form): the last 7, 30 or
90 days, or a custom range of at most a year that does not end in the future."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from core.studio.dashboard.figures import Period

RANGES = [
    ("7", "Last 7 days"),
    ("30", "Last 30 days"),
    ("90", "Last 90 days"),
    ("custom", "Custom"),
]
DEFAULT_DAYS = 30
LONGEST_DAYS = 366


class PeriodForm(forms.Form):
    range = forms.ChoiceField(choices=RANGES, required=False, label="Period")
    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))
    currency = forms.RegexField(regex=r"^[A-Z]{3}$", required=False, label="Currency")

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["range"].initial = str(DEFAULT_DAYS)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("range") != "custom":
            return data
        start, end = data.get("start"), data.get("end")
        if start is None:
            self.add_error("start", "Choose the first day.")
        if end is None:
            self.add_error("end", "Choose the last day.")
        if start is None or end is None:
            return data
        if end > self.today:
            self.add_error("end", "The period cannot end in the future.")
        elif start > end:
            self.add_error("start", "The first day must come before the last.")
        elif (end - start).days + 1 > LONGEST_DAYS:
            self.add_error("start", f"Choose at most {LONGEST_DAYS} days.")
        return data

    def period(self) -> Period:
        """The chosen period; the default (last 30 days) when the form is unbound or wrong."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        choice = data.get("range") or str(DEFAULT_DAYS)
        if choice == "custom":
            return Period(data["start"], data["end"])
        return Period.last(int(choice), self.today)

    def chosen_currency(self) -> str | None:
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get("currency") or None
        return None
