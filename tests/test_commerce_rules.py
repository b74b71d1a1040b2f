"""What a cart costs and what checkout refuses: discount codes, bundles, custom offers, tax
rules (exclusive and inclusive), commission overrides, and bad input that must give a field
error and write nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.commerce.errors import CommerceErrorCode
from core.commerce.models import (
    CartLine,
    CategoryCommission,
    DiscountCode,
    Order,
    OrderLine,
    TaxRule,
)
from core.commerce.services import policy
from core.commerce.services.offers import DiscountInput, create_discount_code
from core.idempotency.errors import IdempotencyErrorCode
from core.payments.models import JournalEntry
from tests.accounts_helpers import call, make_user
from tests.catalog_helpers import make_category, make_product
from tests.commerce_helpers import add, bearer_client, checkout, ledger_totals, make_shop


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


@pytest.fixture
def client(shop, client_for):
    return bearer_client(client_for, shop.tenant, shop.buyer)


def nothing_written(shop) -> bool:
    with schema_context(shop.tenant.schema_name):
        return not Order.objects.exists() and not JournalEntry.objects.exists()


def field_error(response, code, field):
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["details"]["field"] == field
    return error


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -3, 1001])
def test_a_quantity_out_of_range_is_a_field_error(shop, client, quantity):
    field_error(add(client, shop.editor, quantity), CommerceErrorCode.INVALID_QUANTITY, "quantity")
    with schema_context(shop.tenant.schema_name):
        assert not CartLine.objects.exists()


def test_another_tenants_product_id_is_not_found_here(shop, client, make_tenant):
    other = make_tenant("other-market").tenant
    other_shop = make_shop(other, buyer_email="someone@example.com")
    extra = [make_product(other, other_shop.seller_one, f"Other {i}") for i in range(3)]
    foreign_id = extra[-1].pk
    with schema_context(shop.tenant.schema_name):
        from core.catalog.models import Product

        assert not Product.objects.filter(pk=foreign_id).exists()
    response = call(client, "post", "/cart/lines", {"product_id": foreign_id})
    field_error(response, CommerceErrorCode.PRODUCT_NOT_FOUND, "product_id")


def test_a_currency_the_marketplace_does_not_sell_in_is_refused(shop, client):
    response = call(client, "put", "/cart/currency", {"currency": "JPY"})
    field_error(response, CommerceErrorCode.CURRENCY_NOT_ALLOWED, "currency")


def test_a_product_not_priced_in_the_cart_currency_cannot_be_added(shop, client):
    shop.tenant.extra_currencies = ["EUR"]
    shop.tenant.save()
    assert call(client, "put", "/cart/currency", {"currency": "EUR"}).status_code == 200
    field_error(add(client, shop.editor), CommerceErrorCode.NOT_PRICED, "product_id")


def test_an_unpublished_product_cannot_be_bought(shop, client):
    draft = make_product(shop.tenant, shop.seller_one, "Draft Tool", publish=False)
    field_error(add(client, draft), CommerceErrorCode.NOT_PURCHASABLE, "product_id")


def test_an_expired_code_is_refused_and_nothing_is_written(shop, client):
    with schema_context(shop.tenant.schema_name):
        DiscountCode.objects.create(
            code="OLD10",
            kind="percent",
            percent_bp=1000,
            expires_at=timezone.now() - timedelta(minutes=1),
        )
    add(client, shop.editor)
    field_error(
        call(client, "post", "/cart/code", {"code": "old10"}),
        CommerceErrorCode.DISCOUNT_EXPIRED,
        "code",
    )
    assert nothing_written(shop)


def test_checkout_without_billing_country_is_a_field_error(shop, client):
    add(client, shop.editor)
    response = checkout(client, country="Germany")
    assert response.status_code == 422
    assert nothing_written(shop)


def test_checkout_of_an_empty_cart_writes_nothing(shop, client):
    field_error(checkout(client), CommerceErrorCode.CART_EMPTY, "cart")
    assert nothing_written(shop)


def test_checkout_without_idempotency_key_is_refused(shop, client):
    add(client, shop.editor)
    response = call(
        client, "post", "/checkout", {"country": "DE", "payment_method": "4242424242424242"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == IdempotencyErrorCode.IDEMPOTENCY_KEY_REQUIRED
    assert nothing_written(shop)


def test_a_changed_total_is_refused_before_anything_is_charged(shop, client):
    add(client, shop.editor)
    response = checkout(client, expected_total=1999)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == CommerceErrorCode.TOTAL_CHANGED
    assert nothing_written(shop)


def test_the_same_key_with_another_body_is_refused(shop, client):
    add(client, shop.editor)
    assert checkout(client, key="k-1").status_code == 201
    add(client, shop.scanner)
    response = checkout(client, key="k-1", country="FR")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == IdempotencyErrorCode.IDEMPOTENCY_KEY_REUSED
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.count() == 1


# --- prices ------------------------------------------------------------------------------


def test_percent_code_of_one_seller_discounts_only_that_sellers_lines(shop, client):
    with schema_context(shop.tenant.schema_name):
        create_discount_code(
            seller=shop.seller_one,
            data=DiscountInput(code="ACME25", kind="percent", percent_bp=2500),
        )
    add(client, shop.editor)
    add(client, shop.scanner)
    quote = call(client, "post", "/cart/code", {"code": "acme25"}).json()["quote"]
    assert quote["discount"]["amount"] == 500
    assert quote["total"]["amount"] == 2000 - 500 + 1500
    body = checkout(client).json()
    assert body["discount_code"] == "ACME25"
    with schema_context(shop.tenant.schema_name):
        assert DiscountCode.objects.get(code="ACME25").redemptions == 1


def test_fixed_code_is_split_across_lines_in_proportion_and_sums_exactly(shop, client):
    with schema_context(shop.tenant.schema_name):
        create_discount_code(
            seller=None,
            data=DiscountInput(code="TEN", kind="fixed", amount=1001, currency="USD"),
        )
    add(client, shop.editor)
    add(client, shop.scanner)
    call(client, "post", "/cart/code", {"code": "TEN"})
    body = checkout(client).json()
    discounts = [line["discount"]["amount"] for line in body["lines"]]
    assert sum(discounts) == 1001
    assert discounts == [572, 429]  # 2000:1500, the remainder to the larger share


def test_a_code_used_up_by_its_limit_is_refused(shop, client, client_for):
    with schema_context(shop.tenant.schema_name):
        create_discount_code(
            seller=None,
            data=DiscountInput(code="ONCE", kind="percent", percent_bp=1000, max_redemptions=1),
        )
    add(client, shop.editor)
    call(client, "post", "/cart/code", {"code": "ONCE"})
    assert checkout(client).status_code == 201
    other = bearer_client(client_for, shop.tenant, make_user(shop.tenant, "late@example.com"))
    add(other, shop.editor)
    field_error(
        call(other, "post", "/cart/code", {"code": "ONCE"}),
        CommerceErrorCode.DISCOUNT_EXHAUSTED,
        "code",
    )


def test_exclusive_tax_is_added_per_line_and_inclusive_tax_is_inside_the_price(shop, client):
    with schema_context(shop.tenant.schema_name):
        policy.create_tax_rule(country="DE", region="", product_type="", name="VAT", rate_bp=1900)
        policy.create_tax_rule(
            country="DE", region="", product_type="software", name="VAT reduced", rate_bp=700
        )
    add(client, shop.editor)
    quote = call(client, "get", "/cart?country=DE").json()["quote"]
    assert (quote["tax"]["amount"], quote["total"]["amount"]) == (140, 2140)
    with schema_context(shop.tenant.schema_name):
        policy.update_settings(prices_include_tax=True)
    quote = call(client, "get", "/cart?country=DE").json()["quote"]
    # 20.00 including 7 %: tax = 2000 * 700 / 10700 = 130.84 -> 131
    assert (quote["tax"]["amount"], quote["total"]["amount"]) == (131, 2000)
    body = checkout(client).json()
    assert body["lines"][0]["tax_name"] == "VAT reduced"
    assert body["tax"]["amount"] == 131


def test_commission_seller_override_beats_category_beats_default(shop, client):
    tools = make_category(shop.tenant, "Tools")
    with schema_context(shop.tenant.schema_name):
        CategoryCommission.objects.create(category=tools, commission_rate_bp=2000)
    special = make_product(
        shop.tenant, shop.seller_two, "Special Tool", price=1000, category_slug=tools.slug
    )
    with schema_context(shop.tenant.schema_name):
        shop.seller_one.commission_rate_bp = 500
        shop.seller_one.save()
    add(client, shop.editor)  # seller one: 5 %
    add(client, special)  # category: 20 %
    add(client, shop.scanner)  # default: 10 %
    body = checkout(client).json()
    with schema_context(shop.tenant.schema_name):
        rates = dict(
            OrderLine.objects.filter(order_id=body["id"]).values_list(
                "product_id", "commission_rate_bp"
            )
        )
    assert rates == {shop.editor.pk: 500, special.pk: 2000, shop.scanner.pk: 1000}


def test_a_bundle_is_sold_at_its_price_split_over_its_items(shop, client, client_for):
    seller_client = client_for(shop.tenant)
    from tests.accounts_helpers import sign_in

    second = make_product(shop.tenant, shop.seller_one, "Swift Notes", price=1000)
    sign_in(seller_client, shop.seller_one.owner.email)
    created = call(
        seller_client,
        "post",
        "/seller/bundles",
        {
            "name": "Swift Suite",
            "amount": 2400,
            "currency": "USD",
            "items": [{"product_id": shop.editor.pk}, {"product_id": second.pk}],
        },
    )
    assert created.status_code == 201, created.content
    cart = call(client, "post", "/cart/bundles", {"bundle_id": created.json()["id"]}).json()
    assert cart["quote"]["total"]["amount"] == 2400
    body = checkout(client).json()
    assert [line["subtotal"]["amount"] for line in body["lines"]] == [1600, 800]


def test_a_custom_offer_is_bought_at_the_offered_price_once(shop, client, client_for):
    from tests.accounts_helpers import sign_in

    seller_client = client_for(shop.tenant)
    sign_in(seller_client, shop.seller_one.owner.email)
    offer = call(
        seller_client,
        "post",
        "/seller/offers",
        {
            "buyer_email": shop.buyer.email,
            "product_id": shop.editor.pk,
            "title": "Custom setup",
            "amount": 12345,
            "currency": "USD",
        },
    )
    assert offer.status_code == 201, offer.content
    offer_id = offer.json()["id"]
    stranger = bearer_client(client_for, shop.tenant, make_user(shop.tenant, "x@example.com"))
    field_error(
        call(stranger, "post", "/cart/offers", {"offer_id": offer_id}),
        CommerceErrorCode.OFFER_NOT_FOUND,
        "offer_id",
    )
    cart = call(client, "post", "/cart/offers", {"offer_id": offer_id}).json()
    assert cart["quote"]["total"]["amount"] == 12345
    assert checkout(client).status_code == 201
    field_error(
        call(client, "post", "/cart/offers", {"offer_id": offer_id}),
        CommerceErrorCode.OFFER_UNAVAILABLE,
        "offer_id",
    )
    assert ledger_totals(shop.tenant) == {"USD": 0}


def test_tax_rules_are_managed_by_operators_only(shop, client, client_for):
    from tests.accounts_helpers import signed_in_operator

    rule = {"country": "fr", "name": "TVA", "rate_bp": 2000}
    assert call(client, "post", "/operator/commerce/tax-rules", rule).status_code == 403
    operator, _ = signed_in_operator(client_for, shop.tenant)
    created = call(operator, "post", "/operator/commerce/tax-rules", rule)
    assert created.status_code == 201
    assert created.json()["country"] == "FR"
    duplicate = call(operator, "post", "/operator/commerce/tax-rules", rule)
    assert duplicate.status_code == 422
    with schema_context(shop.tenant.schema_name):
        assert TaxRule.objects.count() == 1
