"""Helpers for the integration tests: loopback allowed through the SSRF guard (the partner
server listens on 127.0.0.1), the seller's secret shared with the partner server, endpoints,
deliveries and the integration log as the seller sees them."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.integrations.models import IntegrationCall, WebhookDelivery, WebhookEndpoint
from core.integrations.services.endpoints import create_endpoint
from core.integrations.services.secrets import signing_secret
from core.integrations.tests.partner_server import PartnerServer
from core.sellers.models import Seller
from tenants.models import Tenant


@pytest.fixture(name="loopback_allowed")
def loopback_allowed_fixture(settings: Any) -> None:
    """The partner server listens on 127.0.0.1: let the SSRF guard through to loopback only."""
    settings.SOUK_WEBHOOKS_ALLOW_LOOPBACK = True


def secret_of(tenant: Tenant, seller: Seller) -> str:
    with schema_context(tenant.schema_name):
        return signing_secret(seller_id=seller.pk)


def share_secret(tenant: Tenant, seller: Seller, server: PartnerServer) -> str:
    """The seller configures their software with their signing secret."""
    server.secret = secret_of(tenant, seller)
    return server.secret


def add_endpoint(
    tenant: Tenant, seller: Seller, server: PartnerServer, path: str, events: list[str]
) -> WebhookEndpoint:
    with schema_context(tenant.schema_name):
        return create_endpoint(seller=seller, url=server.url(path), events=events)


def logged_calls(tenant: Tenant, seller: Seller, kind: str | None = None) -> list[IntegrationCall]:
    with schema_context(tenant.schema_name):
        calls = IntegrationCall.objects.filter(seller=seller).order_by("id")
        if kind is not None:
            calls = calls.filter(kind=kind)
        return list(calls)


def deliveries_of(tenant: Tenant, endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    with schema_context(tenant.schema_name):
        return list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id"))
