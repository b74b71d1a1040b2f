"""The period an operator looks at (the last 7, 30, 90 or 365 days, or dates they choose) and
the one before it, of the same length, that the dashboard compares against. Days are calendar
days in the project's time zone; a period ends at the end of its last day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.utils import timezone

PRESETS: tuple[tuple[str, str, int], ...] = (
    ("7d", "Last 7 days", 7),
    ("30d", "Last 30 days", 30),
    ("90d", "Last 90 days", 90),
    ("365d", "Last 12 months", 365),
)
DEFAULT_PRESET = "30d"
LONGEST_DAYS = 731  # two years: a day-by-day chart past that says nothing more


@dataclass(frozen=True)
class Period:
    first_day: dt.date
    last_day: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def previous(self) -> Period:
        last = self.first_day - dt.timedelta(days=1)
        return Period(last - dt.timedelta(days=self.days - 1), last)

    @property
    def starts_at(self) -> dt.datetime:
        return _midnight(self.first_day)

    @property
    def ends_before(self) -> dt.datetime:
        return _midnight(self.last_day + dt.timedelta(days=1))

    def each_day(self) -> list[dt.date]:
        return [self.first_day + dt.timedelta(days=n) for n in range(self.days)]

    @property
    def label(self) -> str:
        return f"{self.first_day:%-d %b %Y} to {self.last_day:%-d %b %Y}"


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def last_days(days: int, *, today: dt.date | None = None) -> Period:
    last = today or timezone.localdate()
    return Period(last - dt.timedelta(days=days - 1), last)


class PeriodForm(forms.Form):
    """GET form: a preset, or both dates. Invalid input falls back to the default preset with
    the errors shown beside the fields."""

    period = forms.ChoiceField(
        label="Period",
        required=False,
        choices=[(key, label) for key, label, _ in PRESETS] + [("custom", "Dates I choose")],
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        first, last = data.get("date_from"), data.get("date_to")
        if data.get("period") == "custom" or first or last:
            if not first:
                self.add_error("date_from", "Choose the first day.")
            if not last:
                self.add_error("date_to", "Choose the last day.")
            if isinstance(first, dt.date) and isinstance(last, dt.date):
                if last < first:
                    self.add_error("date_to", "The period ends before it starts.")
                elif (last - first).days + 1 > LONGEST_DAYS:
                    self.add_error("date_to", "Choose at most two years.")
                elif last > timezone.localdate():
                    self.add_error("date_to", "The period cannot end in the future.")
        return data

    def chosen(self) -> Period:
        if not self.is_bound or not self.is_valid():
            return last_days(_preset_days(DEFAULT_PRESET))
        data = self.cleaned_data
        if data.get("date_from") and data.get("date_to"):
            return Period(data["date_from"], data["date_to"])
        return last_days(_preset_days(data.get("period") or DEFAULT_PRESET))


def _preset_days(key: str) -> int:
    return next((days for preset, _, days in PRESETS if preset == key), 30)


def period_form(query: dict[str, str] | object) -> PeriodForm:
    """Bound only when the query names a period (so a bare URL shows the default quietly)."""
    names = ("period", "date_from", "date_to")
    data = getattr(query, "get", None)
    if data is not None and any(data(name) for name in names):
        return PeriodForm(query)  # type: ignore[arg-type]
    return PeriodForm(initial={"period": DEFAULT_PRESET})
