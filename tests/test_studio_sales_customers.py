"""The studio's customers (``/studio/customers/``): every buyer of the seller with orders, what
they hold by product type, live subscriptions, what they spent per currency (refunds taken
off, to the cent), the last order and the team's private note; search, CSV export; the note
is the seller's alone; manage_customers is needed; another seller's buyer is not found."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.commerce.services.refunds import LineRefund, refund_order
from core.sellers.models import TeamPermission
from core.studio.models import CustomerNote
from tests.accounts_helpers import make_user
from tests.catalog_helpers import make_product
from tests.commerce_helpers import make_shop
from tests.test_studio_sales import (
    buy,
    seller_client,
    signed_in,
    teammate,
    text,
)


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def _customer_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr data-customer="(\d+)">', html)]


def test_customers_lists_each_buyer_once_with_orders_holdings_and_exact_spend(
    client_for, shop, django_capture_on_commit_callbacks
):
    tool = make_product(shop.tenant, shop.seller_one, "Small Tool", price=1000)
    first = buy(client_for, shop, shop.editor, capture=django_capture_on_commit_callbacks)
    buy(client_for, shop, shop.editor, shop.scanner, capture=django_capture_on_commit_callbacks)
    zed = make_user(shop.tenant, "zed@example.com", full_name="Zed Zebra")
    buy(client_for, shop, tool, buyer=zed, capture=django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        refund_order(
            order_id=first["id"],
            lines=[LineRefund(first["lines"][0]["id"], 250)],
            reason="goodwill",
            idempotency_key="k1",
            actor=None,
            actor_label="seller",
            seller_id=shop.seller_one.pk,
        )
    client = seller_client(client_for, shop)

    html = text(client.get("/studio/customers/"))

    assert _customer_ids(html) == [zed.pk, shop.buyer.pk]  # the latest buyer first
    bea = html[html.index(f'<tr data-customer="{shop.buyer.pk}">') :]
    assert '<td data-label="Orders" class="num">2</td>' in bea
    assert "<li>37.50 USD</li>" in bea  # 20.00 + 20.00 - 2.50; the scanner was Bolt's
    assert "<li>Software licences &times; 2</li>" in bea
    assert "<li>10.00 USD</li>" in html
    assert "Secure Scanner" not in html


def test_search_by_email_or_name_and_the_csv_has_exact_amounts(
    client_for, shop, django_capture_on_commit_callbacks
):
    buy(client_for, shop, shop.editor, capture=django_capture_on_commit_callbacks)
    zed = make_user(shop.tenant, "zed@example.com", full_name="=HYPERLINK(1)")
    buy(client_for, shop, shop.editor, buyer=zed, capture=django_capture_on_commit_callbacks)
    client = seller_client(client_for, shop)

    by_email = text(client.get("/studio/customers/?q=buyer%40exa"))
    by_name = text(client.get("/studio/customers/?q=hyperlink"))
    export = client.get("/studio/customers/export.csv")

    assert _customer_ids(by_email) == [shop.buyer.pk]
    assert _customer_ids(by_name) == [zed.pk]
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(export.content.decode())))
    assert rows[0][:3] == ["email", "name", "orders"]
    assert sorted((row[0], row[1], row[5], row[6]) for row in rows[1:]) == [
        ("buyer@example.com", "Bea Buyer", "USD", "20.00"),
        ("zed@example.com", "'=HYPERLINK(1)", "USD", "20.00"),
    ]
    only_zed = client.get("/studio/customers/export.csv?q=zed").content.decode()
    assert "zed@example.com" in only_zed and "buyer@example.com" not in only_zed


def test_the_note_is_private_to_the_seller_and_empty_removes_it(
    client_for, shop, django_capture_on_commit_callbacks
):
    buy(client_for, shop, shop.editor, shop.scanner, capture=django_capture_on_commit_callbacks)
    acme = seller_client(client_for, shop)
    bolt = seller_client(client_for, shop, shop.seller_two)
    page = f"/studio/customers/{shop.buyer.pk}/"

    saved = acme.post(page, {"body": "Prefers invoices by post."})
    bolt_view = text(bolt.get(page))

    assert saved.status_code == 302
    assert "Prefers invoices by post." in text(acme.get(page))
    assert "Prefers invoices by post." in text(acme.get("/studio/customers/"))
    assert "Prefers invoices by post." not in bolt_view  # Bolt sold to Bea too, has no note
    assert bolt.post(page, {"body": "Bolt's own"}).status_code == 302
    with schema_context(shop.tenant.schema_name):
        notes = dict(CustomerNote.objects.values_list("seller_id", "body"))
    assert notes == {
        shop.seller_one.pk: "Prefers invoices by post.",
        shop.seller_two.pk: "Bolt's own",
    }
    too_long = acme.post(page, {"body": "x" * 4001})
    assert too_long.status_code == 200 and "at most 4000 characters" in text(too_long)
    assert acme.post(page, {"body": "  "}).status_code == 302
    with schema_context(shop.tenant.schema_name):
        assert not CustomerNote.objects.filter(seller=shop.seller_one).exists()
    buyer = signed_in(client_for(shop.tenant), shop.buyer.email)
    assert "Prefers" not in text(buyer.get("/account/orders/"))


def test_a_buyer_of_another_seller_only_is_not_found(client_for, shop):
    buy(client_for, shop, shop.scanner)  # Bolt's product only
    acme = seller_client(client_for, shop)

    assert acme.get(f"/studio/customers/{shop.buyer.pk}/").status_code == 404
    assert acme.post(f"/studio/customers/{shop.buyer.pk}/", {"body": "x"}).status_code == 404
    assert _customer_ids(text(acme.get("/studio/customers/"))) == []
    assert "buyer@example.com" not in acme.get("/studio/customers/export.csv").content.decode()
    with schema_context(shop.tenant.schema_name):
        assert not CustomerNote.objects.exists()


def test_customers_need_manage_customers(client_for, shop):
    buy(client_for, shop, shop.editor)
    clerk = teammate(client_for, shop, "clerk@example.com", [TeamPermission.PROCESS_ORDERS])
    helper = teammate(client_for, shop, "helper@example.com", [TeamPermission.MANAGE_CUSTOMERS])

    refused = clerk.get("/studio/customers/")

    assert refused.status_code == 403 and "Customers needs the team permission" in text(refused)
    assert clerk.get(f"/studio/customers/{shop.buyer.pk}/").status_code == 403
    assert clerk.get("/studio/customers/export.csv").status_code == 403
    assert clerk.post(f"/studio/customers/{shop.buyer.pk}/", {"body": "x"}).status_code == 403
    assert helper.get(f"/studio/customers/{shop.buyer.pk}/").status_code == 200


def test_another_marketplace_sees_none_of_the_customers(client_for, shop, tenant_b):
    from tests.catalog_helpers import make_seller

    buy(client_for, shop, shop.editor)
    make_seller(tenant_b, "acme", "Acme on B")
    on_b = signed_in(client_for(tenant_b), shop.seller_one.owner.email)

    assert _customer_ids(text(on_b.get("/studio/customers/"))) == []
    assert on_b.get(f"/studio/customers/{shop.buyer.pk}/").status_code == 404


def test_customers_list_takes_the_same_queries_however_many_customers(client_for, shop):
    client = seller_client(client_for, shop)

    def queries() -> int:
        with CaptureQueriesContext(connection) as run:
            assert client.get("/studio/customers/").status_code == 200
        return len(run)

    buy(client_for, shop, shop.editor)
    queries()  # warm: per-tenant settings and caches filled once
    one = queries()
    for number in range(4):
        buyer = make_user(shop.tenant, f"b{number}@example.com")
        buy(client_for, shop, shop.editor, buyer=buyer)
    assert queries() == one
    assert one <= 16
