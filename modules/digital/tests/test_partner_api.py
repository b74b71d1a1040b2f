"""Digital goods in the partner API: a seller's own systems upload a new version of a file
(numbered after the last, with its changelog) and read the download log by API key; a key
without ``manage_products`` is refused before the body is read, another seller's file or
product is 404, another marketplace does not know the key, and every call is logged."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.integrations.models import CallKind, IntegrationCall
from core.sellers.models import Seller
from core.sellers.services.api_keys import create_api_key
from modules.digital.models import Entitlement, FileVersion
from modules.digital.services import downloads
from modules.digital.tests.helpers import Shop, handbook_pdf
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import call

PREFIX = "/partner/v1/digital"


def partner(
    client_for: Any, shop: Shop, seller: Seller, permissions: list[str] | None = None
) -> Client:
    with schema_context(shop.tenant.schema_name):
        owner = User.objects.get(pk=seller.owner_id)
        extra = {} if permissions is None else {"permissions": permissions}
        issued = create_api_key(
            seller=seller, name=f"ci {uuid.uuid4().hex[:6]}", created_by=owner, **extra
        )
    client = client_for(shop.tenant)
    client.defaults["HTTP_X_API_KEY"] = issued.raw
    return client


def upload(client: Client, file_id: int, content: bytes, changelog: str) -> Any:
    return client.post(
        f"/api/v1{PREFIX}/files/{file_id}/versions",
        {"file": SimpleUploadedFile("handbook.pdf", content), "changelog": changelog},
    )


def test_a_sellers_systems_publish_versions_and_read_downloads(
    shop: Shop, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ci = partner(client_for, shop, shop.seller)
    rival = partner(client_for, shop, shop.other_seller)

    assert upload(client_for(shop.tenant), shop.file.pk, handbook_pdf(), "").status_code == 401
    first = upload(ci, shop.file.pk, handbook_pdf(2), "First edition")
    assert first.status_code == 201, first.content
    second = upload(ci, shop.file.pk, handbook_pdf(3), "Chapter 3")
    assert (second.json()["number"], second.json()["changelog"]) == (2, "Chapter 3")
    assert upload(rival, shop.file.pk, handbook_pdf(), "mine now").status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert list(FileVersion.objects.values_list("number", flat=True)) == [2, 1]

    shop.buy(shop.buyer, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        entitlement = Entitlement.objects.get(buyer=shop.buyer)
        downloads.authorise(
            buyer_id=shop.buyer.pk,
            entitlement_id=entitlement.pk,
            version_id=second.json()["id"],
            ip="198.51.100.4",
            user_agent="curl/8",
        )
    log = call(ci, "get", f"{PREFIX}/products/{shop.product.pk}/downloads")
    assert log.status_code == 200, log.content
    assert [
        (row["buyer_email"], row["version_number"], row["ip"]) for row in log.json()["rows"]
    ] == [("amara@pdf-press.example", 2, "198.51.100.4")]
    assert call(rival, "get", f"{PREFIX}/products/{shop.product.pk}/downloads").status_code == 404
    with schema_context(shop.tenant.schema_name):
        logged = IntegrationCall.objects.filter(seller=shop.seller, kind=CallKind.API).count()
    assert logged == 3  # two uploads and the log (not the anonymous call, not the rival's)


def test_a_key_without_manage_products_is_refused_before_the_body_is_read(
    shop: Shop, client_for: Any, make_tenant: Any
) -> None:
    hooks = partner(client_for, shop, shop.seller, ["configure_integration"])
    refused = upload(hooks, shop.file.pk, handbook_pdf(), "nope")
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {"required_permission": "manage_products"}
    log = call(hooks, "get", f"{PREFIX}/products/{shop.product.pk}/downloads")
    assert log.status_code == 403
    with schema_context(shop.tenant.schema_name):
        assert not FileVersion.objects.exists()

    # Another marketplace does not know this marketplace's keys.
    key = hooks.defaults["HTTP_X_API_KEY"]
    use_public_schema()
    elsewhere = Shop(make_tenant, "other-press")
    stranger = client_for(elsewhere.tenant)
    stranger.defaults["HTTP_X_API_KEY"] = key
    assert upload(stranger, elsewhere.file.pk, handbook_pdf(), "").status_code == 401
    owner_key = partner(client_for, shop, shop.seller)
    foreign = client_for(elsewhere.tenant)
    foreign.defaults["HTTP_X_API_KEY"] = owner_key.defaults["HTTP_X_API_KEY"]
    assert upload(foreign, elsewhere.file.pk, handbook_pdf(), "").status_code == 401
    with schema_context(elsewhere.tenant.schema_name):
        assert not FileVersion.objects.exists()
