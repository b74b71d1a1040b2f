"""The seller's integration dashboard, ``/licenses/integration/``: API and webhook health
(success rate, p95 latency over 24 hours and 7 days, last errors), webhook endpoints and their
deliveries (replayable), the signing secret, accounts waiting to be set up by hand, the
integration log, and links to the API documentation.

For the seller's owner and team members with ``configure_integration``; everything shown is
the acting seller's, and another seller's endpoint, delivery or log entry is a 404. Pages
parse a form, call the same services as the partner API, and redirect (or show the form's
error)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core.accounts.forms import ServiceForm
from core.accounts.views import signed_in_user
from core.errors import DomainError
from core.sellers.errors import SellerError
from core.sellers.models import Seller, TeamPermission
from core.sellers.selectors import acting_seller
from core.sellers.views import seller_page
from modules.licensing.models import (
    IntegrationCall,
    ProvisionedAccount,
    ProvisioningStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from modules.licensing.services import partner, webhooks

P = ParamSpec("P")
PAGE = "licensing/integration.html"
RECENT = 20
CALL_KINDS = (
    ("api", "Partner API"),
    ("webhook", "Webhooks"),
    ("provision", "Account set-up"),
    ("deprovision", "Account removal"),
)
EVENT_CHOICES = [(event, event) for event in webhooks.WEBHOOK_EVENTS]


class EndpointForm(ServiceForm):
    url = forms.CharField(label="Endpoint URL", max_length=500)
    events = forms.MultipleChoiceField(
        label="Events", choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple
    )


def integration_page(
    view: Callable[Concatenate[HttpRequest, Seller, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Signed in (past the second factor where required), acting for a seller with
    ``configure_integration``; the view gets that seller."""

    @wraps(view)
    def guarded(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        try:
            user = signed_in_user(request)
            seller = acting_seller(user, TeamPermission.CONFIGURE_INTEGRATION)
        except SellerError as error:
            return render(request, "errors/403.html", {"message": error.message}, status=403)
        return view(request, seller, *args, **kwargs)

    return seller_page(guarded)


def _back() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("licensing:integration"))


def _health_rows(stats: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for kind, name in CALL_KINDS:
        rate = stats[kind]["success_rate"]
        percent = None if rate is None else round(rate * 100, 1)
        rows.append({"kind": kind, "name": name, "percent": percent, **stats[kind]})
    return rows


def _context(seller: Seller, form: EndpointForm | None = None) -> dict[str, Any]:
    health = partner.integration_health(seller=seller)
    endpoints = list(WebhookEndpoint.objects.filter(seller=seller).order_by("id"))
    return {
        "seller": seller,
        "health": health,
        "windows": [
            (label, health["windows"][key])
            for key, label in (("24h", "24 hours"), ("7d", "7 days"))
        ],
        "endpoints": endpoints,
        "form": form or EndpointForm(),
        "event_choices": webhooks.WEBHOOK_EVENTS,
        "deliveries": WebhookDelivery.objects.filter(endpoint__seller=seller)
        .select_related("endpoint")
        .order_by("-id")[:RECENT],
        "calls": IntegrationCall.objects.filter(seller=seller).order_by("-id")[:RECENT],
        "waiting_accounts": ProvisionedAccount.objects.filter(
            license__seller=seller, status=ProvisioningStatus.MANUAL
        )
        .select_related("license__product", "license__buyer")
        .order_by("-id")[:RECENT],
        "signing_secret": webhooks.signing_secret(seller_id=seller.pk),
    }


@never_cache
@integration_page
@require_safe
def integration_dashboard(request: HttpRequest, seller: Seller) -> HttpResponse:
    return render(request, PAGE, _context(seller))


@integration_page
@require_POST
def create_endpoint(request: HttpRequest, seller: Seller) -> HttpResponse:
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            webhooks.create_endpoint(
                seller=seller, url=form.cleaned_data["url"], events=form.cleaned_data["events"]
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, "The endpoint is added.")
            return _back()
    return render(request, PAGE, _context(seller, form))


def _own_endpoint(seller: Seller, endpoint_id: int) -> WebhookEndpoint:
    try:
        return webhooks.sellers_endpoint(seller=seller, endpoint_id=endpoint_id)
    except DomainError as error:
        raise Http404(error.message) from None


@integration_page
@require_POST
def update_endpoint(request: HttpRequest, seller: Seller, endpoint_id: int) -> HttpResponse:
    """Switch an endpoint on or off, or change its events."""
    endpoint = _own_endpoint(seller, endpoint_id)
    events = request.POST.getlist("events") or None
    is_active = request.POST.get("is_active")
    try:
        webhooks.update_endpoint(
            endpoint=endpoint,
            events=events,
            is_active=None if is_active is None else is_active == "on",
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The endpoint is saved.")
    return _back()


@integration_page
@require_POST
def delete_endpoint(request: HttpRequest, seller: Seller, endpoint_id: int) -> HttpResponse:
    webhooks.delete_endpoint(endpoint=_own_endpoint(seller, endpoint_id))
    messages.success(request, "The endpoint is removed.")
    return _back()


@integration_page
@require_POST
def replay_delivery(request: HttpRequest, seller: Seller, delivery_id: int) -> HttpResponse:
    try:
        delivery = webhooks.sellers_delivery(seller=seller, delivery_id=delivery_id)
    except DomainError as error:
        raise Http404(error.message) from None
    webhooks.replay_delivery(delivery=delivery)
    messages.success(request, f"{delivery.event_type} is being sent again.")
    return _back()


@integration_page
@require_POST
def rotate_secret(request: HttpRequest, seller: Seller) -> HttpResponse:
    webhooks.rotate_signing_secret(seller=seller)
    messages.success(request, "The signing secret is replaced; update your software with it.")
    return _back()


@never_cache
@integration_page
@require_safe
def integration_call(request: HttpRequest, seller: Seller, call_id: int) -> HttpResponse:
    """One entry of the integration log: the request and the answer."""
    call = IntegrationCall.objects.filter(pk=call_id, seller=seller).first()
    if call is None:
        raise Http404("No such call")
    return render(request, "licensing/integration_call.html", {"seller": seller, "call": call})
