from django import forms

from core.deadlines.models import DeadlineStatus


class DeadlineFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *DeadlineStatus.choices], required=False
    )
    key_prefix = forms.CharField(label="Key starts with", max_length=200, required=False)
