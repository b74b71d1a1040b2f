"""The seller's integration page in the studio (``/studio/integration/``): API keys (made,
rotated and revoked here; a new key is shown once), API and webhook health (success rate,
p95 latency over 24 hours and 7 days, last errors), webhook endpoints and their deliveries
(replayable), the signing secret, the integration log, the sections modules add (licensing:
accounts waiting to be set up by hand), and links to the API documentation.

Mounted in the studio (``core.studio.shop.urls`` includes ``core.integrations.urls``); each
page links within the namespace it was mounted in. The old address under the licensing
module (``/licenses/integration/...``) redirects here (``retired_urlpatterns``). For the
seller's owner and team members with ``configure_integration`` (the studio's guard);
everything shown is the acting seller's, and another seller's key, endpoint, delivery or log
entry is a 404. Pages parse a form, call the same services as the API, and redirect (or show
the form's error)."""

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
from core.errors import DomainError, ErrorKind
from core.integrations import registry
from core.integrations.models import IntegrationCall, WebhookDelivery, WebhookEndpoint
from core.integrations.selectors import integration_health
from core.integrations.services import endpoints, secrets, webhooks
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller, SellerApiKey, TeamPermission
from core.sellers.permissions import held_permissions
from core.sellers.services import api_keys
from core.studio.guards import studio_page

P = ParamSpec("P")
PAGE = "studio/integration.html"
RECENT = 20
WINDOWS = (("24h", "24 hours"), ("7d", "7 days"))
# URL names of these pages within the namespace they are mounted in (see urls.py).
PAGE_NAMES = {
    "dashboard": "integration",
    "create_key": "integration_create_key",
    "rotate_key": "integration_rotate_key",
    "revoke_key": "integration_revoke_key",
    "create_endpoint": "integration_create_endpoint",
    "update_endpoint": "integration_update_endpoint",
    "delete_endpoint": "integration_delete_endpoint",
    "replay_delivery": "integration_replay_delivery",
    "rotate_secret": "integration_rotate_secret",
    "call": "integration_call",
}
PERMISSION_LABELS = dict(TeamPermission.choices)


class EndpointForm(ServiceForm):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/souk-webhooks"}),
        help_text="A public https address of your software. Private and internal addresses "
        "are refused.",
    )
    events = forms.MultipleChoiceField(label="Events to send", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # This marketplace's event types: core's and those of the modules it runs.
        choices = [(event.name, _event_label(event)) for event in registry.event_types()]
        events_field = self.fields["events"]
        assert isinstance(events_field, forms.MultipleChoiceField)
        events_field.choices = choices


def _event_label(event: registry.EventType) -> str:
    return f"{event.name} \N{EM DASH} {event.description}" if event.description else event.name


class ApiKeyForm(ServiceForm):
    """A key carries only permissions its maker holds (the service checks again)."""

    name = forms.CharField(
        label="Name",
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Order sync on our server"}),
        help_text="So you recognise it later; the key itself is shown only once.",
    )
    permissions = forms.MultipleChoiceField(
        label="What the key may do", widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, held: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["permissions"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(code, label) for code, label in TeamPermission.choices if code in held]
        if not self.is_bound:
            self.initial.setdefault("permissions", sorted(held))


def integration_page(
    view: Callable[Concatenate[HttpRequest, Seller, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """The studio's guard for the Integration section (the owner, or a teammate with
    ``configure_integration``); the view gets the authorised seller."""

    @wraps(view)
    def with_seller(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        return view(request, authorised_seller(request), *args, **kwargs)

    return studio_page("studio:integration")(with_seller)


def _url_names(request: HttpRequest) -> dict[str, str]:
    """The pages' URL names in the namespace this request was routed through."""
    match = request.resolver_match
    prefix = f"{match.namespace}:" if match is not None and match.namespace else ""
    return {page: prefix + name for page, name in PAGE_NAMES.items()}


def _back(request: HttpRequest, anchor: str = "") -> HttpResponseRedirect:
    target = reverse(_url_names(request)["dashboard"])
    return HttpResponseRedirect(f"{target}#{anchor}" if anchor else target)


def _windows(health: dict[str, Any]) -> list[dict[str, Any]]:
    windows = []
    for key, label in WINDOWS:
        rows = []
        for kind, stats in health["windows"][key].items():
            rate = stats["success_rate"]
            percent = None if rate is None else round(rate * 100, 1)
            name = registry.call_kind_label(kind)
            rows.append({"kind": kind, "name": name, "percent": percent, **stats})
        total = sum(row["calls"] or 0 for row in rows)
        windows.append({"key": key, "label": label, "rows": rows, "calls": total})
    return windows


def _keys(seller: Seller) -> list[dict[str, Any]]:
    live = seller.api_keys.filter(revoked_at__isnull=True).select_related("created_by")
    return [
        {
            "key": key,
            "permission_labels": [PERMISSION_LABELS.get(code, code) for code in key.permissions],
        }
        for key in live.order_by("-created_at", "-id")
    ]


def _context(
    request: HttpRequest,
    seller: Seller,
    *,
    form: EndpointForm | None = None,
    key_form: ApiKeyForm | None = None,
    issued: api_keys.IssuedApiKey | None = None,
) -> dict[str, Any]:
    health = integration_health(seller=seller)
    for error in health["last_errors"]:
        error["kind_label"] = registry.call_kind_label(error["kind"])
    windows = _windows(health)
    held = held_permissions(signed_in_user(request), seller)
    return {
        "seller": seller,
        "urls": _url_names(request),
        "health": health,
        "windows": windows,
        "has_traffic": any(window["calls"] for window in windows),
        "api_keys": _keys(seller),
        "key_form": key_form or ApiKeyForm(held=held),
        "issued": issued,
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


# --- API keys ----------------------------------------------------------------------------------


def _shown_once(
    request: HttpRequest, seller: Seller, issued: api_keys.IssuedApiKey
) -> HttpResponse:
    """The page with the new key in full: never stored, never cached, never shown again."""
    response = render(request, PAGE, _context(request, seller, issued=issued))
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@integration_page
@require_POST
def create_key(request: HttpRequest, seller: Seller) -> HttpResponse:
    user = signed_in_user(request)
    form = ApiKeyForm(request.POST, held=held_permissions(user, seller))
    if form.is_valid():
        try:
            issued = api_keys.create_api_key(
                seller=seller,
                name=form.cleaned_data["name"],
                created_by=user,
                permissions=form.cleaned_data["permissions"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            return _shown_once(request, seller, issued)
    return render(request, PAGE, _context(request, seller, key_form=form))


def _own_key(seller: Seller, key_id: int) -> SellerApiKey:
    key = seller.api_keys.filter(pk=key_id, revoked_at__isnull=True).first()
    if key is None:
        raise Http404("No such API key.")
    return key


@never_cache
@integration_page
@require_POST
def rotate_key(request: HttpRequest, seller: Seller, key_id: int) -> HttpResponse:
    key = _own_key(seller, key_id)
    try:
        issued = api_keys.rotate_api_key(
            seller=seller, key_id=key.pk, created_by=signed_in_user(request)
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        messages.error(request, error.message)
        return _back(request, "api-keys")
    return _shown_once(request, seller, issued)


@integration_page
@require_POST
def revoke_key(request: HttpRequest, seller: Seller, key_id: int) -> HttpResponse:
    key = _own_key(seller, key_id)
    api_keys.revoke_api_key(seller=seller, key_id=key.pk)
    messages.success(request, f"The key “{key.name}” is revoked; it stops working at once.")
    return _back(request, "api-keys")


# --- webhooks ----------------------------------------------------------------------------------


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
            return _back(request, "webhooks")
    return render(request, PAGE, _context(request, seller, form=form))


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
    return _back(request, "webhooks")


@integration_page
@require_POST
def delete_endpoint(request: HttpRequest, seller: Seller, endpoint_id: int) -> HttpResponse:
    endpoints.delete_endpoint(endpoint=_own_endpoint(seller, endpoint_id))
    messages.success(request, "The endpoint is removed.")
    return _back(request, "webhooks")


@integration_page
@require_POST
def replay_delivery(request: HttpRequest, seller: Seller, delivery_id: int) -> HttpResponse:
    try:
        delivery = endpoints.sellers_delivery(seller=seller, delivery_id=delivery_id)
    except DomainError as error:
        raise Http404(error.message) from None
    webhooks.replay_delivery(delivery=delivery)
    messages.success(request, f"{delivery.event_type} is being sent again.")
    return _back(request, "deliveries")


@integration_page
@require_POST
def rotate_secret(request: HttpRequest, seller: Seller) -> HttpResponse:
    secrets.rotate_signing_secret(seller=seller)
    messages.success(request, "The signing secret is replaced; update your software with it.")
    return _back(request, "signing-secret")


@never_cache
@integration_page
@require_safe
def integration_call(request: HttpRequest, seller: Seller, call_id: int) -> HttpResponse:
    """One entry of the integration log: the request and the answer."""
    call = IntegrationCall.objects.filter(pk=call_id, seller=seller).first()
    if call is None:
        raise Http404("No such call")
    context = {"seller": seller, "call": call, "urls": _url_names(request)}
    return render(request, "studio/integration_call.html", context)


# --- the old address ---------------------------------------------------------------------------


def moved_to_studio(request: HttpRequest, rest: str = "") -> HttpResponse:
    """``.../integration/<rest>`` (the licensing module's old mount) -> the studio's; a form
    posted there is sent on with its method (308)."""
    target = reverse("studio:integration") + rest
    if request.META.get("QUERY_STRING"):
        target += "?" + request.META["QUERY_STRING"]
    response = HttpResponseRedirect(target)
    response.status_code = 302 if request.method in ("GET", "HEAD") else 308
    return response
