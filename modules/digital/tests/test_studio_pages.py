"""The seller's digital goods in the studio: the product list, a product's terms form
(errors beside the field, the typing kept), files with their versions (a new version over
htmx comes back as the file's card, a lying file is refused beside the field), download
stats and the log, and "Who leaked this?" naming the buyer only to the product's seller.
Another seller's product or file is 404, a teammate without ``manage_products`` is refused,
another marketplace and a marketplace with the module off see nothing."""

from __future__ import annotations

import io
import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from core.sellers.models import Seller, TeamMember
from modules.digital.models import DigitalProduct, Entitlement, FileVersion, Preview, StampedCopy
from modules.digital.services import downloads, previews, versions
from modules.digital.tests.helpers import Shop, handbook_pdf
from modules.digital.tests.test_previews import photo, upload_now
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import make_user, sign_in

STUDIO = "/studio/digital"
PRODUCT_PAGE_QUERIES = 18  # 16, and the previews section's previews and file statuses


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


def png(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def cards(html: str) -> list[int]:
    """The preview cards' ids, in the order the section shows them."""
    return [int(found) for found in re.findall(r'data-preview="(\d+)"', html)]


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
    image = photo(40, 40)
    with schema_context(shop.tenant.schema_name):
        mine = previews.add_preview(
            seller_id=shop.seller.pk,
            product_id=shop.product.pk,
            name="cover.png",
            stream=io.BytesIO(image),
            size=len(image),
        )
    assert rival.get(f"{page}previews/").status_code == 404
    assert rival.post(f"{page}previews/add/", {"file": png("x.png", image)}).status_code == 404
    on_mine = f"{STUDIO}/previews/{mine.pk}"
    assert rival.post(f"{on_mine}/replace/", {"file": png("x.png", image)}).status_code == 404
    assert rival.post(f"{on_mine}/move/", {"direction": "earlier"}).status_code == 404
    assert rival.post(f"{on_mine}/remove/", HTTP_HX_REQUEST="true").status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert Preview.objects.get().key == mine.key

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
    assert stranger.post(f"{STUDIO}/previews/{mine.pk}/remove/").status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert Preview.objects.filter(pk=mine.pk).exists()

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


def test_a_seller_manages_previews_in_the_studio_and_sees_failures(
    shop: Shop, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    upload_now(shop, capture, handbook_pdf(2))
    with schema_context(shop.tenant.schema_name):
        broken_file = versions.add_file(product=shop.terms, title="Broken book")
    corrupt = b"%PDF-1.7\n" + b"\x00 not really a pdf " * 50
    upload_now(shop, capture, corrupt, "broken.pdf", broken_file.pk)
    owner = seller_client(client_for, shop, shop.seller)
    page = f"{STUDIO}/products/{shop.product.pk}/"

    home = text(owner.get(f"{STUDIO}/"))
    assert 'data-failed-previews="1"' in home and "1 preview could not be made" in home
    shown = text(owner.get(page))
    assert 'id="dg-previews"' in shown and len(cards(shown)) == 2
    assert f'data-preview-status="{broken_file.pk}" data-status="failed"' in shown
    assert "The PDF could not be read" in shown
    assert "upload it again as a new version" in shown  # what to do about it
    assert f'data-preview-status="{shop.file.pk}" data-status="ready"' in shown
    first, second = cards(shown)

    lying = {"file": png("cover.png", b"MZ\x90\x00 a program")}
    refused = owner.post(f"{page}previews/add/", lying, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200  # htmx swaps only successful responses
    assert 'id="dg-add-preview-error"' in text(refused) and "<html" not in text(refused)
    lying = {"file": png("cover.png", b"MZ\x90\x00 a program")}
    plain = owner.post(f"{page}previews/add/", lying)
    assert plain.status_code == 422 and 'id="dg-add-preview-error"' in text(plain)
    assert 'id="dg-licence-text"' in text(plain)  # the whole page, the terms form with it

    added = owner.post(
        f"{page}previews/add/", {"file": png("cover.png", photo(300, 400))}, HTTP_HX_REQUEST="true"
    )
    section = text(added)
    assert added.status_code == 200 and "Preview added" in section
    *_, cover = cards(section)
    assert cards(section) == [first, second, cover] and "Your own" in section

    missing = owner.post(f"{STUDIO}/previews/{first}/replace/", {}, HTTP_HX_REQUEST="true")
    assert f'id="dg-replace-{first}-error"' in text(missing)
    replaced = owner.post(
        f"{STUDIO}/previews/{first}/replace/",
        {"file": png("page.png", photo(100, 100))},
        HTTP_HX_REQUEST="true",
    )
    assert replaced.status_code == 200 and "Preview replaced" in text(replaced)
    with schema_context(shop.tenant.schema_name):
        assert Preview.objects.get(pk=first).is_custom

    moved = owner.post(
        f"{STUDIO}/previews/{cover}/move/", {"direction": "earlier"}, HTTP_HX_REQUEST="true"
    )
    assert cards(text(moved)) == [first, cover, second]
    moved = owner.post(f"{STUDIO}/previews/{first}/move/", {"direction": "later"})
    assert (moved.status_code, moved["Location"]) == (302, f"{page}#previews")

    with capture(execute=True):
        removed = owner.post(f"{STUDIO}/previews/{second}/remove/", HTTP_HX_REQUEST="true")
    assert cards(text(removed)) == [cover, first] and "Preview removed" in text(removed)
    assert owner.post(f"{STUDIO}/previews/{second}/remove/").status_code == 404

    # The section waits for a new version's preview: 204 (htmx leaves it) until it is made.
    assert owner.get(f"{page}previews/?waiting=1").status_code == 200
    published = owner.post(
        f"{STUDIO}/files/{shop.file.pk}/versions/",
        {"file": png("book.pdf", handbook_pdf(1))},
        HTTP_HX_REQUEST="true",
    )
    assert published["HX-Trigger"] == "dg-version-published"  # the section reloads itself
    waiting = owner.get(f"{page}previews/")
    assert 'data-status="pending"' in text(waiting) and "every 3s" in text(waiting)
    assert owner.get(f"{page}previews/?waiting=1").status_code == 204
    with schema_context(shop.tenant.schema_name):
        latest = FileVersion.objects.filter(file=shop.file).first()
        assert latest is not None and latest.number == 2
        previews.make_previews(version_id=latest.pk)
    done = owner.get(f"{page}previews/?waiting=1")
    assert done.status_code == 200 and "every 3s" not in text(done)
