"""Webhooks belong to core, not to licensing: a marketplace without the licensing module still
manages its sellers' webhook endpoints through the partner API, at
``/api/v1/partner/v1/integrations/``, and subscribes them to its own modules' events; the
licensing paths keep answering where licensing is on (they are public contract)."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_context

from core.integrations.models import CallKind, IntegrationCall, WebhookEndpoint
from core.sellers.services.api_keys import create_api_key
from tests.accounts_helpers import call
from tests.catalog_helpers import make_seller

PREFIX = "/partner/v1/integrations"


def _key_client(client_for: Any, tenant: Any, seller: Any) -> Any:
    with schema_context(tenant.schema_name):
        issued = create_api_key(
            seller=seller,
            name="ERP",
            created_by=seller.owner,
            permissions=["configure_integration"],
        )
    client = client_for(tenant)
    client.defaults["HTTP_X_API_KEY"] = issued.raw
    return client


def test_a_gigs_only_marketplace_manages_webhooks_at_core_paths(
    make_tenant: Any, client_for: Any, settings: Any
) -> None:
    settings.SOUK_WEBHOOKS_ALLOW_LOOPBACK = True
    tenant = make_tenant("gig-street", modules=["gigs"]).tenant
    seller = make_seller(tenant, "studio", product_types=["service"])
    key = _key_client(client_for, tenant, seller)

    events = call(key, "get", f"{PREFIX}/webhooks/events")
    assert events.status_code == 200, events.content
    names = events.json()["events"]
    assert "gig.delivered" in names and "order.paid" in names
    assert not [name for name in names if name.startswith("license.")]

    created = call(
        key,
        "post",
        f"{PREFIX}/webhooks",
        {"url": "http://127.0.0.1:9/souk", "events": ["gig.delivered", "gig.completed"]},
    )
    assert created.status_code == 201, created.content
    endpoint_id = created.json()["id"]
    assert call(key, "get", f"{PREFIX}/webhooks").json()["items"][0]["events"] == [
        "gig.delivered",
        "gig.completed",
    ]
    assert call(key, "get", f"{PREFIX}/webhooks/{endpoint_id}/deliveries").status_code == 200
    secret = call(key, "get", f"{PREFIX}/signing-secret")
    assert secret.status_code == 200 and secret.json()["signing_secret"]
    # licensing is off here: its paths do not exist, core's do
    assert call(key, "get", "/partner/v1/licensing/webhooks").status_code == 404
    with schema_context(tenant.schema_name):
        assert WebhookEndpoint.objects.filter(seller=seller).count() == 1
        logged = IntegrationCall.objects.filter(seller=seller, kind=CallKind.API).count()
    assert logged == 5  # every call on core's paths is in the seller's integration log


def test_the_licensing_paths_and_the_core_paths_show_the_same_endpoints(
    client_for: Any, make_tenant: Any
) -> None:
    tenant_a = make_tenant("licence-lane", modules=["licensing"]).tenant
    seller = make_seller(tenant_a, "acme")
    key = _key_client(client_for, tenant_a, seller)
    with schema_context(tenant_a.schema_name):
        endpoint = WebhookEndpoint.objects.create(
            seller=seller, url="https://hooks.acme.example/souk", events=["order.paid"]
        )
    for prefix in (PREFIX, "/partner/v1/licensing"):
        listed = call(key, "get", f"{prefix}/webhooks")
        assert [row["id"] for row in listed.json()["items"]] == [endpoint.pk], prefix
