"""Forms of the studio's sales pages. They check what they can (shapes, amounts against what
is left on a line); the services check the rest and their errors land beside the field they
name (``ServiceForm.add_domain_error``)."""

from __future__ import annotations

from typing import Any

from django import forms

from core.accounts.forms import ServiceForm
from core.commerce.forms import new_idempotency_key
from core.commerce.models import OrderLine, OrderStatus
from core.commerce.services.refunds import LineRefund
from core.money import Money, MoneyError
from core.payments.models import PayoutSchedule
from core.studio.sales.order_queue import QUEUE_LABELS, Queue

MAX_NOTE = 4000


class OrderFilterForm(forms.Form):
    view = forms.ChoiceField(
        label="Show", choices=list(QUEUE_LABELS.items()), required=False, initial=Queue.ACTION
    )
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *OrderStatus.choices], required=False
    )
    q = forms.CharField(
        label="Search",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Order number or buyer"}),
    )

    def queue(self) -> Queue:
        value = self.cleaned_data.get("view") if self.is_valid() else ""
        return Queue(value) if value else Queue.ACTION


class RefundForm(ServiceForm):
    """A checkbox per refundable line with an optional amount (blank: everything left on the
    line), a reason and the key that makes a double submit refund once."""

    reason = forms.CharField(label="Reason (the buyer sees it)", max_length=300)
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args: Any, lines: list[OrderLine], currency: str, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"idempotency_key": new_idempotency_key()})
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.lines = [line for line in lines if line.total - line.refunded_amount > 0]
        for line in self.lines:
            left = Money(line.total - line.refunded_amount, currency)
            self.fields[f"line_{line.pk}"] = forms.BooleanField(
                label=f"{line.title} (up to {left})", required=False
            )
            self.fields[f"amount_{line.pk}"] = forms.CharField(
                label=f"Amount for {line.title}",
                required=False,
                max_length=20,
                help_text=f"Blank: all {left}",
                widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": str(left)}),
            )

    @property
    def line_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"line_{line.pk}"], self[f"amount_{line.pk}"]) for line in self.lines]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen: list[LineRefund] = []
        for line in self.lines:
            if not cleaned.get(f"line_{line.pk}"):
                continue
            text = (cleaned.get(f"amount_{line.pk}") or "").strip()
            if not text:
                chosen.append(LineRefund(line.pk, None))
                continue
            try:
                amount = Money.parse(text, self.currency).amount
            except MoneyError:
                self.add_error(f"amount_{line.pk}", f"Enter an amount in {self.currency}.")
                continue
            left = line.total - line.refunded_amount
            if not 0 < amount <= left:
                self.add_error(f"amount_{line.pk}", f"Between 0 and {Money(left, self.currency)}.")
                continue
            chosen.append(LineRefund(line.pk, amount))
        if not chosen and not self.errors:
            raise forms.ValidationError("Choose the lines to refund.")
        cleaned["refunds"] = chosen
        return cleaned


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label="Search customers",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "E-mail or name"}),
    )

    def search(self) -> str:
        return str(self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""


class CustomerNoteForm(ServiceForm):
    body = forms.CharField(
        label="Private note",
        max_length=MAX_NOTE,
        required=False,
        help_text="Only your team sees it. Leave it empty to remove the note.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class PayoutRequestForm(ServiceForm):
    currency = forms.ChoiceField(label="Currency")
    amount = forms.CharField(
        label="Amount",
        max_length=20,
        required=False,
        help_text="Blank: everything available",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    idempotency_key = forms.CharField(max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args: Any, currencies: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"idempotency_key": new_idempotency_key()})
        super().__init__(*args, **kwargs)
        currency = self.fields["currency"]
        assert isinstance(currency, forms.ChoiceField)
        currency.choices = [(code, code) for code in currencies]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        text = (cleaned.get("amount") or "").strip()
        currency = cleaned.get("currency")
        cleaned["minor_amount"] = None
        if text and currency:
            try:
                cleaned["minor_amount"] = Money.parse(text, currency).amount
            except MoneyError:
                self.add_error("amount", f"Enter an amount in {currency}.")
        return cleaned


class PayoutScheduleForm(ServiceForm):
    schedule = forms.ChoiceField(label="Pay me", choices=PayoutSchedule.choices)


class ConfirmForm(ServiceForm):
    """A button that only needs the CSRF token."""


class ReviewFilterForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Stars",
        choices=[("", "Any rating"), *((str(n), f"{n} stars") for n in range(5, 0, -1))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    unreplied = forms.BooleanField(label="Not answered yet", required=False)


class ReplyForm(ServiceForm):
    body = forms.CharField(
        label="Your public reply", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
