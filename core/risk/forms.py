"""The operator's risk forms. Amounts are typed in the currency's major unit ("5000.00") and
kept in minor units; a count of 0 switches that check off."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from core.accounts.forms import ServiceForm
from core.risk.models import Outcome, RiskSettings


def _count(label: str, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=100_000, help_text=help_text)


def _amount(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        help_text="0 switches it off.",
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


AMOUNT_FIELDS = ("first_order_review_above", "first_order_block_above", "first_payout_review_above")


class RiskSettingsForm(ServiceForm):
    window_minutes = forms.IntegerField(
        label="Velocity window (minutes)", min_value=1, max_value=10_080
    )
    orders_review_at = _count("Orders per address or device: review from")
    orders_block_at = _count("Orders per address or device: block from")
    cards_review_at = _count("Different cards per address or device: review from")
    cards_block_at = _count("Different cards per address or device: block from")
    accounts_review_at = _count("Accounts per address or device: review from")
    accounts_block_at = _count("Accounts per address or device: block from")
    first_order_review_above = _amount("A buyer's first order: review above")
    first_order_block_above = _amount("A buyer's first order: block above")
    country_mismatch_outcome = forms.ChoiceField(
        label="Client's country differs from the billing or card country",
        choices=Outcome.choices,
    )
    new_seller_days = _count("A seller counts as new for (days)")
    payout_spike_multiplier = _count(
        "A new seller's payout is held above this many times their largest before"
    )
    first_payout_review_above = _amount("A new seller's first payout: review above")

    @classmethod
    def initial_of(cls, row: RiskSettings) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(row, name) for name in cls.base_fields}
        for name in AMOUNT_FIELDS:
            initial[name] = f"{Decimal(getattr(row, name)) / 100:.2f}"
        return initial

    def changes(self) -> dict[str, int | str]:
        data: dict[str, int | str] = {}
        for name, value in self.cleaned_data.items():
            data[name] = int(value * 100) if name in AMOUNT_FIELDS else value
        return data


class DecisionForm(forms.Form):
    assessment = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=(("approve", "Approve"), ("reject", "Reject")))
    note = forms.CharField(max_length=300, required=False)
