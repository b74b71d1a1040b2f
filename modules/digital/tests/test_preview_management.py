"""The seller manages a product's previews, and sees how each file was previewed: the job
records ready for a PDF, none for a zip, failed with a short reason (no traceback, no path
of ours) for a corrupt PDF, a password-protected one, a truncated video or a stored file
gone; through the seller API
the seller lists, adds their own (judged by its content: a lying name is refused with a
field error), replaces, reorders and removes previews, and a new version's pages land where
the seller put the old ones. Another seller gets 404 and changes nothing; another
marketplace sees nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.sellers.models import Seller
from modules.digital.models import FileVersion, Preview
from modules.digital.services import previews, versions
from modules.digital.tests.helpers import Shop, handbook_pdf
from modules.digital.tests.test_previews import clip_source, photo, previews_of, upload_now
from tenants.schemas_sql import use_public_schema
from tests.accounts_helpers import call, sign_in
from tests.fleet_helpers import host_of

API = "/api/v1/digital/seller"


def seller_client(client_for: Any, shop: Shop, seller: Seller) -> Client:
    with schema_context(shop.tenant.schema_name):
        owner = User.objects.get(pk=seller.owner_id)
    client = client_for(shop.tenant)
    assert sign_in(client, owner.email).status_code == 200
    return client


def version_outcome(shop: Shop, version_id: int) -> tuple[str, str]:
    with schema_context(shop.tenant.schema_name):
        row = FileVersion.objects.get(pk=version_id)
        return row.preview_status, row.preview_error


def new_file(shop: Shop, title: str) -> int:
    with schema_context(shop.tenant.schema_name):
        return versions.add_file(product=shop.terms, title=title).pk


def a_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("templates/invoice.txt", "Invoice template\n" * 50)
    return out.getvalue()


def test_the_job_records_ready_none_or_failed_with_a_short_reason(
    shop: Shop, django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    capture = django_capture_on_commit_callbacks
    pdf = upload_now(shop, capture, handbook_pdf(2))
    assert version_outcome(shop, pdf.pk) == ("ready", "")

    templates = upload_now(shop, capture, a_zip(), "templates.zip", new_file(shop, "Templates"))
    assert version_outcome(shop, templates.pk) == ("none", "")

    corrupt = b"%PDF-1.7\n" + b"\x00 not really a pdf " * 50
    broken = upload_now(shop, capture, corrupt, "broken.pdf", new_file(shop, "Broken book"))
    status, reason = version_outcome(shop, broken.pk)
    assert (status, reason) == (
        "failed",
        "The PDF could not be read: it looks damaged or is not really a PDF.",
    )
    locked = handbook_pdf(1, password="secret")
    sealed = upload_now(shop, capture, locked, "sealed.pdf", new_file(shop, "Sealed"))
    assert version_outcome(shop, sealed.pk) == (
        "failed",
        "The PDF asks for a password to open, so its pages cannot be shown.",
    )

    film = clip_source(tmp_path, seconds=3)
    cut = upload_now(shop, capture, film[:3000], "film.mp4", new_file(shop, "Film"))
    status, reason = version_outcome(shop, cut.pk)
    assert status == "failed"
    assert reason.startswith("The file could not be cut into a preview: ")
    for leak in ("Traceback", "/tmp", "souk-media", ".mp4:"):
        assert leak not in reason

    # Only the PDF made previews; the upload of every file stands.
    assert [p.source_id for p in previews_of(shop)] == [pdf.pk, pdf.pk]
    with schema_context(shop.tenant.schema_name):
        assert FileVersion.objects.count() == 5


def test_an_unexpected_error_is_recorded_without_its_traceback(shop: Shop) -> None:
    version = shop.upload(handbook_pdf(1))  # its job not run yet
    assert version_outcome(shop, version.pk) == ("pending", "")
    with schema_context(shop.tenant.schema_name):
        version.content.storage.delete(version.content.name or "")  # the stored file lost
        assert previews.make_previews(version_id=version.pk) == []
    assert version_outcome(shop, version.pk) == ("failed", previews.UNEXPECTED_REASON)


def test_a_seller_adds_replaces_reorders_and_removes_previews_through_the_api(
    shop: Shop, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    version = upload_now(shop, django_capture_on_commit_callbacks, handbook_pdf(3))
    owner = seller_client(client_for, shop, shop.seller)
    listing = f"{API}/products/{shop.product.pk}/previews"

    listed = owner.get(listing).json()
    assert [(p["kind"], p["is_custom"]) for p in listed] == [("image", False)] * 3
    assert listed[0]["source"] == {
        "version_id": version.pk,
        "version_number": 1,
        "file_id": shop.file.pk,
        "file_title": "The handbook (PDF)",
    }
    assert listed[0]["url"].endswith(f"/digital/previews/{previews_of(shop)[0].key}/")
    assert (listed[0]["content_type"], listed[0]["width"]) == ("image/webp", 900)
    status = owner.get(f"{listing}/status").json()
    assert status == [
        {
            "file_id": shop.file.pk,
            "file_title": "The handbook (PDF)",
            "version_id": version.pk,
            "version_number": 1,
            "status": "ready",
            "status_label": "Made",
            "error": "",
        }
    ]

    cover = photo(300, 400)
    added = owner.post(listing, {"file": SimpleUploadedFile("cover.png", cover)})
    assert added.status_code == 201, added.content
    body = added.json()
    assert (body["kind"], body["is_custom"], body["source"]) == ("image", True, None)
    assert (body["width"], body["height"], body["content_type"]) == (300, 400, "image/png")
    assert body["position"] > max(p["position"] for p in listed)
    served = Client(HTTP_HOST=host_of(shop.tenant)).get(body["url"])
    assert served.status_code == 200 and served.getvalue() == cover

    first = listed[0]["id"]
    replaced = owner.post(
        f"{API}/previews/{first}/replace", {"file": SimpleUploadedFile("p1.png", photo(120, 90))}
    )
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["is_custom"] and replaced.json()["position"] == listed[0]["position"]
    assert replaced.json()["url"] != listed[0]["url"]  # a new address: caches hold the old one

    order = [body["id"], *(p["id"] for p in reversed(listed))]
    ordering = f"/digital/seller/products/{shop.product.pk}/previews/order"
    reordered = call(owner, "put", ordering, {"preview_ids": order})
    assert reordered.status_code == 200
    assert [p["id"] for p in reordered.json()] == order
    assert [p["id"] for p in owner.get(listing).json()] == order
    partial = call(owner, "put", ordering, {"preview_ids": order[1:]})
    assert partial.status_code == 422
    assert partial.json()["error"]["details"]["field"] == "preview_ids"

    gone = previews_of(shop)[-1]
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.delete(f"{API}/previews/{gone.pk}").status_code == 204
    assert gone.pk not in [p["id"] for p in owner.get(listing).json()]
    with schema_context(shop.tenant.schema_name):
        assert not gone.content.storage.exists(gone.content.name or "")
    assert owner.delete(f"{API}/previews/{gone.pk}").status_code == 404


def test_an_upload_that_lies_about_what_it_is_is_refused_beside_the_field(
    shop: Shop, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    upload_now(shop, django_capture_on_commit_callbacks, handbook_pdf(1))
    (page,) = previews_of(shop)
    owner = seller_client(client_for, shop, shop.seller)
    listing = f"{API}/products/{shop.product.pk}/previews"
    lies = {
        "cover.png": b"MZ\x90\x00 a program, not a picture",  # refused by core.uploads
        "trailer.mp4": handbook_pdf(1),  # a real PDF: sold, never shown as a preview
        "empty.png": b"",
    }
    for name, content in lies.items():
        for path in (listing, f"{API}/previews/{page.pk}/replace"):
            refused = owner.post(path, {"file": SimpleUploadedFile(name, content)})
            assert refused.status_code == 422, (name, path, refused.content)
            error = refused.json()["error"]
            assert error["details"]["field"] == "file" and error["message"], (name, error)
    missing = owner.post(listing, {})
    assert missing.status_code == 422
    assert [(p.pk, p.key, p.is_custom) for p in previews_of(shop)] == [(page.pk, page.key, False)]


def test_a_new_version_puts_its_pages_where_the_seller_placed_the_old_ones(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    upload_now(shop, django_capture_on_commit_callbacks, handbook_pdf(2))
    pages = [p.pk for p in previews_of(shop)]
    content = photo(200, 200)
    with schema_context(shop.tenant.schema_name):
        cover = previews.add_preview(
            seller_id=shop.seller.pk,
            product_id=shop.product.pk,
            name="cover.png",
            stream=io.BytesIO(content),
            size=len(content),
        )
        moved = previews.move_preview(seller_id=shop.seller.pk, preview_id=cover.pk, by=-5)
        assert moved.pk == cover.pk
    assert [p.pk for p in previews_of(shop)] == [cover.pk, *pages]

    upload_now(shop, django_capture_on_commit_callbacks, handbook_pdf(3))

    after = previews_of(shop)
    assert after[0].pk == cover.pk
    assert [p.is_custom for p in after] == [True, False, False, False]


def test_another_seller_gets_404_and_changes_nothing(
    shop: Shop, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    upload_now(shop, django_capture_on_commit_callbacks, handbook_pdf(2))
    before = [(p.pk, p.key, p.position) for p in previews_of(shop)]
    rival = seller_client(client_for, shop, shop.other_seller)
    listing = f"{API}/products/{shop.product.pk}/previews"
    target = before[0][0]
    image = photo(50, 50)
    assert rival.get(listing).status_code == 404
    assert rival.get(f"{listing}/status").status_code == 404
    assert rival.post(listing, {"file": SimpleUploadedFile("x.png", image)}).status_code == 404
    replace = f"{API}/previews/{target}/replace"
    assert rival.post(replace, {"file": SimpleUploadedFile("x.png", image)}).status_code == 404
    assert rival.delete(f"{API}/previews/{target}").status_code == 404
    order = {"preview_ids": [p[0] for p in reversed(before)]}
    path = f"/digital/seller/products/{shop.product.pk}/previews/order"
    assert call(rival, "put", path, order).status_code == 404
    assert [(p.pk, p.key, p.position) for p in previews_of(shop)] == before


def test_another_marketplace_sees_none_of_the_previews(
    shop: Shop, client_for: Any, make_tenant: Any, django_capture_on_commit_callbacks: Any
) -> None:
    upload_now(shop, django_capture_on_commit_callbacks, handbook_pdf(1))
    (page,) = previews_of(shop)
    use_public_schema()
    elsewhere = Shop(make_tenant, "other-press")
    stranger = seller_client(client_for, elsewhere, elsewhere.seller)
    with schema_context(elsewhere.tenant.schema_name):
        assert not Preview.objects.filter(pk=page.pk, key=page.key).exists()
    # The same id there is the stranger's own product (no previews) or nothing at all.
    listed = stranger.get(f"{API}/products/{shop.product.pk}/previews")
    if shop.product.pk == elsewhere.product.pk:
        assert (listed.status_code, listed.json()) == (200, [])
    else:
        assert listed.status_code == 404
    assert stranger.delete(f"{API}/previews/{page.pk}").status_code == 404
    assert [p.pk for p in previews_of(shop)] == [page.pk]
