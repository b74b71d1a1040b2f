"""Helpers for the integration tests (partner API, provisioning, webhooks): a seller's API
key client, software set up for automatic provisioning against the partner server, and the
integration log as the seller sees it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.catalog.models import Product
from core.integrations.tests.integration_helpers import (
    add_endpoint,
    deliveries_of,
    logged_calls,
    loopback_allowed_fixture,
    secret_of,
    share_secret,
)
from core.integrations.tests.partner_server import PartnerServer
from core.sellers.models import Seller
from core.sellers.services.api_keys import create_api_key
from modules.licensing.models import License, ProvisionedAccount
from modules.licensing.services.software import SoftwareData, set_up_software
from tenants.models import Tenant
from tests.accounts_helpers import call
from tests.accounts_helpers import signed_in_operator as operator_client

PARTNER_PREFIX = "/partner/v1/licensing"
# The generic helpers are core's; re-exported so the licensing tests import from one place.
__all__ = [
    "add_endpoint",
    "deliveries_of",
    "logged_calls",
    "loopback_allowed_fixture",
    "secret_of",
    "share_secret",
]


def partner_client(
    client_for: Callable[[Tenant], Client], tenant: Tenant, seller: Seller
) -> Client:
    """A client of the seller's own systems: their API key in ``X-API-Key``, no session."""
    with schema_context(tenant.schema_name):
        owner = User.objects.get(pk=seller.owner_id)
        issued = create_api_key(seller=seller, name=f"erp {uuid.uuid4().hex[:6]}", created_by=owner)
    client = client_for(tenant)
    client.defaults["HTTP_X_API_KEY"] = issued.raw
    return client


def partner(client: Client, method: str, path: str, body: Any = None, **headers: str) -> Any:
    """A call to ``/api/v1/partner/v1/licensing<path>``."""
    return call(client, method, PARTNER_PREFIX + path, body, **headers)


def automatic_provisioning(
    tenant: Tenant, product: Product, server: PartnerServer, *, deprovision: bool = True
) -> None:
    """The product provisions accounts on the partner server (``/provision``,
    ``/deprovision``)."""
    with schema_context(tenant.schema_name):
        set_up_software(
            product=product,
            data=SoftwareData(
                provisioning="automatic",
                provisioning_url=server.url("/provision"),
                deprovisioning_url=server.url("/deprovision") if deprovision else "",
            ),
        )


def account_of(tenant: Tenant, license: License) -> ProvisionedAccount | None:
    with schema_context(tenant.schema_name):
        return ProvisionedAccount.objects.filter(license_id=license.pk).first()


def order_id_of(tenant: Tenant, license: License) -> int:
    with schema_context(tenant.schema_name):
        return int(
            License.objects.values_list("order_line__order_id", flat=True).get(pk=license.pk)
        )


def refund_everything(
    client_for: Callable[[Tenant], Client], tenant: Tenant, order_id: int, capture: Any
) -> Any:
    """The operator refunds the whole order through the operator API (revoke hooks and
    outbox consumers run)."""
    client, _ = operator_client(client_for, tenant)
    with capture(execute=True):
        response = call(
            client,
            "post",
            f"/operator/commerce/orders/{order_id}/refunds",
            {"reason": "customer asked"},
            **{"Idempotency-Key": uuid.uuid4().hex},
        )
    assert response.status_code in (200, 201), response.content
    return response
