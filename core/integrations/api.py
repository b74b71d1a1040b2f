"""The partner API's integration endpoints - webhook endpoints, their deliveries, the signing
secret, the event types - for a seller's own systems, and the decorator that logs every
partner API request.

Core mounts them at ``/api/v1/partner/v1/integrations/`` (``integrations_partner_router``:
the endpoints behind the logging decorator), so every marketplace has them whichever modules
are on. A module's partner router may take them too (``router.add_router("", partner_router)``
beside ``router.add_decorator(log_partner_calls, mode="view")``), so they keep the module's
paths (licensing: ``/api/v1/partner/v1/licensing/webhooks``..., public contract). Every
operation names its key permission (``configure_integration``) with ``seller_key_auth``;
another seller's endpoint or delivery answers 404 like one that does not exist."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Query, Router, Status

from core.integrations import registry
from core.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from core.integrations.schemas import (
    DeliveryListQuery,
    EventTypesOut,
    SigningSecretOut,
    WebhookDeliveryOut,
    WebhookDeliveryPageOut,
    WebhookEndpointIn,
    WebhookEndpointListOut,
    WebhookEndpointOut,
    WebhookEndpointPatch,
)
from core.integrations.services import calls, endpoints, secrets, webhooks
from core.pagination import keyset_page
from core.sellers.auth import authorised_seller, seller_key_auth
from core.sellers.models import TeamPermission

partner_router = Router(auth=seller_key_auth(TeamPermission.CONFIGURE_INTEGRATION))
"""The endpoints, for a module's partner router to take (it adds ``log_partner_calls``)."""


def log_partner_calls(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wraps ninja's whole operation (auth, throttle, validation, errors) so every answer,
    refusals included, reaches the key's seller's integration log (method, path, status,
    latency; never bodies). Add it with ``mode="view"``."""

    @wraps(run)
    def logged(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        started = time.monotonic()
        response = run(request, *args, **kwargs)
        identity = getattr(request, "api_key_identity", None)
        if identity is not None:
            error = ""
            if response.status_code >= 400:
                error = getattr(response, "content", b"")[:500].decode("utf-8", "replace")
            calls.record_api_call(
                seller_id=identity.seller_id,
                method=request.method or "",
                path=request.path,
                status=response.status_code,
                latency_ms=round((time.monotonic() - started) * 1000),
                error=error,
            )
        return response

    return logged


def endpoint_out(endpoint: WebhookEndpoint) -> WebhookEndpointOut:
    return WebhookEndpointOut(
        id=endpoint.pk,
        url=endpoint.url,
        events=list(endpoint.events),
        is_active=endpoint.is_active,
        created_at=endpoint.created_at,
    )


def delivery_out(delivery: WebhookDelivery) -> WebhookDeliveryOut:
    return WebhookDeliveryOut(
        id=delivery.pk,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=DeliveryStatus(delivery.status),
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        created_at=delivery.created_at,
        payload=webhooks.webhook_body(delivery),
    )


@partner_router.get(
    "/webhooks/events",
    response=EventTypesOut,
    summary="The events a webhook endpoint can subscribe to",
)
def webhook_events(request: HttpRequest) -> EventTypesOut:
    return EventTypesOut(events=[event.name for event in registry.event_types()])


@partner_router.get("/webhooks", response=WebhookEndpointListOut, summary="Your webhook endpoints")
def list_endpoints(request: HttpRequest) -> WebhookEndpointListOut:
    rows = WebhookEndpoint.objects.filter(seller=authorised_seller(request)).order_by("id")
    return WebhookEndpointListOut(items=[endpoint_out(endpoint) for endpoint in rows])


@partner_router.post(
    "/webhooks",
    response={201: WebhookEndpointOut},
    summary="Add a webhook endpoint (a public http(s) URL) for some events",
)
def create_endpoint(request: HttpRequest, payload: WebhookEndpointIn) -> Status[WebhookEndpointOut]:
    endpoint = endpoints.create_endpoint(
        seller=authorised_seller(request),
        url=payload.url,
        events=payload.events,
        is_active=payload.is_active,
    )
    return Status(201, endpoint_out(endpoint))


@partner_router.get(
    "/webhooks/{endpoint_id}", response=WebhookEndpointOut, summary="One of your webhook endpoints"
)
def get_endpoint(request: HttpRequest, endpoint_id: int) -> WebhookEndpointOut:
    return endpoint_out(
        endpoints.sellers_endpoint(seller=authorised_seller(request), endpoint_id=endpoint_id)
    )


@partner_router.patch(
    "/webhooks/{endpoint_id}", response=WebhookEndpointOut, summary="Change a webhook endpoint"
)
def update_endpoint(
    request: HttpRequest, endpoint_id: int, payload: WebhookEndpointPatch
) -> WebhookEndpointOut:
    endpoint = endpoints.sellers_endpoint(
        seller=authorised_seller(request), endpoint_id=endpoint_id
    )
    endpoints.update_endpoint(
        endpoint=endpoint, url=payload.url, events=payload.events, is_active=payload.is_active
    )
    return endpoint_out(endpoint)


@partner_router.delete(
    "/webhooks/{endpoint_id}", response={204: None}, summary="Remove an endpoint"
)
def delete_endpoint(request: HttpRequest, endpoint_id: int) -> Status[None]:
    endpoint = endpoints.sellers_endpoint(
        seller=authorised_seller(request), endpoint_id=endpoint_id
    )
    endpoints.delete_endpoint(endpoint=endpoint)
    return Status(204, None)


@partner_router.get(
    "/webhooks/{endpoint_id}/deliveries",
    response=WebhookDeliveryPageOut,
    summary="An endpoint's deliveries, newest first",
)
def list_deliveries(
    request: HttpRequest, endpoint_id: int, params: Query[DeliveryListQuery]
) -> WebhookDeliveryPageOut:
    endpoint = endpoints.sellers_endpoint(
        seller=authorised_seller(request), endpoint_id=endpoint_id
    )
    queryset = WebhookDelivery.objects.filter(endpoint=endpoint)
    if params.status:
        queryset = queryset.filter(status=params.status)
    rows, cursor = keyset_page(
        queryset, ordering=("-id",), limit=params.limit, cursor=params.cursor
    )
    return WebhookDeliveryPageOut(items=[delivery_out(row) for row in rows], next_cursor=cursor)


@partner_router.post(
    "/webhooks/deliveries/{delivery_id}/replay",
    response={202: WebhookDeliveryOut},
    summary="Send a delivery again (same event id, fresh signature and retries)",
)
def replay_delivery(request: HttpRequest, delivery_id: int) -> Status[WebhookDeliveryOut]:
    delivery = endpoints.sellers_delivery(
        seller=authorised_seller(request), delivery_id=delivery_id
    )
    webhooks.replay_delivery(delivery=delivery)
    delivery.refresh_from_db()
    return Status(202, delivery_out(delivery))


@partner_router.get(
    "/signing-secret",
    response=SigningSecretOut,
    summary="The secret that signs provisioning calls and webhooks (Souk-Signature)",
)
def get_signing_secret(request: HttpRequest) -> SigningSecretOut:
    return SigningSecretOut(
        signing_secret=secrets.signing_secret(seller_id=authorised_seller(request).pk)
    )


@partner_router.post(
    "/signing-secret/rotate",
    response=SigningSecretOut,
    summary="Replace the signing secret (the old one stops verifying at once)",
)
def rotate_signing_secret(request: HttpRequest) -> SigningSecretOut:
    return SigningSecretOut(
        signing_secret=secrets.rotate_signing_secret(seller=authorised_seller(request))
    )


integrations_partner_router = Router()
"""What core mounts at ``/partner/v1/integrations``: the endpoints, every call logged."""
integrations_partner_router.add_decorator(log_partner_calls, mode="view")
integrations_partner_router.add_router("", partner_router)
