"""The gigs partner API: a seller's own systems list their gig orders, read one and deliver
links with the checklist, by API key; without a key 401; another seller's order 404; every
call lands in the seller's integration log."""

from __future__ import annotations

import uuid

from django_tenants.utils import schema_context

from core.accounts.models import User
from core.integrations.models import CallKind, IntegrationCall
from core.sellers.services.api_keys import create_api_key
from modules.gigs.models import OrderStatus
from modules.gigs.tests.helpers import answers_for, buy, refreshed, signed_in
from tests.accounts_helpers import call

PREFIX = "/partner/v1/gigs"


def _partner(client_for, tenant, seller):
    with schema_context(tenant.schema_name):
        owner = User.objects.get(pk=seller.owner_id)
        issued = create_api_key(seller=seller, name=f"erp {uuid.uuid4().hex[:6]}", created_by=owner)
    client = client_for(tenant)
    client.defaults["HTTP_X_API_KEY"] = issued.raw
    return client


def test_a_sellers_systems_read_and_deliver_gig_orders_by_api_key(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    order = buy(buyer, shop.tenant, shop.gig, django_capture_on_commit_callbacks)
    studio = _partner(client_for, shop.tenant, shop.seller)
    pixel = _partner(client_for, shop.tenant, shop.other_seller)

    assert call(client_for(shop.tenant), "get", f"{PREFIX}/orders").status_code == 401
    listed = call(studio, "get", f"{PREFIX}/orders?status=awaiting_requirements")
    assert [row["id"] for row in listed.json()] == [order.pk]
    assert call(studio, "get", f"{PREFIX}/orders?status=completed").json() == []
    assert call(pixel, "get", f"{PREFIX}/orders").json() == []
    assert call(pixel, "get", f"{PREFIX}/orders/{order.pk}").status_code == 404

    early = call(studio, "post", f"{PREFIX}/orders/{order.pk}/deliver", {"links": []})
    assert early.status_code == 409  # waiting for the requirements
    answers = {"answers": answers_for(order)}
    assert call(buyer, "post", f"/gigs/orders/{order.pk}/requirements", answers).status_code == 200
    delivery = {"links": ["https://erp.example/out/1.zip"], "checklist_ticked": order.checklist}
    refused = call(pixel, "post", f"{PREFIX}/orders/{order.pk}/deliver", delivery)
    assert refused.status_code == 404
    delivered = call(studio, "post", f"{PREFIX}/orders/{order.pk}/deliver", delivery)
    assert delivered.status_code == 200, delivered.content
    assert delivered.json()["status"] == "delivered"
    assert refreshed(shop.tenant, order).status == OrderStatus.DELIVERED
    read = call(studio, "get", f"{PREFIX}/orders/{order.pk}").json()
    assert read["deliveries"][0]["links"] == ["https://erp.example/out/1.zip"]
    with schema_context(shop.tenant.schema_name):
        logged = IntegrationCall.objects.filter(seller=shop.seller, kind=CallKind.API).count()
    assert logged == 5  # two lists, the early delivery, the delivery, the read (not Pixel's)


def test_a_key_without_process_orders_is_refused_before_the_body_is_read(shop, client_for):
    with schema_context(shop.tenant.schema_name):
        owner = User.objects.get(pk=shop.seller.owner_id)
        issued = create_api_key(
            seller=shop.seller,
            name="hooks",
            created_by=owner,
            permissions=["configure_integration"],
        )
    key = client_for(shop.tenant)
    key.defaults["HTTP_X_API_KEY"] = issued.raw
    refused = call(key, "post", f"{PREFIX}/orders/1/deliver", {"not": "a field"})
    assert refused.status_code == 403  # not 422: the body is never read
    assert refused.json()["error"]["code"] == "permission_denied"
    assert refused.json()["error"]["details"] == {"required_permission": "process_orders"}
    assert call(key, "get", f"{PREFIX}/orders").status_code == 403
    with schema_context(shop.tenant.schema_name):
        statuses = list(
            IntegrationCall.objects.filter(seller=shop.seller, kind=CallKind.API).values_list(
                "response_status", flat=True
            )
        )
    assert statuses == [403, 403]
