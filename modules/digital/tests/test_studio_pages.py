"""The seller's digital goods in the studio: the product list, a product's terms form
(errors beside the field, the typing kept), files with their versions (a new version over
htmx comes back as the file's card, a lying file is refused beside the field), download
stats and the log, and "Who leaked this?" naming the buyer only to the product's seller.
Another seller's product or file is 404, a teammate without ``manage_products`` is refused,
another marketplace and a marketplace with the module off see nothing."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from core.sellers.models import Seller, TeamMember
from modules.digital.models import DigitalProduct, Entitlement, FileVersion, StampedCopy
from modules.digital.services import downloads
from modules.digital.tests.helpers import Shop, handbook_pdf
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import make_user, sign_in

STUDIO = "/studio/digital"
PRODUCT_PAGE_QUERIES = 16


def signed_in(client_for: Any, tenant: Any, user: User) -> Client:
    client = client_for(tenant)
    assert sign_in(client, user.email).status_code == 200
    return client


def seller_client(client_for: Any, shop: Shop, seller: Seller) -> Client:
    with schema_context(shop.tenant.schema_name):
        owner = User.objects.get(pk=seller.owner_id)
    return signed_in(client_for, shop.tenant, owner)


def text(response: Any) -> str:
    return str(response.content.decode())


def test_a_seller_sets_terms_and_publishes_versions_in_the_studio(
    shop: Shop, client_for: Any
) -> None:
    owner = seller_client(client_for, shop, shop.seller)
    home = owner.get(f"{STUDIO}/")
    assert home.status_code == 200
    page = f"{STUDIO}/products/{shop.product.pk}/"
    assert f'href="{page}"' in text(home) and "Freelancer&#x27;s Handbook" in text(home)

    shown = owner.get(page)
    assert shown.status_code == 200 and "The handbook (PDF)" in text(shown)

    form = {"licence_kind": "commercial", "licence_text": "Client work OK", "download_limit": "0",
            "update_months": "12", "stamp_corner": "top-left", "stamp_pdfs": "on"}  # fmt: skip
    refused = owner.post(f"{page}terms/", form)
    assert refused.status_code == 422
    assert 'id="dg-download-limit-error"' in text(refused)
    assert "Client work OK" in text(refused)  # the typing is kept
    saved = owner.post(f"{page}terms/", {**form, "download_limit": "4"})
    assert (saved.status_code, saved["Location"]) == (302, page)
    with schema_context(shop.tenant.schema_name):
        terms = DigitalProduct.objects.get(pk=shop.terms.pk)
        assert (terms.licence_kind, terms.download_limit, terms.stamp_corner) == (
            "commercial",
            4,
            "top-left",
        )
        assert terms.notify_updates is False  # an unticked box

    action = f"{STUDIO}/files/{shop.file.pk}/versions/"
    lying = owner.post(
        action,
        {
            "file": SimpleUploadedFile("book.pdf", b"MZ\x90\x00 not a pdf at all"),
            "changelog": "oops",
        },
        HTTP_HX_REQUEST="true",
    )
    assert lying.status_code == 200  # htmx swaps only successful responses
    assert f'id="dg-upload-{shop.file.pk}-error"' in text(lying)
    assert "oops" in text(lying)
    plain = owner.post(action, {"file": SimpleUploadedFile("b.pdf", b"MZ\x90\x00 nope")})
    assert plain.status_code == 422 and f'id="dg-upload-{shop.file.pk}-error"' in text(plain)
    for changelog in ("First edition", "Chapter 3 added"):
        published = owner.post(
            action,
            {"file": SimpleUploadedFile("book.pdf", handbook_pdf()), "changelog": changelog},
            HTTP_HX_REQUEST="true",
        )
        assert published.status_code == 200
    card = text(published)
    assert f'id="dg-file-{shop.file.pk}"' in card and "<html" not in card
    assert 'data-version="2"' in card and "Chapter 3 added" in card
    with schema_context(shop.tenant.schema_name):
        assert list(FileVersion.objects.values_list("number", flat=True)) == [2, 1]

    link = owner.post(f"{page}files/", {"title": "Video", "external_url": "ftp://x.example"})
    assert link.status_code == 422 and 'id="dg-add-url-error"' in text(link)
    assert (
        owner.post(
            f"{page}files/", {"title": "Video", "external_url": "https://v.example/1"}
        ).status_code
        == 302
    )
    assert "https://v.example/1" in text(owner.get(page))


def test_stats_the_log_and_the_leak_tool(
    shop: Shop, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    version = shop.upload(handbook_pdf(2))
    order = shop.buy(shop.buyer, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        entitlement = Entitlement.objects.get(buyer=shop.buyer)
        for _ in range(2):
            downloads.authorise(
                buyer_id=shop.buyer.pk,
                entitlement_id=entitlement.pk,
                version_id=version.pk,
                ip="203.0.113.9",
                user_agent="Mozilla/5.0 test",
            )
        leaked = StampedCopy.objects.get().content.read()
    owner = seller_client(client_for, shop, shop.seller)

    page = text(owner.get(f"{STUDIO}/products/{shop.product.pk}/"))
    assert 'data-figure="downloads">2<' in page and 'data-figure="buyers">1<' in page
    assert page.count("amara@pdf-press.example") == 2 and "203.0.113.9" in page
    assert 'id="digital-downloads"' in page or "digital-downloads" in page

    found = owner.post(f"{STUDIO}/leaks/", {"file": SimpleUploadedFile("x.pdf", leaked)})
    assert found.status_code == 200
    assert f'data-leak-order="{order.pk}"' in text(found)
    assert "amara@pdf-press.example" in text(found)
    clean = owner.post(f"{STUDIO}/leaks/", {"file": SimpleUploadedFile("x.pdf", handbook_pdf())})
    assert "no Souk fingerprint" in text(clean)

    rival = seller_client(client_for, shop, shop.other_seller)
    theirs = text(rival.post(f"{STUDIO}/leaks/", {"file": SimpleUploadedFile("x.pdf", leaked)}))
    assert "not as a copy of one of your products" in theirs
    assert "amara@pdf-press.example" not in theirs


def test_other_sellers_teammates_other_marketplaces_and_module_off(
    shop: Shop, client_for: Any, make_tenant: Any
) -> None:
    page = f"{STUDIO}/products/{shop.product.pk}/"
    rival = seller_client(client_for, shop, shop.other_seller)
    assert rival.get(page).status_code == 404
    assert rival.post(f"{page}terms/", {"licence_kind": "personal"}).status_code == 404
    assert rival.post(f"{page}files/", {"title": "Sneaky"}).status_code == 404
    upload = {"file": SimpleUploadedFile("b.pdf", handbook_pdf()), "changelog": ""}
    assert rival.post(f"{STUDIO}/files/{shop.file.pk}/versions/", upload).status_code == 404
    assert rival.post(f"{STUDIO}/files/{shop.file.pk}/remove/").status_code == 404
    assert f'href="{page}"' not in text(rival.get(f"{STUDIO}/"))

    helper = make_user(shop.tenant, "helper@pdf-press.example", role=Role.SELLER)
    with schema_context(shop.tenant.schema_name):
        TeamMember.objects.create(seller=shop.seller, user=helper, permissions=["process_orders"])
    teammate = signed_in(client_for, shop.tenant, helper)
    assert teammate.get(page).status_code in (403, 404)
    assert teammate.post(f"{STUDIO}/files/{shop.file.pk}/remove/").status_code in (403, 404)

    use_public_schema()
    elsewhere = Shop(make_tenant, "other-press")
    stranger = seller_client(client_for, elsewhere, elsewhere.seller)
    missing = max(shop.product.pk, elsewhere.product.pk) + 1
    assert stranger.get(f"{STUDIO}/products/{missing}/").status_code == 404

    owner = seller_client(client_for, shop, shop.seller)
    set_module_enabled(tenant=shop.tenant, key="digital", is_enabled=False)
    assert owner.get(page).status_code == 404
    assert owner.post(f"{STUDIO}/files/{shop.file.pk}/remove/").status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert not shop.file.__class__.objects.filter(removed_at__isnull=False).exists()


def test_the_product_page_queries_do_not_grow_with_files_and_versions(
    shop: Shop, client_for: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from modules.digital.services import versions

    owner = seller_client(client_for, shop, shop.seller)
    page = f"{STUDIO}/products/{shop.product.pk}/"
    shop.upload(handbook_pdf())
    owner.get(page)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert owner.get(page).status_code == 200
    with schema_context(shop.tenant.schema_name):
        for index in range(4):
            extra = versions.add_file(product=shop.terms, title=f"Extra {index}")
            for _ in range(2):
                content = handbook_pdf()
                versions.upload_version(
                    file_id=extra.pk,
                    seller_id=shop.seller.pk,
                    name="extra.pdf",
                    stream=io.BytesIO(content),
                    size=len(content),
                )
    with CaptureQueriesContext(connection) as many:
        assert owner.get(page).status_code == 200
    assert len(many) == len(few) <= PRODUCT_PAGE_QUERIES, [q["sql"] for q in many.captured_queries]
