"""The catalogue API: sellers' products (manage_products), operator moderation, buyers' list,
search and detail; bulk and CSV; object-level checks and pinned query counts."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.catalog.models import Product, ProductPrice
from core.sellers.models import TeamMember
from tests.accounts_helpers import call, make_user, sign_in, signed_in_operator
from tests.catalog_helpers import make_category, make_product, make_seller

PRODUCT = {
    "name": "Swift Code Editor",
    "product_type": "software",
    "prices": {"USD": 4900},
    "summary": "A fast editor",
    "tags": ["editor"],
    "features": ["Syntax highlighting", "Git"],
    "variants": [
        {"name": "Personal", "sku": "personal", "seats": 1, "prices": {"USD": 4900}},
        {"name": "Team of 5", "sku": "team-5", "seats": 5, "prices": {"USD": 19900}},
    ],
    "images": ["https://cdn.example.com/editor.png"],
}


def seller_client(client_for, tenant, slug="acme"):
    make_seller(tenant, slug)
    client = client_for(tenant)
    assert sign_in(client, f"{slug}@example.com").json()["status"] == "signed_in"
    return client


def test_moderation_workflow(client_for, tenant_a, django_capture_on_commit_callbacks):
    seller = seller_client(client_for, tenant_a)
    op = signed_in_operator(client_for, tenant_a)[0]
    buyer = client_for(tenant_a)

    created = call(seller, "post", "/seller/products", PRODUCT)
    assert created.status_code == 201, created.content
    product = created.json()
    assert product["status"] == "draft" and [v["sku"] for v in product["variants"]] == [
        "personal",
        "team-5",
    ]
    assert call(buyer, "get", f"/catalog/products/{product['slug']}").status_code == 404

    assert (
        call(seller, "post", f"/seller/products/{product['id']}/publish").json()["status"]
        == "in_review"
    )
    queue = call(op, "get", "/operator/catalog/products").json()["items"]
    assert [p["id"] for p in queue] == [product["id"]]
    assert call(buyer, "get", "/catalog?q=swift").json()["items"] == []

    with django_capture_on_commit_callbacks(execute=True):
        rejected = call(
            op,
            "post",
            f"/operator/catalog/products/{product['id']}/reject",
            {"reason": "Add screenshots"},
        )
    assert (
        rejected.json()["status"] == "rejected"
        and rejected.json()["moderation_note"] == "Add screenshots"
    )
    assert "Add screenshots" in mail.outbox[-1].body and mail.outbox[-1].to == ["acme@example.com"]

    call(seller, "post", f"/seller/products/{product['id']}/publish")
    with django_capture_on_commit_callbacks(execute=True):
        approved = call(op, "post", f"/operator/catalog/products/{product['id']}/approve")
    assert approved.json()["status"] == "published"
    visible = call(buyer, "get", f"/catalog/products/{product['slug']}").json()
    assert visible["price"] == {"amount": 4900, "currency": "USD", "display": "49.00 USD"}
    assert [p["name"] for p in call(buyer, "get", "/catalog?q=swift").json()["items"]] == [
        "Swift Code Editor"
    ]

    # Editing content sends it back to review; it leaves the storefront until approved again.
    edited = call(
        seller, "put", f"/seller/products/{product['id']}", {**PRODUCT, "summary": "Now with AI"}
    )
    assert edited.json()["status"] == "in_review"
    assert call(buyer, "get", f"/catalog/products/{product['slug']}").status_code == 404
    # A price change does not.
    call(op, "post", f"/operator/catalog/products/{product['id']}/approve")
    repriced = call(
        seller, "put", f"/seller/products/{product['id']}/prices", {"prices": {"USD": 3900}}
    )
    assert repriced.json()["status"] == "published" and repriced.json()["price"]["amount"] == 3900

    assert (
        call(op, "post", f"/operator/catalog/products/{product['id']}/approve").status_code == 409
    )


def test_a_seller_cannot_touch_another_sellers_products(client_for, tenant_a):
    first = seller_client(client_for, tenant_a, "first")
    second = seller_client(client_for, tenant_a, "second")
    product = call(first, "post", "/seller/products", PRODUCT).json()
    for method, path, body in [
        ("get", f"/seller/products/{product['id']}", None),
        ("put", f"/seller/products/{product['id']}", PRODUCT),
        ("put", f"/seller/products/{product['id']}/prices", {"prices": {"USD": 1}}),
        ("post", f"/seller/products/{product['id']}/publish", None),
        ("post", f"/seller/products/{product['id']}/archive", None),
    ]:
        response = call(second, method, path, body)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "product_not_found"
    outcome = call(
        second,
        "post",
        "/seller/products/bulk",
        {"product_ids": [product["id"]], "action": "archive"},
    )
    assert outcome.json() == [
        {
            "product_id": product["id"],
            "is_ok": False,
            "error": "No such product.",
            "code": "product_not_found",
        }
    ]
    with schema_context(tenant_a.schema_name):
        assert Product.objects.get(pk=product["id"]).status == "draft"
        assert ProductPrice.objects.get(product_id=product["id"], variant=None).amount == 4900


def test_team_members_need_manage_products(client_for, tenant_a):
    seller = make_seller(tenant_a, "acme")
    helper = make_user(tenant_a, "helper@example.com")
    with schema_context(tenant_a.schema_name):
        membership = TeamMember.objects.create(
            seller=seller, user=helper, permissions=["process_orders"]
        )
    client = client_for(tenant_a)
    sign_in(client, "helper@example.com")
    assert call(client, "post", "/seller/products", PRODUCT).status_code == 403
    with schema_context(tenant_a.schema_name):
        membership.permissions = ["manage_products"]
        membership.save()
    assert call(client, "post", "/seller/products", PRODUCT).status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"prices": {"USD": -5}}, "prices"),
        ({"prices": {"EUR": 100}}, "prices"),
        ({"prices": {"USD": 1.5}}, "prices.USD"),
        ({"product_type": "service"}, "product_type"),
        ({"product_type": "weapons"}, "product_type"),
        ({"category": "nope"}, "category"),
        ({"tags": ["Not A Tag!"]}, "tags"),
        ({"name": "X"}, "name"),
        (
            {
                "variants": [
                    {"name": "A", "sku": "a", "prices": {"USD": 1}},
                    {"name": "B", "sku": "a", "prices": {"USD": 1}},
                ]
            },
            "variants",
        ),
        ({"latitude_e6": 1, "longitude_e6": 1}, "location"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_bad_product_input_names_the_field_and_writes_nothing(client_for, tenant_a, change, field):
    seller = seller_client(client_for, tenant_a)
    response = call(seller, "post", "/seller/products", {**PRODUCT, **change})
    assert 400 <= response.status_code < 500, response.content
    error = response.json()["error"]
    named = (
        error["details"]["field"]
        if isinstance(error["details"], dict)
        else error["details"][0]["field"]
    )
    assert named == field
    with schema_context(tenant_a.schema_name):
        assert not Product.objects.exists()


def test_bulk_operations_report_per_product(client_for, tenant_a):
    seller = seller_client(client_for, tenant_a)
    ids = [
        call(seller, "post", "/seller/products", {**PRODUCT, "name": f"Tool {i}"}).json()["id"]
        for i in range(3)
    ]
    call(seller, "post", f"/seller/products/{ids[2]}/archive")
    published = call(
        seller, "post", "/seller/products/bulk", {"product_ids": ids, "action": "publish"}
    ).json()
    assert [(o["product_id"], o["is_ok"], o["code"]) for o in published] == [
        (ids[0], True, None),
        (ids[1], True, None),
        (ids[2], False, "invalid_transition"),
    ]
    repriced = call(
        seller,
        "post",
        "/seller/products/bulk",
        {"product_ids": ids[:2], "action": "reprice", "prices": {"USD": 100}},
    ).json()
    assert all(o["is_ok"] for o in repriced)
    bad = call(
        seller,
        "post",
        "/seller/products/bulk",
        {"product_ids": ids[:1], "action": "reprice", "prices": {"USD": -1}},
    ).json()
    assert bad[0]["is_ok"] is False and bad[0]["code"] == "invalid_price"
    with schema_context(tenant_a.schema_name):
        assert sorted(
            ProductPrice.objects.filter(product_id__in=ids, variant=None).values_list(
                "amount", flat=True
            )
        ) == [100, 100, 4900]


def test_csv_import_keeps_good_rows_and_reports_bad_ones(client_for, tenant_a):
    make_category(tenant_a, "Tools")
    seller = seller_client(client_for, tenant_a)
    rows = [
        ["name", "product_type", "category", "tags", "features", "trial_days", "price_USD", "slug"],
        ["Good One", "software", "tools", "cli|dev", "Fast|Small", "14", "19.99", ""],
        ["Bad Price", "software", "", "", "", "0", "19.999", ""],
        ["Bad Type", "service", "", "", "", "0", "5", ""],
        ["Bad Trial", "software", "", "", "", "soon", "5", ""],
        ["", "software", "", "", "", "0", "5", ""],
        ["Unknown Slug", "software", "", "", "", "0", "5", "not-mine"],
        ["Good Two", "software", "", "", "", "0", "0.50", ""],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    upload = SimpleUploadedFile("products.csv", buffer.getvalue().encode(), content_type="text/csv")
    report = seller.post("/api/v1/seller/products/import", {"file": upload}).json()

    assert (report["created"], report["updated"]) == (2, 0)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [
        (3, "price_USD"),
        (4, "product_type"),
        (5, "trial_days"),
        (6, "name"),
        (7, "slug"),
    ]
    with schema_context(tenant_a.schema_name):
        good = Product.objects.get(name="Good One")
        assert (good.tags, good.features, good.trial_days, good.category.slug) == (
            ["cli", "dev"],
            ["Fast", "Small"],
            14,
            "tools",
        )
        assert good.prices.get(variant=None).amount == 1999
        assert sorted(Product.objects.values_list("name", flat=True)) == ["Good One", "Good Two"]

    exported = seller.get("/api/v1/seller/products/export.csv")
    lines = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [(r["name"], r["price_USD"], r["status"]) for r in lines] == [
        ("Good One", "19.99", "draft"),
        ("Good Two", "0.50", "draft"),
    ]
    # Round trip: the exported file updates the same products.
    again = seller.post(
        "/api/v1/seller/products/import", {"file": SimpleUploadedFile("p.csv", exported.content)}
    ).json()
    assert (again["created"], again["updated"], again["errors"]) == (0, 2, [])


def test_csv_import_refuses_unusable_files(client_for, tenant_a):
    seller = seller_client(client_for, tenant_a)
    no_header = seller.post(
        "/api/v1/seller/products/import", {"file": SimpleUploadedFile("x.csv", b"foo,bar\n1,2\n")}
    )
    binary = seller.post(
        "/api/v1/seller/products/import", {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad")}
    )
    assert no_header.json()["error"]["code"] == "invalid_csv"
    assert binary.json()["error"]["code"] == "invalid_csv"


def test_operators_manage_the_category_tree(client_for, tenant_a):
    op = signed_in_operator(client_for, tenant_a)[0]
    tools = call(op, "post", "/operator/catalog/categories", {"name": "Tools"}).json()
    editors = call(
        op, "post", "/operator/catalog/categories", {"name": "Editors", "parent_id": tools["id"]}
    ).json()
    assert editors["depth"] == 1
    assert (
        call(
            op,
            "post",
            f"/operator/catalog/categories/{tools['id']}/move",
            {"parent_id": editors["id"]},
        ).status_code
        == 422
    )
    assert (
        call(op, "delete", f"/operator/catalog/categories/{tools['id']}").json()["error"]["code"]
        == "category_in_use"
    )
    listed = call(client_for(tenant_a), "get", "/catalog/categories").json()
    assert [c["slug"] for c in listed] == ["tools", "editors"]
    buyer = client_for(tenant_a)
    make_user(tenant_a, "buyer@example.com")
    sign_in(buyer, "buyer@example.com")
    assert call(buyer, "post", "/operator/catalog/categories", {"name": "X"}).status_code == 403


def test_unpublished_and_other_tenants_products_are_invisible(client_for, tenant_a, tenant_b):
    acme = make_seller(tenant_a, "acme")
    make_product(tenant_a, acme, "Visible Tool")
    draft = make_product(tenant_a, acme, "Draft Tool", publish=False)
    other = make_seller(tenant_b, "other")
    theirs = make_product(tenant_b, other, "Their Tool")
    buyer = client_for(tenant_a)
    assert [p["name"] for p in call(buyer, "get", "/catalog").json()["items"]] == ["Visible Tool"]
    assert call(buyer, "get", f"/catalog/products/{draft.slug}").status_code == 404
    assert call(buyer, "get", f"/catalog/products/{theirs.slug}").status_code == 404
    assert call(buyer, "get", "/catalog?q=their").json()["items"] == []
    assert call(buyer, "get", "/catalog/suggest?q=dra").json() == []


def test_catalogue_queries_are_validated(client_for, tenant_a):
    buyer = client_for(tenant_a)
    assert (
        call(buyer, "get", "/catalog?currency=EUR").json()["error"]["details"]["field"]
        == "currency"
    )
    assert call(buyer, "get", "/catalog?limit=0").status_code == 422
    assert call(buyer, "get", "/catalog?sort=cheapest").status_code == 422
    assert (
        call(buyer, "get", "/catalog?lat_e6=1").json()["error"]["details"]["field"] == "radius_km"
    )
    assert call(buyer, "get", "/catalog?cursor=garbage").status_code == 400


@pytest.mark.parametrize(
    "path", ["/api/v1/catalog?limit={n}", "/api/v1/catalog?q=tool&facets=true&limit={n}"]
)
def test_list_and_search_use_a_fixed_number_of_queries(client_for, tenant_a, path):
    acme = make_seller(tenant_a, "acme")
    tools = make_category(tenant_a, "Tools")
    for index in range(12):
        make_product(
            tenant_a,
            acme,
            f"Tool {index}",
            category_slug=tools.slug,
            image_urls=[f"https://cdn.example.com/{index}.png"],
            variants=[],
        )
    client = client_for(tenant_a)
    client.get(path.format(n=1))
    counts = []
    for size in (1, 12):
        cache.clear()  # the uncached path; the cached one is tested below
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path.format(n=size))
        assert len(response.json()["items"]) == size
        counts.append(len([q for q in queries if not q["sql"].startswith("SET search_path")]))
    assert counts[0] == counts[1] <= 6, counts


def test_prices_in_several_currencies(client_for, tenant_a):
    tenant_a.extra_currencies = ["EUR"]
    tenant_a.save(update_fields=["extra_currencies"])
    seller = seller_client(client_for, tenant_a)
    product = call(
        seller,
        "post",
        "/seller/products",
        {**PRODUCT, "prices": {"USD": 4900, "EUR": 4500}, "variants": []},
    ).json()
    assert {p["currency"]: p["amount"] for p in product["prices"]} == {"USD": 4900, "EUR": 4500}
    missing_default = call(
        seller,
        "post",
        "/seller/products",
        {**PRODUCT, "name": "Euro Only", "prices": {"EUR": 100}, "variants": []},
    )
    assert missing_default.json()["error"]["code"] == "invalid_price"
    with schema_context(tenant_a.schema_name):
        from core.catalog.services.moderation import approve_product
        from core.catalog.services.products import transition

        row = Product.objects.get(pk=product["id"])
        transition(product=row, action="publish")
        approve_product(product=row)
    buyer = client_for(tenant_a)
    in_euros = call(buyer, "get", "/catalog?currency=eur&sort=price_asc").json()["items"][0][
        "price"
    ]
    assert in_euros == {"amount": 4500, "currency": "EUR", "display": "45.00 EUR"}
    assert call(buyer, "get", "/catalog?currency=EUR&price_max=4400").json()["items"] == []


def test_the_list_is_cached_until_the_catalogue_changes(client_for, tenant_a, tenant_b):
    acme = make_seller(tenant_a, "acme")
    make_product(tenant_a, acme, "First Tool")
    buyer = client_for(tenant_a)
    assert [p["name"] for p in call(buyer, "get", "/catalog").json()["items"]] == ["First Tool"]
    with CaptureQueriesContext(connection) as queries:
        cached = call(buyer, "get", "/catalog").json()
    assert [p["name"] for p in cached["items"]] == ["First Tool"]
    # Only the host -> tenant lookup remains.
    assert len([q for q in queries if not q["sql"].startswith("SET")]) == 1

    make_product(tenant_a, acme, "Second Tool")  # any change bumps the catalogue's version
    assert [p["name"] for p in call(buyer, "get", "/catalog").json()["items"]] == [
        "Second Tool",
        "First Tool",
    ]
    # Another tenant's cache is its own.
    assert call(client_for(tenant_b), "get", "/catalog").json()["items"] == []


def test_facets_say_when_their_counts_are_estimates(client_for, tenant_a, monkeypatch):
    acme = make_seller(tenant_a, "acme")
    for index in range(3):
        make_product(tenant_a, acme, f"Tool {index}")
    buyer = client_for(tenant_a)
    exact = call(buyer, "get", "/catalog/facets?q=tool").json()["facets"]
    assert exact["is_approximate"] is False
    assert exact["sellers"] == [{"value": "acme", "label": "Acme", "count": 3}]

    monkeypatch.setattr("core.catalog.search.postgres.FACET_EXACT_LIMIT", 2)
    broad = call(buyer, "get", "/catalog/facets?q=tool").json()
    assert broad["facets"]["is_approximate"] is True
    assert broad["facets"]["sellers"] == [{"value": "acme", "label": "Acme", "count": 3}]
    assert len(broad["items"]) == 3  # the page itself is exact
