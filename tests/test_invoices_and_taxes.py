"""Invoices and credit notes (gapless numbers, PDFs, who may download them), order e-mails,
and the operators' tax and sales reports."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.models import Product
from core.commerce.emails import (
    send_order_confirmation,
    send_refund_notice,
    send_seller_new_order,
)
from core.commerce.invoices import (
    DocumentError,
    DocumentErrorCode,
    issue_credit_note,
    issue_invoice,
    render_invoice_pdf,
)
from core.commerce.models import CommerceSettings, Invoice, InvoiceKind, Order, Refund
from core.commerce.reports import SellerSalesRow, TaxReportRow, sales_report, tax_report
from core.errors import ErrorKind
from core.sellers.models import TeamMember, TeamPermission
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import call, make_user, sign_in, signed_in_operator
from tests.catalog_helpers import make_seller
from tests.commerce_documents_helpers import Item, make_paid_order, make_refund, pdf_text
from tests.fleet_helpers import TEST_POOL_SIZE

MARCH = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
TABLE_HEADINGS = ("Item", "Qty", "Unit price", "Tax rate", "Tax", "Total")


def _shop(tenant: Tenant, slug: str = "acme") -> Item:
    """A seller with one product (a bare row: orders keep their own titles and prices)."""
    seller = make_seller(tenant, slug, name=slug.title())
    with schema_context(tenant.schema_name):
        product = Product.objects.create(
            seller=seller, name=f"{slug} tool", slug=f"{slug}-tool", product_type="software"
        )
    return Item(seller=seller, product=product, title=f"{slug.title()} Tool", unit_amount=1000)


def _order(tenant: Tenant, buyer_email: str = "buyer@example.com", **options: Any) -> Order:
    """A paid order: 2 x 10.00 from Acme at 20 % VAT, 1 x 50.00 from Beta at 7 %."""
    acme, beta = _shop(tenant, "acme"), _shop(tenant, "beta")
    buyer = make_user(tenant, buyer_email)
    items = [
        Item(acme.seller, acme.product, "Acme Tool", 1000, quantity=2),
        Item(beta.seller, beta.product, "Beta Course", 5000, tax_rate_bp=700, tax_name="VAT"),
    ]
    with schema_context(tenant.schema_name):
        return make_paid_order(buyer, items, **options)


# --- numbering -------------------------------------------------------------------------------


def test_invoices_are_numbered_in_sequence_and_issued_once(tenant_a):
    first = _order(tenant_a)
    with schema_context(tenant_a.schema_name):
        second = make_paid_order(first.buyer, [_item_of(first)])

        invoice = issue_invoice(order=first)
        again = issue_invoice(order=first)
        other = issue_invoice(order=second)

        assert (invoice.number, invoice.kind) == ("INV-000001", InvoiceKind.INVOICE)
        assert again.pk == invoice.pk
        assert other.number == "INV-000002"
        assert CommerceSettings.objects.get(pk=1).next_invoice_number == 3
        assert Invoice.objects.count() == 2


def _item_of(order: Order) -> Item:
    line = order.lines.select_related("sub_order__seller", "product").order_by("id")[0]
    return Item(line.sub_order.seller, line.product, "Again", 500)


def test_credit_notes_share_the_sequence_and_are_issued_once(tenant_a):
    order = _order(tenant_a)
    with schema_context(tenant_a.schema_name):
        line = order.lines.first()
        refund = make_refund(order, {line: 600})

        # The credit note corrects an invoice, so the invoice is issued first.
        credit_note = issue_credit_note(refund=refund)

        assert (credit_note.number, credit_note.kind) == ("INV-000002", InvoiceKind.CREDIT_NOTE)
        assert credit_note.refund_id == refund.pk and credit_note.order_id == order.pk
        assert issue_credit_note(refund=refund).pk == credit_note.pk
        assert list(Invoice.objects.order_by("id").values_list("number", "kind")) == [
            ("INV-000001", "invoice"),
            ("INV-000002", "credit_note"),
        ]


def test_an_unpaid_order_gets_no_invoice_and_uses_no_number(tenant_a):
    order = _order(tenant_a)
    with schema_context(tenant_a.schema_name):
        Order.objects.filter(pk=order.pk).update(paid_at=None, status="pending_payment")
        order.refresh_from_db()

        with pytest.raises(DocumentError) as caught:
            issue_invoice(order=order)

        assert caught.value.code == DocumentErrorCode.ORDER_NOT_PAID
        assert caught.value.kind == ErrorKind.CONFLICT
        assert Invoice.objects.count() == 0
        assert not CommerceSettings.objects.filter(next_invoice_number__gt=1).exists()


def test_a_rolled_back_invoice_gives_its_number_back(tenant_a):
    first = _order(tenant_a)
    with schema_context(tenant_a.schema_name):
        second = make_paid_order(first.buyer, [_item_of(first)])
        with pytest.raises(RuntimeError), transaction.atomic():
            issue_invoice(order=first)
            raise RuntimeError("capture failed after the invoice")

        assert issue_invoice(order=second).number == "INV-000001"
        assert issue_invoice(order=first).number == "INV-000002"


def test_each_marketplace_numbers_on_its_own_with_its_prefix(tenant_a, tenant_b):
    order_a, order_b = _order(tenant_a), _order(tenant_b)
    with schema_context(tenant_b.schema_name):
        CommerceSettings.objects.update_or_create(pk=1, defaults={"invoice_prefix": "BB/2025/"})
        assert issue_invoice(order=order_b).number == "BB/2025/000001"
    with schema_context(tenant_a.schema_name):
        assert issue_invoice(order=order_a).number == "INV-000001"


CONCURRENT_SLUG = "docs-numbering"
CONCURRENT_SCHEMA = "t_docs_numbering"


def _drop_concurrent_tenant() -> None:
    Domain.objects.filter(tenant__slug=CONCURRENT_SLUG).delete()
    Tenant.objects.filter(slug=CONCURRENT_SLUG).delete()
    drop_schema(CONCURRENT_SCHEMA)


@pytest.fixture
def committed_orders(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[int]]:
    """Threads have connections of their own and see only committed rows: a committed tenant
    with two paid orders, removed afterwards."""
    with django_db_blocker.unblock():
        _drop_concurrent_tenant()
        tenant = provision_tenant(
            slug=CONCURRENT_SLUG,
            name="Docs Numbering",
            owner_email="o@docs.example",
            owner_password=None,
        ).tenant
        use_public_schema()
        first = _order(tenant)
        with schema_context(tenant.schema_name):
            second = make_paid_order(first.buyer, [_item_of(first)])
            CommerceSettings.objects.get_or_create(pk=1)
        use_public_schema()
        try:
            yield [first.pk, second.pk]
        finally:
            _drop_concurrent_tenant()
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


def test_concurrent_invoices_get_consecutive_numbers(committed_orders, django_db_blocker):
    start_together = threading.Barrier(2)
    numbers: list[str] = []
    failures: list[BaseException] = []

    def issue(order_id: int) -> None:
        try:
            with schema_context(CONCURRENT_SCHEMA), transaction.atomic():
                start_together.wait(timeout=10)
                invoice = issue_invoice(order=Order.objects.get(pk=order_id))
                time.sleep(0.3)  # hold the transaction open: the other one must wait
                numbers.append(invoice.number)
        except BaseException as exc:  # reported below; a thread cannot fail the test
            failures.append(exc)
        finally:
            connection.close()

    with django_db_blocker.unblock():
        threads = [threading.Thread(target=issue, args=(pk,)) for pk in committed_orders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert failures == []
        assert sorted(numbers) == ["INV-000001", "INV-000002"]
        with schema_context(CONCURRENT_SCHEMA):
            assert sorted(Invoice.objects.values_list("number", flat=True)) == sorted(numbers)
            assert CommerceSettings.objects.get(pk=1).next_invoice_number == 3


# --- PDFs ------------------------------------------------------------------------------------


def test_the_invoice_pdf_shows_the_number_lines_taxes_and_totals(tenant_a):
    order = _order(tenant_a)
    with schema_context(tenant_a.schema_name):
        invoice = issue_invoice(order=order)
        pdf = render_invoice_pdf(invoice, compress=False)
        compressed = render_invoice_pdf(invoice)

    assert pdf.startswith(b"%PDF-") and compressed.startswith(b"%PDF-")
    assert len(compressed) < len(pdf)
    assert pdf_text(pdf) == [
        "Alpha Market",
        "Invoice INV-000001",
        f"Date: {timezone.localdate().isoformat()}    Order: {order.pk}",
        "Billed to",
        "Ada Buyer",
        "buyer@example.com",
        "Country: DE",
        "Sold by Acme",
        *TABLE_HEADINGS,
        *("Acme Tool", "2", "10.00", "20%", "4.00", "24.00"),
        "Sold by Beta",
        *TABLE_HEADINGS,
        *("Beta Course", "1", "50.00", "7%", "3.50", "53.50"),
        "VAT 7%: 3.50 EUR",
        "VAT 20%: 4.00 EUR",
        "Subtotal: 70.00 EUR",
        "Tax: 7.50 EUR",
        "Total: 77.50 EUR",
        *("Alpha Market · Invoice INV-000001  ·  1/", "1"),  # the page count is drawn last
    ]


def test_the_pdf_notes_prices_including_tax_and_shows_discounts(tenant_a):
    order = _order(tenant_a)
    with schema_context(tenant_a.schema_name):
        Order.objects.filter(pk=order.pk).update(prices_include_tax=True, discount_total=500)
        order.refresh_from_db()
        text = pdf_text(render_invoice_pdf(issue_invoice(order=order), compress=False))

    assert "Discount: -5.00 EUR" in text
    assert "Prices include tax." in text


def test_the_pdf_draws_non_latin_text_and_marks_what_the_font_lacks(tenant_a):
    acme = _shop(tenant_a)
    buyer = make_user(tenant_a, "m@example.com")
    items = [
        Item(acme.seller, acme.product, "Café ☕ Ωмега", 450),
        Item(acme.seller, acme.product, "漢字 mug", 300),
    ]
    with schema_context(tenant_a.schema_name):
        order = make_paid_order(buyer, items, billing_name="محمد")
        text = pdf_text(render_invoice_pdf(issue_invoice(order=order), compress=False))

    # Arabic in joined presentation forms, in visual (right-to-left) order.
    assert "\ufeaa\ufee4\ufea4\ufee3" in text
    assert "Café ☕ Ωмега" in text
    assert "?? mug" in text


def test_the_credit_note_pdf_lists_what_was_refunded(tenant_a):
    order = _order(tenant_a)
    with schema_context(tenant_a.schema_name):
        beta_line = order.lines.order_by("id").last()
        refund = make_refund(order, {beta_line: 5350}, reason="Course cancelled")
        credit_note = issue_credit_note(refund=refund)
        text = pdf_text(render_invoice_pdf(credit_note, compress=False))

    assert text[1] == "Credit note INV-000002"
    # Only what was refunded: the Beta line, in negative amounts (no quantity or unit price).
    assert text[7:] == [
        "Sold by Beta",
        *TABLE_HEADINGS,
        *("Beta Course", "7%", "-3.50", "-53.50"),
        "VAT 7%: -3.50 EUR",
        "Refunded excluding tax: -50.00 EUR",
        "Tax: -3.50 EUR",
        "Total refunded: -53.50 EUR",
        "Corrects invoice INV-000001.",
        "Reason: Course cancelled",
        *("Alpha Market · Credit note INV-000002  ·  1/", "1"),
    ]


# --- e-mails ---------------------------------------------------------------------------------


def test_the_order_confirmation_is_sent_after_commit_with_the_invoice(
    tenant_a, django_capture_on_commit_callbacks
):
    order = _order(tenant_a)
    with (
        schema_context(tenant_a.schema_name),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        issue_invoice(order=order)
        send_order_confirmation(order=order)
        assert mail.outbox == []  # nothing before the commit

    assert len(callbacks) == 1
    [message] = mail.outbox
    assert message.to == ["buyer@example.com"]
    assert message.subject == f"[Alpha Market] Your order {order.pk} is confirmed"
    assert "2 x Acme Tool: 24.00 EUR" in message.body
    assert "Total: 77.50 EUR" in message.body
    assert "Your invoice INV-000001 is attached." in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "<strong>77.50 EUR</strong>" in html
    [(filename, content, content_type)] = message.attachments
    assert (filename, content_type) == ("INV-000001.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")


def test_a_rolled_back_order_mails_nobody(tenant_a, django_capture_on_commit_callbacks):
    order = _order(tenant_a)
    with (
        schema_context(tenant_a.schema_name),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        send_order_confirmation(order=order)
        raise RuntimeError("capture failed")

    assert callbacks == []
    assert mail.outbox == []


def test_sellers_hear_of_their_part_and_team_members_who_process_orders(
    tenant_a, django_capture_on_commit_callbacks
):
    order = _order(tenant_a)
    packer = make_user(tenant_a, "packer@example.com")
    writer = make_user(tenant_a, "writer@example.com")
    with schema_context(tenant_a.schema_name):
        acme_part = order.sub_orders.select_related("seller__owner").get(seller__slug="acme")
        TeamMember.objects.create(
            seller=acme_part.seller, user=packer, permissions=[TeamPermission.PROCESS_ORDERS]
        )
        TeamMember.objects.create(
            seller=acme_part.seller, user=writer, permissions=[TeamPermission.MANAGE_PRODUCTS]
        )
        with django_capture_on_commit_callbacks(execute=True):
            send_seller_new_order(sub_order=acme_part)

    [message] = mail.outbox
    assert message.to == ["acme@example.com", "packer@example.com"]
    assert message.subject == f"[Alpha Market] New order {order.pk}"
    assert "2 x Acme Tool: 24.00 EUR" in message.body
    assert "Beta Course" not in message.body
    assert "Commission: 2.00 EUR" in message.body
    assert "Your earnings: 18.00 EUR" in message.body
    assert message.attachments == []


def test_the_refund_notice_carries_the_credit_note(tenant_a, django_capture_on_commit_callbacks):
    order = _order(tenant_a)
    with schema_context(tenant_a.schema_name):
        line = order.lines.order_by("id").first()
        refund = make_refund(order, {line: 1200}, reason="Wrong size & colour")
        with django_capture_on_commit_callbacks(execute=True):
            credit_note = issue_credit_note(refund=refund)
            send_refund_notice(refund=refund)

    [message] = mail.outbox
    assert message.subject == f"[Alpha Market] Refund for order {order.pk}"
    assert "We refunded 12.00 EUR" in message.body
    assert "Reason: Wrong size & colour" in message.body  # plain text is not HTML-escaped
    assert "Wrong size &amp; colour" in message.alternatives[0][0]
    assert [name for name, _, _ in message.attachments] == [f"{credit_note.number}.pdf"]


# --- reports ---------------------------------------------------------------------------------


def _report_orders(tenant: Tenant) -> tuple[Order, Refund]:
    """March: two orders in DE (20 % and 7 %) and one in FR; a refund in March and one
    order paid in April (outside the period)."""
    order = _order(tenant, paid_at=MARCH)
    with schema_context(tenant.schema_name):
        acme_line, beta_line = order.lines.order_by("id")
        acme = Item(acme_line.sub_order.seller, acme_line.product, "Acme Tool", 1000)
        make_paid_order(order.buyer, [acme], paid_at=MARCH)  # 10.00 + 2.00 VAT
        make_paid_order(order.buyer, [acme], country="FR", paid_at=MARCH)
        make_paid_order(order.buyer, [acme], paid_at=datetime(2025, 4, 1, 0, 5, tzinfo=UTC))
        make_paid_order(order.buyer, [acme], currency="USD", paid_at=MARCH)
        refund = make_refund(order, {acme_line: 1200, beta_line: 5350})
        Refund.objects.filter(pk=refund.pk).update(created_at=datetime(2025, 3, 20, tzinfo=UTC))
    return order, refund


def test_the_tax_report_sums_collected_and_refunded_tax_per_rate(
    tenant_a, django_assert_num_queries
):
    _report_orders(tenant_a)
    # SET search_path, then one aggregate of sales and one of refunds.
    with schema_context(tenant_a.schema_name), django_assert_num_queries(3):
        rows = tax_report(date_from=date(2025, 3, 1), date_to=date(2025, 3, 31), currency="eur")

    # Acme line of the big order: 20.00 + 4.00 tax; refund of 12.00 is 2.00 tax + 10.00.
    assert rows == [
        TaxReportRow("DE", "", "VAT", 700, "EUR", 5000, 350, 5000, 350, 0),
        TaxReportRow("DE", "", "VAT", 2000, "EUR", 3000, 600, 1000, 200, 400),
        TaxReportRow("FR", "", "VAT", 2000, "EUR", 1000, 200, 0, 0, 200),
    ]


def test_the_tax_report_without_a_currency_keeps_currencies_apart(tenant_a):
    _report_orders(tenant_a)
    with schema_context(tenant_a.schema_name):
        rows = tax_report(date_from=date(2025, 3, 1), date_to=date(2025, 3, 31))

    assert [(r.currency, r.country, r.tax_rate_bp, r.tax_collected) for r in rows] == [
        ("EUR", "DE", 700, 350),
        ("EUR", "DE", 2000, 600),
        ("EUR", "FR", 2000, 200),
        ("USD", "DE", 2000, 200),
    ]


def test_the_sales_report_gives_each_seller_gross_commission_and_refunds(
    tenant_a, django_assert_num_queries
):
    order, _ = _report_orders(tenant_a)
    with schema_context(tenant_a.schema_name):
        with django_assert_num_queries(3):  # search_path, sales, refunds
            rows = sales_report(
                date_from=date(2025, 3, 1), date_to=date(2025, 3, 31), currency="EUR"
            )
        acme_id = order.sub_orders.get(seller__slug="acme").seller_id
        beta_id = order.sub_orders.get(seller__slug="beta").seller_id

    # Acme: 24.00 + 12.00 + 12.00 gross; commission 2.00 + 1.00 + 1.00; refund 12.00
    # (2.00 tax, 1.00 commission, 9.00 seller). Beta: 53.50; commission 5.00; all refunded.
    assert rows == [
        SellerSalesRow(beta_id, "Beta", "EUR", 1, 5350, 350, 500, 4500, 5350, 500, 4500, 0, 0),
        SellerSalesRow(acme_id, "Acme", "EUR", 3, 4800, 800, 400, 3600, 1200, 100, 900, 300, 2700),
    ]


def test_a_report_period_must_end_after_it_starts(tenant_a):
    with schema_context(tenant_a.schema_name), pytest.raises(DocumentError) as caught:
        tax_report(date_from=date(2025, 3, 2), date_to=date(2025, 3, 1))
    assert caught.value.code == DocumentErrorCode.INVALID_REPORT_QUERY
    assert caught.value.details == {"field": "to"}


# --- API -------------------------------------------------------------------------------------


def _signed_in(client_for, tenant, email):
    client = client_for(tenant)
    assert sign_in(client, email).json()["status"] == "signed_in"
    return client


def test_who_may_download_an_invoice(client_for, tenant_a):
    order = _order(tenant_a)
    make_user(tenant_a, "other@example.com")
    make_seller(tenant_a, "gamma")
    stranger_team = make_user(tenant_a, "helper@example.com")
    with schema_context(tenant_a.schema_name):
        invoice = issue_invoice(order=order)
        acme = order.sub_orders.get(seller__slug="acme").seller
        TeamMember.objects.create(
            seller=acme, user=stranger_team, permissions=[TeamPermission.MANAGE_PRODUCTS]
        )
    path = f"/documents/orders/{order.pk}/invoice.pdf"

    buyer = call(_signed_in(client_for, tenant_a, "buyer@example.com"), "get", path)
    assert buyer.status_code == 200
    assert buyer["Content-Type"] == "application/pdf"
    assert buyer["Content-Disposition"] == f'inline; filename="{invoice.number}.pdf"'
    assert buyer.content.startswith(b"%PDF-")
    assert (
        call(_signed_in(client_for, tenant_a, "acme@example.com"), "get", path).status_code == 200
    )
    assert call(signed_in_operator(client_for, tenant_a)[0], "get", path).status_code == 200
    for outsider in ("other@example.com", "gamma@example.com", "helper@example.com"):
        refused = call(_signed_in(client_for, tenant_a, outsider), "get", path)
        assert (refused.status_code, refused.json()["error"]["code"]) == (404, "order_not_found")
    assert call(client_for(tenant_a), "get", path).status_code == 401


def test_an_order_without_an_invoice_has_no_pdf(client_for, tenant_a):
    order = _order(tenant_a)
    buyer = _signed_in(client_for, tenant_a, "buyer@example.com")
    answer = call(buyer, "get", f"/documents/orders/{order.pk}/invoice.pdf")
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "document_not_found")


def test_credit_notes_are_for_the_buyer_the_seller_and_operators(client_for, tenant_a):
    order = _order(tenant_a)
    make_user(tenant_a, "other@example.com")
    with schema_context(tenant_a.schema_name):
        refund = make_refund(order, {order.lines.order_by("id").last(): 1000})
        credit_note = issue_credit_note(refund=refund)
        invoice_id = Invoice.objects.get(kind="invoice").pk
    path = f"/documents/credit-notes/{credit_note.pk}.pdf"

    for email in ("buyer@example.com", "beta@example.com", "acme@example.com"):
        assert call(_signed_in(client_for, tenant_a, email), "get", path).status_code == 200
    assert call(signed_in_operator(client_for, tenant_a)[0], "get", path).status_code == 200
    other = _signed_in(client_for, tenant_a, "other@example.com")
    refused = call(other, "get", path)
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "document_not_found")
    # An invoice is not a credit note.
    buyer = _signed_in(client_for, tenant_a, "buyer@example.com")
    assert call(buyer, "get", f"/documents/credit-notes/{invoice_id}.pdf").status_code == 404


def test_another_marketplaces_invoice_does_not_exist_here(client_for, tenant_a, tenant_b):
    order = _order(tenant_a)
    with schema_context(tenant_a.schema_name):
        invoice = issue_invoice(order=order)
    operator_b = signed_in_operator(client_for, tenant_b)[0]

    assert call(operator_b, "get", f"/documents/orders/{order.pk}/invoice.pdf").status_code == 404
    assert call(operator_b, "get", f"/documents/credit-notes/{invoice.pk}.pdf").status_code == 404
    # The buyer's session of marketplace A is worthless on B's host.
    buyer = _signed_in(client_for, tenant_a, "buyer@example.com")
    buyer.defaults["HTTP_HOST"] = client_for(tenant_b).defaults["HTTP_HOST"]
    assert call(buyer, "get", f"/documents/orders/{order.pk}/invoice.pdf").status_code == 401


def test_operators_read_the_reports_as_json_and_csv(client_for, tenant_a):
    _report_orders(tenant_a)
    operator = signed_in_operator(client_for, tenant_a)[0]
    query = "?from=2025-03-01&to=2025-03-31&currency=EUR"

    taxes = call(operator, "get", f"/operator/reports/taxes{query}")
    assert taxes.status_code == 200, taxes.content
    assert taxes.json()["rows"][1] == {
        "country": "DE",
        "region": "",
        "tax_name": "VAT",
        "tax_rate_bp": 2000,
        "currency": "EUR",
        "taxable_amount": 3000,
        "tax_collected": 600,
        "refunded_taxable_amount": 1000,
        "tax_refunded": 200,
        "net_tax": 400,
    }
    as_csv = call(operator, "get", f"/operator/reports/taxes{query}&format=csv")
    assert as_csv["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(as_csv.content.decode())))
    assert rows[0][:5] == ["country", "region", "tax_name", "tax_rate_bp", "currency"]
    assert rows[2] == ["DE", "", "VAT", "2000", "EUR", "30.00", "6.00", "10.00", "2.00", "4.00"]

    sales = call(operator, "get", f"/operator/reports/sales{query}&format=csv")
    sales_rows = list(csv.reader(io.StringIO(sales.content.decode())))
    assert [row[1] for row in sales_rows] == ["seller_name", "Beta", "Acme"]
    assert sales_rows[2][3:6] == ["3", "48.00", "8.00"]


def test_reports_are_for_operators_and_check_their_query(client_for, tenant_a):
    make_user(tenant_a, "buyer@example.com")
    buyer = _signed_in(client_for, tenant_a, "buyer@example.com")
    operator = signed_in_operator(client_for, tenant_a)[0]

    refused = call(buyer, "get", "/operator/reports/taxes?from=2025-03-01&to=2025-03-31")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden_role")
    backwards = call(operator, "get", "/operator/reports/sales?from=2025-03-02&to=2025-03-01")
    assert backwards.status_code == 422
    assert backwards.json()["error"]["details"] == {"field": "to"}
    missing = call(operator, "get", "/operator/reports/taxes?to=2025-03-01")
    assert missing.status_code == 422
    assert [d["field"] for d in missing.json()["error"]["details"]] == ["from"]
    money = call(
        operator, "get", "/operator/reports/taxes?from=2025-03-01&to=2025-03-31&currency=XXX"
    )
    assert (money.status_code, money.json()["error"]["details"]) == (422, {"field": "currency"})
