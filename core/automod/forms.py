"""The operator's automated moderation settings form."""

from __future__ import annotations

from typing import Any

from django import forms


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace(",", "\n").splitlines() if line.strip()]


class PolicyForm(forms.Form):
    banned_words = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text="One word or phrase a line. Matched as whole words, whatever the case, "
        "accents, look-alike digits (sp4m) or spacing (s p a m).",
    )
    hold_threshold_percent = forms.IntegerField(
        min_value=1,
        max_value=100,
        label="Hold at score (%)",
        help_text="A check scoring at least this holds the item for you. Lower holds more.",
    )
    allowed_domains = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Sites links may point to, one a line (the marketplace's own domains are "
        "always allowed).",
    )
    repeat_limit = forms.IntegerField(
        min_value=2, max_value=1000, label="Same text this many times is spam"
    )
    repeat_window_hours = forms.IntegerField(min_value=1, max_value=720, label="Within (hours)")
    publish_clean_listings = forms.BooleanField(
        required=False,
        label="Publish listings the checks pass without waiting for an operator",
    )

    def cleaned_lists(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["banned_words"] = _lines(data.get("banned_words") or "")
        data["allowed_domains"] = _lines(data.get("allowed_domains") or "")
        return data
