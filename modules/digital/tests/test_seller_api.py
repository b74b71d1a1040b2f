"""The seller's API of digital goods: terms with clear field errors, files and external
links, versions numbered 1, 2, ... through a multipart upload, the download log and stats
counting the buyer's downloads, and "who leaked this?" finding the buyer only for the
product's own seller. Another seller's product or file is 404, a teammate without
``manage_products`` is refused, another marketplace and a marketplace with the module off
see nothing."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from core.sellers.models import Seller, TeamMember
from modules.digital.models import DigitalFile, DigitalProduct, Entitlement, StampedCopy
from modules.digital.services import downloads
from modules.digital.tests.helpers import Shop, handbook_pdf
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call, make_user, sign_in

API = "/digital/seller"


def signed_in(client_for: Any, tenant: Any, user: User) -> Client:
    client = client_for(tenant)
    response = sign_in(client, user.email)
    assert response.status_code == 200, response.content
    return client


def seller_client(client_for: Any, shop: Shop, seller: Seller) -> Client:
    with schema_context(shop.tenant.schema_name):
        owner = User.objects.get(pk=seller.owner_id)
    return signed_in(client_for, shop.tenant, owner)


def upload(client: Client, file_id: int, content: bytes, name: str, changelog: str) -> Any:
    return client.post(
        f"/api/v1{API}/files/{file_id}/versions",
        {"file": SimpleUploadedFile(name, content), "changelog": changelog},
    )


def download(shop: Shop, version_id: int) -> None:
    with schema_context(shop.tenant.schema_name):
        entitlement = Entitlement.objects.get(buyer=shop.buyer)
        downloads.authorise(
            buyer_id=shop.buyer.pk,
            entitlement_id=entitlement.pk,
            version_id=version_id,
            ip="203.0.113.9",
            user_agent="Mozilla/5.0 test",
        )


def test_a_seller_sets_terms_with_clear_errors(shop: Shop, client_for: Any) -> None:
    owner = seller_client(client_for, shop, shop.seller)
    path = f"{API}/products/{shop.product.pk}/terms"

    bad = call(owner, "put", path, {"download_limit": 0})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["field"] == "download_limit"
    lonely_reset = call(owner, "put", path, {"allow_limit_reset": True})
    assert lonely_reset.status_code == 422
    assert lonely_reset.json()["error"]["details"]["field"] == "allow_limit_reset"
    corner = call(owner, "put", path, {"stamp_corner": "middle"})
    assert corner.json()["error"]["details"]["field"] == "stamp_corner"

    terms = {
        "licence_kind": "commercial",
        "licence_text": "Use it in client work.",
        "download_limit": 3,
        "update_months": 6,
        "notify_updates": False,
        "allow_limit_reset": True,
        "stamp_pdfs": True,
        "stamp_corner": "top-left",
        "watermark_images": True,
        "protect_pdfs": True,
    }
    saved = call(owner, "put", path, terms)
    assert saved.status_code == 200, saved.content
    assert saved.json() == {"product_id": shop.product.pk, **terms}
    assert call(owner, "get", path).json()["stamp_corner"] == "top-left"
    with schema_context(shop.tenant.schema_name):
        stored = DigitalProduct.objects.get(product=shop.product)
        assert (stored.licence_kind, stored.download_limit, stored.update_months) == (
            "commercial",
            3,
            6,
        )

    # Another seller of the marketplace cannot read or change them.
    rival = seller_client(client_for, shop, shop.other_seller)
    assert call(rival, "put", path, terms).status_code == 404
    assert call(rival, "get", path).status_code == 404
    assert call(rival, "get", f"{API}/products").json() == []


def test_files_links_and_versions_numbered_through_the_api(shop: Shop, client_for: Any) -> None:
    owner = seller_client(client_for, shop, shop.seller)
    files = f"{API}/products/{shop.product.pk}/files"

    http = call(owner, "post", files, {"title": "Bonus", "external_url": "http://x.example/a"})
    assert http.status_code == 422
    assert http.json()["error"]["details"]["field"] == "external_url"
    link = call(
        owner, "post", files, {"title": "Bonus video", "external_url": "https://v.example/1"}
    )
    assert link.status_code == 201, link.content
    to_link = upload(owner, link.json()["id"], handbook_pdf(), "x.pdf", "")
    assert to_link.status_code == 422  # a link has no versions
    assert to_link.json()["error"]["details"]["field"] == "file"
    templates = call(owner, "post", files, {"title": "Templates"})
    assert templates.status_code == 201

    first = upload(owner, shop.file.pk, handbook_pdf(2), "handbook.pdf", "First edition")
    assert first.status_code == 201, first.content
    second = upload(owner, shop.file.pk, handbook_pdf(3), "handbook-2.pdf", "Chapter 3 added")
    assert (second.json()["number"], second.json()["changelog"]) == (2, "Chapter 3 added")
    lying = upload(owner, shop.file.pk, b"MZ\x90\x00 not a pdf at all", "handbook.pdf", "")
    assert lying.status_code in (415, 422), lying.content
    assert lying.json()["error"]["details"]["field"] == "file"

    listed = call(owner, "get", f"{API}/files/{shop.file.pk}/versions").json()
    assert [row["number"] for row in listed] == [2, 1]
    rows = call(owner, "get", files).json()
    assert [row["title"] for row in rows] == ["The handbook (PDF)", "Bonus video", "Templates"]
    assert rows[0]["latest_version"]["number"] == 2

    ids = [row["id"] for row in rows]
    reordered = call(owner, "put", f"{files}/order", {"file_ids": ids[::-1]})
    assert [row["title"] for row in reordered.json()] == [
        "Templates",
        "Bonus video",
        "The handbook (PDF)",
    ]
    assert call(owner, "put", f"{files}/order", {"file_ids": ids[:1]}).status_code == 422
    renamed = call(owner, "patch", f"{API}/files/{ids[2]}", {"title": "Spreadsheets"})
    assert renamed.json()["title"] == "Spreadsheets"
    assert call(owner, "delete", f"{API}/files/{ids[1]}").status_code == 204
    assert [row["id"] for row in call(owner, "get", files).json()] == [ids[2], ids[0]]
    with schema_context(shop.tenant.schema_name):
        assert DigitalFile.objects.get(pk=ids[1]).removed_at is not None  # soft

    # Another seller's file is not found, whatever they try.
    rival = seller_client(client_for, shop, shop.other_seller)
    assert upload(rival, shop.file.pk, handbook_pdf(1), "x.pdf", "").status_code == 404
    assert call(rival, "get", f"{API}/files/{shop.file.pk}/versions").status_code == 404
    assert call(rival, "patch", f"{API}/files/{shop.file.pk}", {"title": "Mine"}).status_code == 404
    assert call(rival, "delete", f"{API}/files/{shop.file.pk}").status_code == 404
    assert call(rival, "get", files).status_code == 404
    assert call(rival, "post", files, {"title": "Sneaky"}).status_code == 404
    listed = call(owner, "get", f"{API}/files/{shop.file.pk}/versions").json()
    assert [row["number"] for row in listed] == [2, 1]


def test_stats_and_the_log_count_the_buyers_downloads(
    shop: Shop, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    order = shop.buy(shop.buyer, django_capture_on_commit_callbacks)
    for _ in range(3):
        download(shop, version.pk)
    owner = seller_client(client_for, shop, shop.seller)

    found = call(owner, "get", f"{API}/products/{shop.product.pk}/stats").json()
    assert (found["total"], found["unique_buyers"]) == (3, 1)
    assert [(row["number"], row["downloads"]) for row in found["per_version"]] == [(1, 3)]
    assert len(found["per_day"]) == 30
    assert found["per_day"][-1] == {"day": "2026-12-07", "downloads": 3}

    page = call(owner, "get", f"{API}/products/{shop.product.pk}/downloads?limit=2").json()
    assert len(page["rows"]) == 2 and page["next_before"] is not None
    row = page["rows"][0]
    assert (row["buyer_email"], row["ip"], row["user_agent"], row["version_number"]) == (
        "amara@pdf-press.example",
        "203.0.113.9",
        "Mozilla/5.0 test",
        1,
    )
    assert row["order_id"] == order.pk
    older = call(
        owner,
        "get",
        f"{API}/products/{shop.product.pk}/downloads?limit=2&before={page['next_before']}",
    ).json()
    assert len(older["rows"]) == 1 and older["next_before"] is None

    rival = seller_client(client_for, shop, shop.other_seller)
    assert call(rival, "get", f"{API}/products/{shop.product.pk}/stats").status_code == 404
    assert call(rival, "get", f"{API}/products/{shop.product.pk}/downloads").status_code == 404


def test_the_leak_tool_names_the_buyer_only_to_the_products_seller(
    shop: Shop, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    shop.upload(handbook_pdf())
    order = shop.buy(shop.buyer, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        leaked = StampedCopy.objects.get().content.read()
    owner = seller_client(client_for, shop, shop.seller)

    found = owner.post(f"/api/v1{API}/leaks", {"file": SimpleUploadedFile("found.pdf", leaked)})
    assert found.status_code == 200, found.content
    assert found.json()["found"] is True
    assert (found.json()["order_id"], found.json()["buyer_email"]) == (
        order.pk,
        "amara@pdf-press.example",
    )
    clean = owner.post(f"/api/v1{API}/leaks", {"file": SimpleUploadedFile("a.pdf", handbook_pdf())})
    assert clean.json() == {
        "found": False,
        "message": "This PDF carries no Souk fingerprint.",
        "order_id": None,
        "buyer_email": None,
        "buyer_name": None,
        "file_title": None,
        "version_number": None,
        "stamped_at": None,
    }
    rival = seller_client(client_for, shop, shop.other_seller)
    theirs = rival.post(f"/api/v1{API}/leaks", {"file": SimpleUploadedFile("found.pdf", leaked)})
    assert theirs.json()["found"] is False and theirs.json()["buyer_email"] is None
    assert "not as a copy of one of your products" in theirs.json()["message"]


def test_teammates_without_the_permission_other_marketplaces_and_module_off(
    shop: Shop, client_for: Any, make_tenant: Any
) -> None:
    files = f"{API}/products/{shop.product.pk}/files"
    helper = make_user(shop.tenant, "helper@pdf-press.example", role=Role.SELLER)
    with schema_context(shop.tenant.schema_name):
        TeamMember.objects.create(seller=shop.seller, user=helper, permissions=["process_orders"])
    teammate = signed_in(client_for, shop.tenant, helper)
    assert call(teammate, "get", files).status_code in (403, 404)
    assert call(teammate, "post", files, {"title": "Sneaky"}).status_code in (403, 404)
    editor = make_user(shop.tenant, "editor@pdf-press.example", role=Role.SELLER)
    with schema_context(shop.tenant.schema_name):
        TeamMember.objects.create(seller=shop.seller, user=editor, permissions=["manage_products"])
    allowed = signed_in(client_for, shop.tenant, editor)
    assert call(allowed, "post", files, {"title": "Extras"}).status_code == 201

    use_public_schema()
    elsewhere = Shop(make_tenant, "other-press")
    stranger = seller_client(client_for, elsewhere, elsewhere.seller)
    missing = max(shop.product.pk, elsewhere.product.pk) + 1
    assert call(stranger, "get", f"{API}/products/{missing}/files").status_code == 404
    assert upload(stranger, shop.file.pk + 100, handbook_pdf(), "x.pdf", "").status_code == 404

    owner = seller_client(client_for, shop, shop.seller)
    set_module_enabled(tenant=shop.tenant, key="digital", is_enabled=False)
    assert call(owner, "get", files).status_code == 404
    assert call(owner, "post", files, {"title": "Off"}).status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not DigitalFile.objects.filter(title="Off").exists()
