"""The seller's integration dashboard: API and webhook health (success rate, p95 latency over
24 hours and 7 days, last errors), webhook endpoints and their deliveries (replayable), the
signing secret, the integration log, the sections modules add (licensing: accounts waiting to
be set up by hand), and links to the API documentation.

A module mounts these pages in its own URLs (``core.integrations.urls``); each page links
within the namespace it was mounted in, so the licensing module's stay under
``/licenses/integration/`` as ``licensing:integration...``. For the seller's owner and team
members with ``configure_integration``; everything shown is the acting seller's, and another
seller's endpoint, delivery or log entry is a 404. Pages parse a form, call the same services
as the partner API, and redirect (or show the form's error)."""

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
from core.integrations import registry
from core.integrations.models import IntegrationCall, WebhookDelivery, WebhookEndpoint
from core.integrations.selectors import integration_health
from core.integrations.services import endpoints, secrets, webhooks
from core.sellers.errors import SellerError
from core.sellers.models import Seller, TeamPermission
from core.sellers.selectors import acting_seller
from core.sellers.views import seller_page

P = ParamSpec("P")
PAGE = "integrations/dashboard.html"
RECENT = 20
WINDOWS = (("24h", "24 hours"), ("7d", "7 days"))
# URL names of these pages within the namespace they are mounted in (see urls.py).
PAGE_NAMES = {
    "dashboard": "integration",
    "create_endpoint": "integration_create_endpoint",
    "update_endpoint": "integration_update_endpoint",
    "delete_endpoint": "integration_delete_endpoint",
    "replay_delivery": "integration_replay_delivery",
    "rotate_secret": "integration_rotate_secret",
    "call": "integration_call",
}


class EndpointForm(ServiceForm):
    url = forms.CharField(label="Endpoint URL", max_length=500)
    events = forms.MultipleChoiceField(label="Events", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # This marketplace's event types: core's and those of the modules it runs.
        choices = [(event.name, event.name) for event in registry.event_types()]
        events_field = self.fields["events"]
        assert isinstance(events_field, forms.MultipleChoiceField)
        events_field.choices = choices


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


def _url_names(request: HttpRequest) -> dict[str, str]:
    """The pages' URL names in the namespace this request was routed through."""
    match = request.resolver_match
    prefix = f"{match.namespace}:" if match is not None and match.namespace else ""
    return {page: prefix + name for page, name in PAGE_NAMES.items()}


def _back(request: HttpRequest) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(_url_names(request)["dashboard"]))


def _windows(health: dict[str, Any]) -> list[dict[str, Any]]:
    windows = []
    for key, label in WINDOWS:
        rows = []
        for kind, stats in health["windows"][key].items():
            rate = stats["success_rate"]
            percent = None if rate is None else round(rate * 100, 1)
            name = registry.call_kind_label(kind)
            rows.append({"kind": kind, "name": name, "percent": percent, **stats})
        windows.append({"key": key, "label": label, "rows": rows})
    return windows


def _context(
    request: HttpRequest, seller: Seller, form: EndpointForm | None = None
) -> dict[str, Any]:
    health = integration_health(seller=seller)
    return {
        "seller": seller,
        "urls": _url_names(request),
        "health": health,
        "windows": _windows(health),
        "endpoints": list(WebhookEndpoint.objects.filter(seller=seller).order_by("id")),
        "form": form or EndpointForm(),
        "deliveries": WebhookDelivery.objects.filter(endpoint__seller=seller)
        .select_related("endpoint")
        .order_by("-id")[:RECENT],
        "calls": IntegrationCall.objects.filter(seller=seller).order_by("-id")[:RECENT],
        "sections": [
            {"template": section.template, "context": section.context(seller)}
            for section in registry.dashboard_sections()
        ],
        "signing_secret": secrets.signing_secret(seller_id=seller.pk),
    }


@never_cache
@integration_page
@require_safe
def integration_dashboard(request: HttpRequest, seller: Seller) -> HttpResponse:
    return render(request, PAGE, _context(request, seller))


@integration_page
@require_POST
def create_endpoint(request: HttpRequest, seller: Seller) -> HttpResponse:
    form = EndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoints.create_endpoint(
                seller=seller, url=form.cleaned_data["url"], events=form.cleaned_data["events"]
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, "The endpoint is added.")
            return _back(request)
    return render(request, PAGE, _context(request, seller, form))


def _own_endpoint(seller: Seller, endpoint_id: int) -> WebhookEndpoint:
    try:
        return endpoints.sellers_endpoint(seller=seller, endpoint_id=endpoint_id)
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
        endpoints.update_endpoint(
            endpoint=endpoint,
            events=events,
            is_active=None if is_active is None else is_active == "on",
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The endpoint is saved.")
    return _back(request)


@integration_page
@require_POST
def delete_endpoint(request: HttpRequest, seller: Seller, endpoint_id: int) -> HttpResponse:
    endpoints.delete_endpoint(endpoint=_own_endpoint(seller, endpoint_id))
    messages.success(request, "The endpoint is removed.")
    return _back(request)


@integration_page
@require_POST
def replay_delivery(request: HttpRequest, seller: Seller, delivery_id: int) -> HttpResponse:
    try:
        delivery = endpoints.sellers_delivery(seller=seller, delivery_id=delivery_id)
    except DomainError as error:
        raise Http404(error.message) from None
    webhooks.replay_delivery(delivery=delivery)
    messages.success(request, f"{delivery.event_type} is being sent again.")
    return _back(request)


@integration_page
@require_POST
def rotate_secret(request: HttpRequest, seller: Seller) -> HttpResponse:
    secrets.rotate_signing_secret(seller=seller)
    messages.success(request, "The signing secret is replaced; update your software with it.")
    return _back(request)


@never_cache
@integration_page
@require_safe
def integration_call(request: HttpRequest, seller: Seller, call_id: int) -> HttpResponse:
    """One entry of the integration log: the request and the answer."""
    call = IntegrationCall.objects.filter(pk=call_id, seller=seller).first()
    if call is None:
        raise Http404("No such call")
    context = {"seller": seller, "call": call, "urls": _url_names(request)}
    return render(request, "integrations/call.html", context)
