"""The operator's PayPal page: the marketplace's own PayPal app (client id, secret, webhook id,
sandbox or live) and whether buyers may choose PayPal at checkout. The secret is never shown
back: leaving it empty keeps the stored one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.accounts.forms import ServiceForm
from core.accounts.views import operator_page
from core.errors import DomainError
from core.payments.providers.paypal_settings import paypal_settings, save_paypal_settings


class PayPalForm(ServiceForm):
    is_enabled = forms.BooleanField(label="Buyers may pay with PayPal", required=False)
    is_live = forms.BooleanField(
        label="Live (real money)",
        required=False,
        help_text="Off: PayPal's sandbox, with sandbox buyer accounts.",
    )
    client_id = forms.CharField(label="Client ID", max_length=120, required=False)
    client_secret = forms.CharField(
        label="Secret",
        max_length=200,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text="Leave empty to keep the stored secret.",
    )
    webhook_id = forms.CharField(
        label="Webhook ID",
        max_length=60,
        required=False,
        help_text="PayPal shows it beside the webhook you added for the address above.",
    )


@require_http_methods(["GET", "POST"])
@operator_page
def paypal_page(request: HttpRequest) -> HttpResponse:
    current = paypal_settings()
    form = PayPalForm(
        request.POST or None,
        initial={
            "is_enabled": current.is_enabled,
            "is_live": current.is_live,
            "client_id": current.client_id,
            "webhook_id": current.webhook_id,
        },
    )
    if form.is_bound and form.is_valid():
        try:
            save_paypal_settings(**form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, "PayPal settings saved.")
            return HttpResponseRedirect(reverse("operator:paypal"))
    webhook_url = request.build_absolute_uri("/api/v1/payments/paypal/webhook")
    return render(
        request,
        "backoffice/money_paypal.html",
        {"form": form, "current": current, "webhook_url": webhook_url},
    )
