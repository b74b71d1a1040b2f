"""A seller's webhook endpoints: up to ``MAX_ENDPOINTS`` public URLs (behind the SSRF guard),
each subscribed to some of the event types this marketplace's modules declare. Another
seller's endpoint or delivery is not found, exactly like one that does not exist."""

from __future__ import annotations

from django.db import transaction

from core.errors import ErrorKind
from core.integrations import registry, ssrf
from core.integrations.errors import IntegrationError, IntegrationErrorCode
from core.integrations.models import WebhookDelivery, WebhookEndpoint
from core.integrations.services.secrets import signing_secret
from core.sellers.models import Seller

MAX_ENDPOINTS = 10


def _invalid(field: str, message: str) -> IntegrationError:
    return IntegrationError(
        IntegrationErrorCode.INVALID_WEBHOOK,
        message,
        details={"field": field},
        kind=ErrorKind.INVALID,
    )


def _clean_events(events: list[str]) -> list[str]:
    """The chosen events, each one of this marketplace's event types (a module that is off
    offers none)."""
    offered = [event.name for event in registry.event_types()]
    chosen = list(dict.fromkeys(event.strip() for event in events))
    unknown = [event for event in chosen if event not in offered]
    if unknown:
        raise _invalid(
            "events", f"Unknown event {unknown[0][:60]!r}; choose from {', '.join(offered)}."
        )
    if not chosen:
        raise _invalid("events", "Choose at least one event.")
    return chosen


def create_endpoint(
    *, seller: Seller, url: str, events: list[str], is_active: bool = True
) -> WebhookEndpoint:
    cleaned_events = _clean_events(events)
    url = url.strip()
    ssrf.check_url(url)
    with transaction.atomic():
        Seller.objects.select_for_update().filter(pk=seller.pk).first()
        if WebhookEndpoint.objects.filter(seller=seller).count() >= MAX_ENDPOINTS:
            raise _invalid("url", f"A seller has at most {MAX_ENDPOINTS} webhook endpoints.")
        endpoint = WebhookEndpoint.objects.create(
            seller=seller, url=url, events=cleaned_events, is_active=is_active
        )
    signing_secret(seller_id=seller.pk)  # the secret exists before the first delivery
    return endpoint


def update_endpoint(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: list[str] | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    fields = []
    if url is not None:
        endpoint.url = url.strip()
        ssrf.check_url(endpoint.url)
        fields.append("url")
    if events is not None:
        endpoint.events = _clean_events(events)
        fields.append("events")
    if is_active is not None:
        endpoint.is_active = is_active
        fields.append("is_active")
    if fields:
        endpoint.save(update_fields=fields)
    return endpoint


def delete_endpoint(*, endpoint: WebhookEndpoint) -> None:
    """Its deliveries go with it; their calls stay in the integration log."""
    endpoint.delete()


def sellers_endpoint(*, seller: Seller, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, seller=seller).first()
    if endpoint is None:
        raise IntegrationError(
            IntegrationErrorCode.INVALID_WEBHOOK,
            "No such webhook endpoint.",
            kind=ErrorKind.NOT_FOUND,
        )
    return endpoint


def sellers_delivery(*, seller: Seller, delivery_id: int) -> WebhookDelivery:
    delivery = (
        WebhookDelivery.objects.filter(pk=delivery_id, endpoint__seller=seller)
        .select_related("endpoint")
        .first()
    )
    if delivery is None:
        raise IntegrationError(
            IntegrationErrorCode.INVALID_WEBHOOK,
            "No such webhook delivery.",
            kind=ErrorKind.NOT_FOUND,
        )
    return delivery
