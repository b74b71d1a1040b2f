"""The buyer's library (service and API): each purchase with its files, the latest version
its update window covers and the earlier ones, downloads left per version, the stamped copy's
state; a download through the API is logged and gives a working link; the reset where the
seller allows it; a refund leaves the purchase listed as no longer available. Another buyer,
another marketplace and the module switched off are 404, and the library's queries do not
grow with the purchases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.commerce.services.refunds import refund_order
from core.events import dispatch_pending
from modules.digital.models import DigitalProduct, Download, Entitlement, StampedCopy
from modules.digital.services import downloads, library
from modules.digital.tests.helpers import T0, Shop, handbook_pdf
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call, make_user, sign_in
from tests.fleet_helpers import host_of

API = "/digital/library"


def api_client(shop: Shop, email: str) -> Client:
    client = Client(HTTP_HOST=host_of(shop.tenant), HTTP_USER_AGENT="Mozilla/5.0 library")
    assert sign_in(client, email).status_code == 200
    return client


def buy(shop: Shop, capture: Any, **terms: Any) -> Entitlement:
    with schema_context(shop.tenant.schema_name):
        if terms:
            DigitalProduct.objects.filter(pk=shop.terms.pk).update(**terms)
    order = shop.buy(shop.buyer, capture)
    with schema_context(shop.tenant.schema_name):
        return Entitlement.objects.get(order_line__order=order)


def refund(shop: Shop, entitlement: Entitlement, capture: Any) -> None:
    with schema_context(shop.tenant.schema_name):
        with capture(execute=True):
            refund_order(
                order_id=entitlement.order_line.order_id,
                lines=None,
                reason="Refunded",
                idempotency_key=f"refund-{entitlement.pk}",
                actor=None,
                actor_label="test",
            )
        dispatch_pending()


def test_the_library_shows_the_versions_the_update_window_covers(
    shop: Shop, time_machine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = shop.upload(handbook_pdf(2), changelog="First edition")
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    time_machine.move_to(T0 + timedelta(days=60), tick=False)
    second = shop.upload(handbook_pdf(3), changelog="Two new chapters")
    time_machine.move_to(T0 + timedelta(days=400), tick=False)  # after the 12 months
    shop.upload(handbook_pdf(4), changelog="Third edition")

    with schema_context(shop.tenant.schema_name):
        (entry,) = library.library_of(shop.buyer.pk)
    assert (entry.entitlement_id, entry.product_name, entry.seller_name) == (
        entitlement.pk,
        "Freelancer's Handbook",
        shop.seller.business_name,
    )
    assert entry.licence_kind == "personal" and not entry.refunded
    assert entry.updates_until is not None and entry.updates_until.year == 2027
    (handbook,) = entry.files
    assert handbook.title == "The handbook (PDF)"
    assert handbook.latest is not None
    assert (handbook.latest.id, handbook.latest.number) == (second.pk, 2)
    assert handbook.latest.changelog == "Two new chapters"
    assert (handbook.latest.size, handbook.latest.sha256) == (second.size, second.sha256)
    assert [v.id for v in handbook.earlier] == [first.pk]
    assert handbook.latest.downloads_left == 5 and handbook.latest.download_limit == 5
    # The copy stamped at purchase was of version 1; version 2 has none yet.
    assert handbook.earlier[0].stamp == "ready" and handbook.latest.stamp == ""


def test_downloads_left_per_version_match_the_download_rule(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    buyer = api_client(shop, shop.buyer.email)

    given = call(buyer, "post", f"{API}/{entitlement.pk}/versions/{version.pk}/download")

    assert given.status_code == 200, given.content
    body = given.json()
    assert (body["name"], body["size"], body["stamped"]) == ("handbook.pdf", version.size, True)
    fetched = buyer.get(body["url"])
    assert fetched.status_code == 200
    with schema_context(shop.tenant.schema_name):
        logged = Download.objects.get()
        assert (logged.user_agent, logged.ip, logged.version_id) == (
            "Mozilla/5.0 library",
            "127.0.0.1",
            version.pk,
        )
        assert downloads.downloads_left(entitlement, version) == 4
    listed = call(buyer, "get", API).json()
    assert listed[0]["files"][0]["latest"]["downloads_left"] == 4
    one = call(buyer, "get", f"{API}/{entitlement.pk}").json()
    assert one["files"][0]["latest"]["id"] == version.pk
    assert one["files"][0]["latest"]["stamp"] == "ready"


def test_the_reset_where_the_seller_allows_it(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(
        shop, django_capture_on_commit_callbacks, download_limit=2, allow_limit_reset=True
    )
    buyer = api_client(shop, shop.buyer.email)
    path = f"{API}/{entitlement.pk}/versions/{version.pk}/download"
    assert call(buyer, "post", path).status_code == 200
    assert call(buyer, "post", path).status_code == 200
    refused = call(buyer, "post", path)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "download_limit_reached"

    reset = call(buyer, "post", f"{API}/{entitlement.pk}/reset")

    assert reset.status_code == 200, reset.content
    assert reset.json()["forgiven"] == 2
    assert reset.json()["purchase"]["files"][0]["latest"]["downloads_left"] == 2
    assert call(buyer, "post", path).status_code == 200


def test_no_reset_unless_the_seller_allows_it(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    buyer = api_client(shop, shop.buyer.email)
    assert call(buyer, "get", f"{API}/{entitlement.pk}").json()["can_reset"] is False
    refused = call(buyer, "post", f"{API}/{entitlement.pk}/reset")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "download_reset_not_allowed"


def test_a_copy_being_prepared_is_said_and_not_downloadable_yet(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        StampedCopy.objects.filter(entitlement=entitlement).update(status="pending")
        (entry,) = library.library_of(shop.buyer.pk)
    assert entry.is_preparing and entry.files[0].latest is not None
    assert entry.files[0].latest.stamp_words == "Your copy is being prepared"
    buyer = api_client(shop, shop.buyer.email)
    refused = call(buyer, "post", f"{API}/{entitlement.pk}/versions/{version.pk}/download")
    assert refused.status_code == 409


def test_a_refunded_purchase_is_listed_as_no_longer_available(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    refund(shop, entitlement, django_capture_on_commit_callbacks)
    buyer = api_client(shop, shop.buyer.email)

    (listed,) = call(buyer, "get", API).json()

    assert listed["refunded"] is True
    assert listed["status"] == "Refunded: no longer available"
    assert listed["files"] == []
    given = call(buyer, "post", f"{API}/{entitlement.pk}/versions/{version.pk}/download")
    assert given.status_code == 404
    assert given.json()["error"]["code"] == "digital_not_found"
    with schema_context(shop.tenant.schema_name):
        assert not Download.objects.exists()


def test_another_buyers_purchase_is_not_found(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks, allow_limit_reset=True)
    other = make_user(shop.tenant, "other@pdf-press.example")
    client = api_client(shop, other.email)

    assert call(client, "get", API).json() == []
    assert call(client, "get", f"{API}/{entitlement.pk}").status_code == 404
    path = f"{API}/{entitlement.pk}/versions/{version.pk}/download"
    assert call(client, "post", path).status_code == 404
    assert call(client, "post", f"{API}/{entitlement.pk}/reset").status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not Download.objects.exists()
    assert call(Client(HTTP_HOST=host_of(shop.tenant)), "get", API).status_code == 401


def test_another_marketplace_and_the_module_off_are_not_found(
    shop: Shop, make_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    entitlement = buy(shop, django_capture_on_commit_callbacks)
    buyer = api_client(shop, shop.buyer.email)
    path = f"{API}/{entitlement.pk}/versions/{version.pk}/download"

    use_public_schema()
    elsewhere = Shop(make_tenant, "other-press")
    stranger = api_client(elsewhere, elsewhere.buyer.email)
    assert call(stranger, "get", f"{API}/{entitlement.pk}").status_code == 404
    assert call(stranger, "post", path).status_code == 404

    set_module_enabled(tenant=shop.tenant, key="digital", is_enabled=False)
    assert call(buyer, "get", API).status_code == 404
    assert call(buyer, "get", f"{API}/{entitlement.pk}").status_code == 404
    assert call(buyer, "post", path).status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not Download.objects.exists()


@pytest.mark.parametrize("purchases", [1, 3])
def test_the_library_queries_do_not_grow_with_purchases(
    shop: Shop, purchases: int, django_capture_on_commit_callbacks: Any
) -> None:
    shop.upload(handbook_pdf(2))
    shop.upload(handbook_pdf(3), changelog="v2")
    for _ in range(purchases):
        buy(shop, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name), CaptureQueriesContext(connection) as queries:
        entries = library.library_of(shop.buyer.pk)
    assert len(entries) == purchases
    assert all(len(e.files[0].earlier) == 1 for e in entries)
    selects = [q["sql"] for q in queries if not q["sql"].startswith("SET search_path")]
    # Entitlements (with product and seller), files, versions, downloads, stamped copies.
    assert len(selects) == 5, selects
