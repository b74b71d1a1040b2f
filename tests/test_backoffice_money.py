"""The operator's money pages: commission, taxes, discount codes, payouts, ledger and reports.
Operators only; bad input answers field errors and writes nothing; money shows as money;
CSV exports are exact and injection-safe; another marketplace sees none of it."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import schema_context

from core.commerce.models import CategoryCommission, CommerceSettings, DiscountCode, TaxRule
from core.commerce.selectors import commerce_settings
from core.sellers.models import Seller
from tests.backoffice_helpers import (
    assert_refused,
    operator,
    paid_order,
    refund,
    refusals,
    signed_in_as,
)
from tests.catalog_helpers import make_category, make_seller
from tests.commerce_helpers import make_shop

PAGES = [
    "/operator/commission/",
    "/operator/taxes/",
    "/operator/discounts/",
    "/operator/payouts/",
    "/operator/ledger/",
    "/operator/reports/",
]


@pytest.fixture
def shop(tenant_a):
    cache.clear()
    return make_shop(tenant_a)


def body(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


@pytest.mark.parametrize("path", PAGES)
def test_money_pages_are_for_operators_with_two_factor_only(shop, client_for, path):
    assert_refused(refusals(client_for, shop.tenant, shop, path), path)
    page = body(operator(client_for, shop.tenant).get(path))
    assert 'aria-label="Back-office"' in page and 'aria-current="page"' in page


def test_buyers_and_sellers_cannot_post_to_the_money_pages(shop, client_for):
    buyer = signed_in_as(client_for, shop.tenant, "ann@example.com")
    seller = signed_in_as(client_for, shop.tenant, shop.seller_one.owner.email)
    for client in (buyer, seller):
        answer = client.post("/operator/commission/", {"form": "default", "rate": "50"})
        assert answer.status_code == 403
        answer = client.post(
            "/operator/discounts/",
            {
                "form": "create",
                "code": "FREE",
                "kind": "percent",
                "percent": "100",
                "currency": "USD",
            },
        )
        assert answer.status_code == 403
    with schema_context(shop.tenant.schema_name):
        assert commerce_settings().commission_rate_bp == 1000
        assert not DiscountCode.objects.exists()


# --- commission --------------------------------------------------------------------------------


def test_operator_sets_the_default_category_and_seller_commission(shop, client_for):
    staff = operator(client_for, shop.tenant)
    books = make_category(shop.tenant, "Books")

    saved = staff.post("/operator/commission/", {"form": "default", "rate": "12.5"}, follow=True)
    assert "The marketplace commission is saved." in body(saved) and "12.5 %" in body(saved)
    staff.post("/operator/commission/", {"form": "category", "category": books.pk, "rate": "7"})
    staff.post(
        "/operator/commission/",
        {"form": "seller", "seller": shop.seller_two.pk, "rate": "3.25"},
    )

    with schema_context(shop.tenant.schema_name):
        assert CommerceSettings.objects.get().commission_rate_bp == 1250
        assert CategoryCommission.objects.get(category=books).commission_rate_bp == 700
        assert Seller.objects.get(pk=shop.seller_two.pk).commission_rate_bp == 325
    page = body(staff.get("/operator/commission/"))
    assert "Books" in page and "7 %" in page and "Bolt Software" in page and "3.25 %" in page

    # Empty removes the override: the default applies again.
    staff.post("/operator/commission/", {"form": "category", "category": books.pk, "rate": ""})
    staff.post("/operator/commission/", {"form": "seller", "seller": shop.seller_two.pk})
    with schema_context(shop.tenant.schema_name):
        assert not CategoryCommission.objects.exists()
        assert Seller.objects.get(pk=shop.seller_two.pk).commission_rate_bp is None


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"form": "default", "rate": "abc"}, "Enter a number."),
        ({"form": "default", "rate": "100.5"}, "less than or equal to 100"),
        ({"form": "default", "rate": "-1"}, "greater than or equal to 0"),
        ({"form": "default", "rate": "1.234"}, "no more than 2 decimal places"),
        ({"form": "category", "category": "999999", "rate": "5"}, "Select a valid choice."),
        ({"form": "seller", "seller": "abc", "rate": "5"}, "Select a valid choice."),
    ],
)
def test_bad_commission_answers_a_field_error_and_writes_nothing(shop, client_for, data, error):
    response = operator(client_for, shop.tenant).post("/operator/commission/", data)
    page = body(response)
    assert error in page and 'class="field has-error"' in page
    with schema_context(shop.tenant.schema_name):
        assert CommerceSettings.objects.filter(commission_rate_bp=1000).count() <= 1
        assert commerce_settings().commission_rate_bp == 1000
        assert not CategoryCommission.objects.exists()
        assert not Seller.objects.filter(commission_rate_bp__isnull=False).exists()


# --- taxes -------------------------------------------------------------------------------------


def test_operator_adds_and_retires_a_tax_rule(shop, client_for):
    staff = operator(client_for, shop.tenant)
    rule = {"form": "rule", "country": "de", "region": "", "product_type": "", "name": "VAT"}
    added = staff.post("/operator/taxes/", {**rule, "rate": "19"}, follow=True)
    assert "VAT for DE added." in body(added) and "19 %" in body(added)
    duplicate = body(staff.post("/operator/taxes/", {**rule, "rate": "7"}))
    assert "An active rule for this country, region and type exists" in duplicate

    with schema_context(shop.tenant.schema_name):
        saved = TaxRule.objects.get()
        assert (saved.country, saved.rate_bp, saved.is_active) == ("DE", 1900, True)
    staff.post("/operator/taxes/", {"form": "retire", "rule": saved.pk})
    with schema_context(shop.tenant.schema_name):
        assert TaxRule.objects.get().is_active is False

    staff.post("/operator/taxes/", {"form": "prices", "prices_include_tax": "on"})
    with schema_context(shop.tenant.schema_name):
        assert commerce_settings().prices_include_tax is True


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"country": "D1", "name": "VAT", "rate": "19"}, "Two letters, e.g. DE."),
        ({"country": "DEU", "name": "VAT", "rate": "19"}, "at most 2 characters"),
        ({"country": "DE", "name": "", "rate": "19"}, "This field is required."),
        ({"country": "DE", "name": "VAT", "rate": "190"}, "less than or equal to 100"),
        (
            {"country": "DE", "name": "VAT", "rate": "19", "product_type": "spaceships"},
            "Select a valid choice.",
        ),
    ],
)
def test_bad_tax_rule_answers_a_field_error_and_writes_nothing(shop, client_for, data, error):
    posted = {"form": "rule", "region": "", "product_type": "", **data}
    page = body(operator(client_for, shop.tenant).post("/operator/taxes/", posted))
    assert error in page
    with schema_context(shop.tenant.schema_name):
        assert not TaxRule.objects.exists()


# --- discount codes ----------------------------------------------------------------------------


def test_operator_creates_and_turns_off_discount_codes(shop, client_for):
    staff = operator(client_for, shop.tenant)
    percent = {"form": "create", "code": "spring-10", "kind": "percent", "percent": "10"}
    created = staff.post("/operator/discounts/", {**percent, "currency": "USD"}, follow=True)
    assert "SPRING-10 is ready to use." in body(created)
    fixed = {
        "form": "create",
        "code": "FIVE",
        "kind": "fixed",
        "amount": "5.00",
        "currency": "USD",
        "minimum_subtotal": "20",
        "max_redemptions": "100",
    }
    page = body(staff.post("/operator/discounts/", fixed, follow=True))
    assert "5.00 USD off" in page and "20.00 USD" in page and "0 of 100" in page

    with schema_context(shop.tenant.schema_name):
        five = DiscountCode.objects.get(code="FIVE")
        assert (five.amount, five.minimum_subtotal, five.seller_id) == (500, 2000, None)
        assert DiscountCode.objects.get(code="SPRING-10").percent_bp == 1000
    staff.post("/operator/discounts/", {"form": "deactivate", "code": five.pk})
    with schema_context(shop.tenant.schema_name):
        assert DiscountCode.objects.get(code="FIVE").is_active is False


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"code": "no spaces", "kind": "percent", "percent": "10"}, "3-40 letters, digits"),
        ({"code": "OK1", "kind": "percent", "percent": ""}, "Say how many percent off"),
        ({"code": "OK1", "kind": "fixed", "amount": ""}, "Say how much off."),
        ({"code": "OK1", "kind": "fixed", "amount": "5.001"}, "An amount in USD, e.g. 20.00."),
        ({"code": "OK1", "kind": "fixed", "amount": "lots"}, "An amount in USD, e.g. 20.00."),
        (
            {"code": "OK1", "kind": "percent", "percent": "5", "expires_at": "2001-01-01T10:00"},
            "Expiry must be in the future.",
        ),
        ({"code": "OK1", "kind": "percent", "percent": "5", "max_per_buyer": "0"}, "greater"),
    ],
)
def test_bad_discount_code_answers_a_field_error_and_writes_nothing(shop, client_for, data, error):
    posted = {"form": "create", "currency": "USD", **data}
    page = body(operator(client_for, shop.tenant).post("/operator/discounts/", posted))
    assert error in page
    with schema_context(shop.tenant.schema_name):
        assert not DiscountCode.objects.exists()


def test_a_sellers_code_cannot_be_turned_off_from_the_back_office(shop, client_for):
    with schema_context(shop.tenant.schema_name):
        own = DiscountCode.objects.create(
            code="ACME5", seller=shop.seller_one, kind="percent", percent_bp=500
        )
    staff = operator(client_for, shop.tenant)
    assert (
        staff.post("/operator/discounts/", {"form": "deactivate", "code": own.pk}).status_code
        == 404
    )
    assert "ACME5" not in body(staff.get("/operator/discounts/"))


# --- payouts, ledger, reports ------------------------------------------------------------------


def test_the_ledger_page_shows_balanced_books_as_money(
    shop, client_for, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    paid_order(client_for, shop, django_capture_on_commit_callbacks, shop.editor, shop.scanner)
    staff = operator(client_for, shop.tenant)
    with django_assert_max_num_queries(12):
        page = body(staff.get("/operator/ledger/"))
    assert "The books balance." in page
    assert "35.00 USD" in page  # cash at the provider
    assert "-3.50 USD" in page  # the marketplace's commission (a credit)
    assert "0.00 USD" in page  # the total


def test_the_payouts_report_lists_payouts_per_seller(
    shop, client_for, django_capture_on_commit_callbacks
):
    from core.payments.models import Payout

    with schema_context(shop.tenant.schema_name):
        Payout.objects.create(
            seller=shop.seller_one, currency="USD", amount=1800, provider="sandbox", run_key="m:1"
        )
    staff = operator(client_for, shop.tenant)
    page = body(staff.get("/operator/payouts/"))
    assert "Acme Tools" in page and "18.00 USD" in page and "Processing" in page
    today = timezone.localdate().isoformat()
    later = body(staff.get("/operator/payouts/", {"date_from": "2099-01-01"}))
    assert "Acme Tools" not in later and "No payouts in this period." in later
    bad = body(staff.get("/operator/payouts/", {"date_from": today, "date_to": "2000-01-01"}))
    assert "The period ends before it starts." in bad


def test_reports_show_sales_and_tax_with_charts(
    shop, client_for, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    capture = django_capture_on_commit_callbacks
    with schema_context(shop.tenant.schema_name):
        TaxRule.objects.create(country="DE", region="", product_type="", name="VAT", rate_bp=1900)
    order = paid_order(client_for, shop, capture, shop.editor)
    staff = operator(client_for, shop.tenant)
    refund(staff, order["id"], {"reason": "changed mind"}, capture)
    with django_assert_max_num_queries(14):
        page = body(staff.get("/operator/reports/"))
    assert 'id="chart-sales-by-seller"' in page and 'id="chart-tax-by-jurisdiction"' in page
    assert "Acme Tools" in page and "VAT 19 %" in page and "DE" in page
    bad = body(
        staff.get(
            "/operator/reports/",
            {"date_from": "2026-02-02", "date_to": "2026-01-01", "currency": "USD"},
        )
    )
    assert "The period ends before it starts." in bad and "Acme Tools" not in bad


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_exports_are_exact_and_injection_safe(
    shop, client_for, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with schema_context(shop.tenant.schema_name):
        Seller.objects.filter(pk=shop.seller_one.pk).update(
            business_name='=HYPERLINK("http://evil.example","x")'
        )
        TaxRule.objects.create(country="DE", region="", product_type="", name="+VAT", rate_bp=1900)
    paid_order(client_for, shop, capture, shop.editor, shop.scanner)
    staff = operator(client_for, shop.tenant)
    today = timezone.localdate().isoformat()
    query = {"date_from": today, "date_to": today, "currency": "USD"}

    sales = _csv(staff.get("/operator/reports/", {**query, "export": "sales"}))
    assert sales[0][:4] == ["seller", "currency", "orders", "gross"]
    rows = {row[0]: row for row in sales[1:]}
    evil = rows['\'=HYPERLINK("http://evil.example","x")']
    # 20.00 + 19 % VAT = 23.80 paid; commission 10 % of 20.00.
    assert evil[1:] == ["USD", "1", "23.80", "3.80", "2.00", "18.00", "0.00", "2.00", "18.00"]
    assert rows["Bolt Software"][3] == "17.85"

    taxes = _csv(staff.get("/operator/reports/", {**query, "export": "tax"}))
    assert taxes[1] == ["DE", "", "'+VAT", "19", "USD", "35.00", "6.65", "0.00", "0.00", "6.65"]


# --- isolation ---------------------------------------------------------------------------------


def test_another_marketplace_sees_none_of_these_money_settings(shop, tenant_b, client_for):
    staff_a = operator(client_for, shop.tenant)
    staff_a.post(
        "/operator/discounts/",
        {"form": "create", "code": "ALPHA", "kind": "percent", "percent": "5", "currency": "USD"},
    )
    staff_a.post(
        "/operator/taxes/",
        {
            "form": "rule",
            "country": "FR",
            "region": "",
            "product_type": "",
            "name": "TVA",
            "rate": "20",
        },
    )
    staff_a.post("/operator/commission/", {"form": "default", "rate": "15"})
    with schema_context(shop.tenant.schema_name):
        code_id = DiscountCode.objects.get(code="ALPHA").pk
        rule_id = TaxRule.objects.get(name="TVA").pk
    make_seller(tenant_b, "zed", "Zed Goods")

    staff_b = operator(client_for, tenant_b)
    assert "ALPHA" not in body(staff_b.get("/operator/discounts/"))
    assert "TVA" not in body(staff_b.get("/operator/taxes/"))
    assert "10 %" in body(staff_b.get("/operator/commission/"))
    assert "Acme Tools" not in body(staff_b.get("/operator/commission/"))
    assert (
        staff_b.post("/operator/discounts/", {"form": "deactivate", "code": code_id}).status_code
        == 404
    )
    assert staff_b.post("/operator/taxes/", {"form": "retire", "rule": rule_id}).status_code == 404
    with schema_context(shop.tenant.schema_name):
        assert DiscountCode.objects.get(pk=code_id).is_active
        assert TaxRule.objects.get(pk=rule_id).is_active


def test_another_marketplaces_reports_and_ledger_hold_none_of_these_sales(
    shop, tenant_b, client_for, django_capture_on_commit_callbacks
):
    paid_order(client_for, shop, django_capture_on_commit_callbacks, shop.editor)
    staff_b = operator(client_for, tenant_b)
    today = timezone.localdate().isoformat()
    query = {"date_from": today, "date_to": today, "currency": "USD"}
    assert len(_csv(staff_b.get("/operator/reports/", {**query, "export": "sales"}))) == 1
    assert "Acme Tools" not in body(staff_b.get("/operator/reports/", query))
    assert "Nothing booked yet." in body(staff_b.get("/operator/ledger/"))
    assert "Acme Tools" in body(operator(client_for, shop.tenant).get("/operator/reports/", query))
