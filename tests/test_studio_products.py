"""The studio's products (``/studio/products/``): the wizard (details -> pictures -> the
licensing module's step -> preview -> publish) writes through the catalogue and licensing
services; bad input answers field errors and writes nothing; bulk actions and CSV import touch
only the seller's own products and report each row; a teammate without manage_products gets
403, another seller's product 404, another marketplace nothing; the list's queries are pinned."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context
from PIL import Image

from core.catalog.models import Product, ProductImage, ProductPrice, ProductStatus
from core.sellers.models import Seller, TeamMember
from modules.licensing.models import Policy, SoftwareDetails
from tenants.models import Tenant
from tests.accounts_helpers import PASSWORD, make_user
from tests.catalog_helpers import make_category, make_product, make_seller

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return str(response.content.decode())


def signed_in(client: Client, email: str) -> Client:
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, text(response)
    return client


def picture(width: int = 800, height: int = 600) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, "JPEG")
    return SimpleUploadedFile("shot.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def market(make_tenant: Callable[..., Any]) -> Tenant:
    """A marketplace with the licensing module on (software is sold by it)."""
    tenant: Tenant = make_tenant("licence-shop", modules=["licensing"]).tenant
    return tenant


@pytest.fixture
def seller(market: Tenant) -> Seller:
    return make_seller(market, "acme", "Acme Tools")


@pytest.fixture
def owner(client_for: Callable[[Tenant], Client], market: Tenant, seller: Seller) -> Client:
    return signed_in(client_for(market), "acme@example.com")


def _count(market: Tenant, model: Any) -> int:
    with schema_context(market.schema_name):
        return int(model.objects.count())


DETAILS = {
    "product_type": "software",
    "name": "Invoice Robot",
    "summary": "Turns e-mails into invoices.",
    "description": "Reads your inbox.\nFiles invoices.",
    "price_USD": "49.00",
    "category": "",
    "tags": "invoices, Automation",
}

LICENCES = {
    "license_type": "one_time",
    "trial_days": "14",
    "policy_name": "Team",
    "max_activations": "3",
    "is_floating": "on",
    "duration_days": "365",
    "heartbeat_interval_seconds": "3600",
    "on_missed_heartbeat": "deactivate",
    "entitlements": "pro, export:pdf",
    "provisioning": "manual",
}


def test_the_wizard_creates_a_software_product_with_a_picture_and_a_licence_policy(
    owner: Client, market: Tenant
) -> None:
    assert "Create your first product" in text(owner.get("/studio/products/"))
    response = owner.post("/studio/products/new/", DETAILS)
    assert response.status_code == 302
    with schema_context(market.schema_name):
        product = Product.objects.get()
        assert (product.name, product.status, product.tags) == (
            "Invoice Robot",
            ProductStatus.DRAFT,
            ["automation", "invoices"],
        )
        assert list(ProductPrice.objects.values_list("currency", "amount")) == [("USD", 4900)]
    assert response["Location"] == f"/studio/products/{product.pk}/images/"

    upload = owner.post(
        f"/studio/products/{product.pk}/images/",
        {"image": picture(), "alt": "The robot at work"},
        HTTP_HX_REQUEST="true",
    )
    assert upload.status_code == 200
    assert 'id="images-panel"' in text(upload) and "srcset=" in text(upload)
    with schema_context(market.schema_name):
        image = ProductImage.objects.get()
        assert (image.alt, image.width, image.height) == ("The robot at work", 800, 600)

    page = owner.get(f"/studio/products/{product.pk}/details/")
    assert page.status_code == 200 and "Machines per licence" in text(page)
    saved = owner.post(f"/studio/products/{product.pk}/details/", LICENCES)
    assert saved.status_code == 302
    assert saved["Location"] == f"/studio/products/{product.pk}/preview/"
    with schema_context(market.schema_name):
        details = SoftwareDetails.objects.get(product=product)
        policy = Policy.objects.get(product=product)
        assert (details.license_type, details.trial_days, details.default_policy_id) == (
            "one_time",
            14,
            policy.pk,
        )
        assert (
            policy.name,
            policy.max_activations,
            policy.is_floating,
            policy.duration_days,
            policy.entitlements,
        ) == ("Team", 3, True, 365, ["pro", "export:pdf"])

    preview = owner.get(f"/studio/products/{product.pk}/preview/")
    assert preview.status_code == 200
    body = text(preview)
    assert "Invoice Robot" in body and "49.00 USD" in body and "Publish" in body
    assert image.src in body

    published = owner.post(f"/studio/products/{product.pk}/publish/")
    assert published.status_code == 302 and published["Location"] == "/studio/products/"
    with schema_context(market.schema_name):
        product.refresh_from_db()
        assert product.status == ProductStatus.IN_REVIEW
    listing = text(owner.get("/studio/products/"))
    assert "In review" in listing and "Waiting for the marketplace" in listing


def test_editing_keeps_pictures_and_a_second_licence_save_updates_the_same_policy(
    owner: Client, market: Tenant, seller: Seller
) -> None:
    product = make_product(market, seller, "Invoice Robot", publish=False)
    owner.post(f"/studio/products/{product.pk}/images/", {"image": picture()})
    owner.post(f"/studio/products/{product.pk}/details/", LICENCES)
    owner.post(f"/studio/products/{product.pk}/details/", {**LICENCES, "max_activations": "5"})
    edited = owner.post(
        f"/studio/products/{product.pk}/", {**DETAILS, "name": "Invoice Robot 2", "price_USD": "59"}
    )
    assert edited.status_code == 302
    assert edited["Location"] == f"/studio/products/{product.pk}/images/"
    with schema_context(market.schema_name):
        assert Product.objects.get().name == "Invoice Robot 2"
        assert ProductImage.objects.count() == 1
        assert list(Policy.objects.values_list("max_activations", flat=True)) == [5]


def test_bad_details_answer_field_errors_and_write_nothing(owner: Client, market: Tenant) -> None:
    response = owner.post(
        "/studio/products/new/", {**DETAILS, "name": "", "price_USD": "12.345", "tags": "Bad Tag!"}
    )
    assert response.status_code == 422
    body = text(response)
    assert "This field is required." in body
    assert "Give an amount in USD" in body
    assert _count(market, Product) == 0
    # A rule only the service knows (tags) lands beside its field, and still writes nothing.
    refused = owner.post("/studio/products/new/", {**DETAILS, "tags": "Bad Tag!"})
    assert refused.status_code == 422
    assert "At most 20 tags of lowercase letters" in text(refused)
    assert _count(market, Product) == 0


def test_a_bad_licence_step_answers_field_errors_and_writes_nothing(
    owner: Client, market: Tenant, seller: Seller
) -> None:
    product = make_product(market, seller, "Invoice Robot", publish=False)
    response = owner.post(
        f"/studio/products/{product.pk}/details/",
        {**LICENCES, "provisioning": "automatic", "provisioning_url": ""},
    )
    assert response.status_code == 422
    assert "Automatic provisioning needs the endpoint to call." in text(response)
    bad_policy = owner.post(
        f"/studio/products/{product.pk}/details/", {**LICENCES, "entitlements": "no spaces allowed"}
    )
    assert bad_policy.status_code == 422 and "Entitlement codes are" in text(bad_policy)
    # The details record of the first (valid) half was rolled back with the refused policy.
    assert _count(market, SoftwareDetails) == 0
    assert _count(market, Policy) == 0


def test_a_picture_upload_is_refused_by_its_content(
    owner: Client, market: Tenant, seller: Seller
) -> None:
    product = make_product(market, seller, "Invoice Robot", publish=False)
    fake = SimpleUploadedFile("shot.jpg", b"%PDF-1.7 pretending", content_type="image/jpeg")
    response = owner.post(f"/studio/products/{product.pk}/images/", {"image": fake})
    assert response.status_code == 422
    assert "This file is not a JPEG, PNG, WebP or GIF image." in text(response)
    assert _count(market, ProductImage) == 0


def test_pictures_move_up_and_down_and_are_removed_without_javascript(
    owner: Client, market: Tenant, seller: Seller
) -> None:
    product = make_product(market, seller, "Invoice Robot", publish=False)
    for _ in range(2):
        owner.post(f"/studio/products/{product.pk}/images/", {"image": picture()})
    with schema_context(market.schema_name):
        first, second = ProductImage.objects.values_list("pk", flat=True)
    base = f"/studio/products/{product.pk}/images/"
    assert owner.post(f"{base}{second}/up/").status_code == 302
    with schema_context(market.schema_name):
        assert list(ProductImage.objects.values_list("pk", flat=True)) == [second, first]
    owner.post(f"{base}order/", {"order": f"{first},{second}"})
    owner.post(f"{base}{first}/alt/", {"alt": "Front"})
    owner.post(f"{base}{second}/remove/")
    with schema_context(market.schema_name):
        assert list(ProductImage.objects.values_list("pk", "alt", "position")) == [
            (first, "Front", 0)
        ]


def test_a_teammate_without_manage_products_gets_403(
    client_for: Callable[[Tenant], Client], market: Tenant, seller: Seller
) -> None:
    product = make_product(market, seller, "Invoice Robot", publish=False)
    user = make_user(market, "packer@example.com")
    with schema_context(market.schema_name):
        TeamMember.objects.create(seller=seller, user=user, permissions=["process_orders"])
    client = signed_in(client_for(market), "packer@example.com")
    for path in [
        "/studio/products/",
        "/studio/products/new/",
        f"/studio/products/{product.pk}/",
        f"/studio/products/{product.pk}/images/",
        f"/studio/products/{product.pk}/preview/",
        "/studio/products/export.csv",
    ]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Products needs the team permission" in text(response)
    assert client.post(f"/studio/products/{product.pk}/publish/").status_code == 403
    with schema_context(market.schema_name):
        TeamMember.objects.filter(user=user).update(permissions=["manage_products"])
    assert client.get(f"/studio/products/{product.pk}/").status_code == 200


def test_another_sellers_product_is_not_found(
    owner: Client, market: Tenant, seller: Seller
) -> None:
    other = make_seller(market, "rival")
    theirs = make_product(market, other, "Rival Robot", publish=False)
    with schema_context(market.schema_name):
        assert ProductImage.objects.count() == 0
    for path in ["", "images/", "details/", "preview/"]:
        assert owner.get(f"/studio/products/{theirs.pk}/{path}").status_code == 404, path
    assert owner.post(f"/studio/products/{theirs.pk}/publish/").status_code == 404
    assert owner.post(f"/studio/products/{theirs.pk}/", DETAILS).status_code == 404
    assert "Rival Robot" not in text(owner.get("/studio/products/"))
    with schema_context(market.schema_name):
        theirs.refresh_from_db()
        assert (theirs.name, theirs.status) == ("Rival Robot", ProductStatus.DRAFT)


def test_another_marketplace_sees_none_of_the_products(
    tenant_b: Tenant,
    owner: Client,
    market: Tenant,
    seller: Seller,
    client_for: Callable[[Tenant], Client],
) -> None:
    product = make_product(market, seller, "Invoice Robot", publish=False)
    make_seller(tenant_b, "acme", "Acme Elsewhere")
    elsewhere = signed_in(client_for(tenant_b), "acme@example.com")
    assert "Invoice Robot" not in text(elsewhere.get("/studio/products/"))
    assert elsewhere.get(f"/studio/products/{product.pk}/").status_code == 404
    assert elsewhere.get("/studio/products/export.csv").content.count(b"\n") == 1


def test_bulk_actions_only_touch_the_sellers_own_products(
    owner: Client, market: Tenant, seller: Seller
) -> None:
    mine = make_product(market, seller, "Invoice Robot", publish=False, price=1000)
    also_mine = make_product(market, seller, "Mail Robot", publish=False, price=2000)
    theirs = make_product(market, make_seller(market, "rival"), "Rival Robot", publish=False)
    refused = owner.post(
        "/studio/products/bulk/", {"action": "publish", "product_ids": [mine.pk, theirs.pk]}
    )
    assert refused.status_code == 422
    assert f"Select a valid choice. {theirs.pk} is not one of the available choices." in text(
        refused
    )
    with schema_context(market.schema_name):
        assert set(Product.objects.values_list("status", flat=True)) == {ProductStatus.DRAFT}

    done = owner.post(
        "/studio/products/bulk/",
        {"action": "publish", "product_ids": [mine.pk, also_mine.pk]},
        HTTP_HX_REQUEST="true",
    )
    assert done.status_code == 200 and "Done for 2 products." in text(done)
    repriced = owner.post(
        "/studio/products/bulk/",
        {
            "action": "reprice",
            "reprice_mode": "percent",
            "change": "-10",
            "product_ids": [mine.pk, also_mine.pk],
        },
    )
    assert repriced.status_code == 302
    with schema_context(market.schema_name):
        assert dict(
            ProductPrice.objects.filter(variant__isnull=True).values_list("product_id", "amount")
        ) == {mine.pk: 900, also_mine.pk: 1800, theirs.pk: 1000}
        assert Product.objects.get(pk=theirs.pk).status == ProductStatus.DRAFT
        assert Product.objects.get(pk=mine.pk).status == ProductStatus.IN_REVIEW
    owner.post(
        "/studio/products/bulk/",
        {
            "action": "reprice",
            "reprice_mode": "set",
            "currency": "USD",
            "amount": "12.50",
            "product_ids": [mine.pk],
        },
    )
    archived = owner.post("/studio/products/bulk/", {"action": "archive", "product_ids": [mine.pk]})
    assert archived.status_code == 302
    with schema_context(market.schema_name):
        assert ProductPrice.objects.get(product=mine, variant__isnull=True).amount == 1250
        assert Product.objects.get(pk=mine.pk).status == ProductStatus.ARCHIVED


def test_a_bad_reprice_answers_a_field_error(owner: Client, market: Tenant, seller: Seller) -> None:
    mine = make_product(market, seller, "Invoice Robot", publish=False, price=1000)
    response = owner.post(
        "/studio/products/bulk/",
        {"action": "reprice", "reprice_mode": "percent", "change": "", "product_ids": [mine.pk]},
    )
    assert response.status_code == 422
    assert "Give a percentage, e.g. -10 or 5." in text(response)


def test_csv_import_creates_the_good_rows_and_reports_each_bad_one(
    owner: Client, market: Tenant, seller: Seller
) -> None:
    make_category(market, "Office")
    csv = (
        "slug,name,product_type,category,summary,tags,price_USD\n"
        "nope-missing,Ghost,software,,,,1.00\n"
        ",Invoice Robot,software,office,Files invoices,invoices,49.00\n"
        ",Broken Price,software,,,,abc\n"
    )
    upload = SimpleUploadedFile("products.csv", csv.encode(), content_type="text/csv")
    response = owner.post("/studio/products/import/", {"file": upload})
    assert response.status_code == 200
    body = text(response)
    assert "1 created, 0 updated, 2 rows with errors." in body
    rows = re.findall(
        r'<td class="num" data-label="Row">(\d+)</td><td data-label="Column">([^<]*)</td>', body
    )
    assert rows == [("2", "slug"), ("4", "price_USD")]
    with schema_context(market.schema_name):
        assert list(Product.objects.values_list("name", "category__slug")) == [
            ("Invoice Robot", "office")
        ]
    export = owner.get("/studio/products/export.csv")
    assert export["Content-Type"] == "text/csv"
    assert b"invoice-robot,Invoice Robot,software,office" in export.content


def test_the_list_filters_by_status_type_category_and_text(
    owner: Client, market: Tenant, seller: Seller
) -> None:
    office = make_category(market, "Office")
    make_product(market, seller, "Invoice Robot", category_slug=office.slug)
    make_product(market, seller, "Mail Robot", publish=False)

    def names(query: str) -> list[str]:
        return re.findall(
            r'/studio/products/\d+/">([^<]+)</a>', text(owner.get("/studio/products/?" + query))
        )

    assert sorted(names("")) == ["Invoice Robot", "Mail Robot"]
    assert names("status=published") == ["Invoice Robot"]
    assert names("category=office") == ["Invoice Robot"]
    assert names("q=mail") == ["Mail Robot"]
    assert sorted(names("product_type=software")) == ["Invoice Robot", "Mail Robot"]


def test_a_rejected_product_shows_the_reviewers_reason(
    owner: Client, market: Tenant, seller: Seller
) -> None:
    from core.catalog.services.moderation import reject_product
    from core.catalog.services.products import transition

    product = make_product(market, seller, "Invoice Robot", publish=False)
    with schema_context(market.schema_name):
        transition(product=product, action="publish")
        reject_product(product=product, reason="Add a screenshot of the app.")
    assert "Add a screenshot of the app." in text(owner.get("/studio/products/"))
    assert "Add a screenshot of the app." in text(owner.get(f"/studio/products/{product.pk}/"))


def test_the_list_takes_the_same_queries_however_many_products(
    owner: Client, market: Tenant, seller: Seller, django_assert_max_num_queries: Any
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.get("/studio/products/").status_code == 200
        return len(captured)

    make_product(market, seller, "Robot 1")
    queries()  # the first page of a session also loads what later pages find cached
    few = queries()
    for index in range(2, 12):
        make_product(market, seller, f"Robot {index}", publish=index % 2 == 0)
    assert queries() == few
    with django_assert_max_num_queries(12):
        owner.get("/studio/products/")


def test_the_details_step_unpublishes_and_archives(
    owner: Client, market: Tenant, seller: Seller
) -> None:
    product = make_product(market, seller, "Invoice Robot")
    page = text(owner.get(f"/studio/products/{product.pk}/"))
    assert "Unpublish (back to draft)" in page and "Archive" in page
    assert owner.post(f"/studio/products/{product.pk}/status/unpublish/").status_code == 302
    with schema_context(market.schema_name):
        product.refresh_from_db()
        assert product.status == ProductStatus.DRAFT
    owner.post(f"/studio/products/{product.pk}/status/archive/")
    with schema_context(market.schema_name):
        product.refresh_from_db()
        assert product.status == ProductStatus.ARCHIVED
    assert owner.post(f"/studio/products/{product.pk}/status/delete/").status_code == 404


def test_only_types_the_seller_was_granted_and_whose_module_is_on_are_offered(
    client_for: Callable[[Tenant], Client], market: Tenant
) -> None:
    # "widget" is granted but its module (beta) is off here; "service" is on nowhere here.
    make_seller(market, "mixed", product_types=("software", "widget"))
    client = signed_in(client_for(market), "mixed@example.com")
    page = text(client.get("/studio/products/new/"))
    assert '<input type="hidden" name="product_type" value="software">' in page
    assert "widget" not in page
    refused = client.post("/studio/products/new/", {**DETAILS, "product_type": "widget"})
    assert refused.status_code == 422
    assert "Select a valid choice. widget is not one of the available choices." in text(refused)
    assert _count(market, Product) == 0


def test_a_type_without_a_module_step_skips_it(
    client_for: Callable[[Tenant], Client], tenant_b: Tenant
) -> None:
    # Beta Bazaar sells software through the test module alpha (no studio step), not licensing.
    seller = make_seller(tenant_b, "acme", product_types=("software", "service"))
    client = signed_in(client_for(tenant_b), "acme@example.com")
    page = text(client.get("/studio/products/new/"))
    assert 'name="product_type" value="software"' in page
    assert 'name="product_type" value="service"' in page
    product = make_product(tenant_b, seller, "Plain Thing", publish=False)
    steps = text(client.get(f"/studio/products/{product.pk}/images/"))
    assert "Licences" not in steps and "3. Preview &amp; publish" in steps
    assert client.get(f"/studio/products/{product.pk}/details/").status_code == 404
