"""The commerce pages: the product page's add-to-cart form, the cart (an anonymous visitor's,
merged into the buyer's at sign-in), checkout with the sandbox's success, decline and 3-D
Secure cards, the buyer's order pages and the seller's sub-orders (in the studio, where the old
``/seller/orders/`` addresses now lead); the test-mode banner;
and that nobody sees another buyer's order, another seller's sub-order or another
marketplace's anything."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.catalog.services.products import VariantData
from core.commerce.models import Cart, CartLine, DiscountKind, Order, OrderStatus, Payment
from core.commerce.services.offers import DiscountInput, create_discount_code, set_stock
from core.commerce.services.policy import create_tax_rule
from core.payments.providers.sandbox import (
    DECLINED_CARD,
    SUCCESS_CARD,
    THREE_D_SECURE_CARD,
    THREE_D_SECURE_CODE,
)
from core.sellers.models import Seller, TeamMember, TeamPermission
from tests.accounts_helpers import PASSWORD, make_user
from tests.catalog_helpers import make_product
from tests.commerce_helpers import make_shop

BANNER = "TEST MODE — no real money moves"


@pytest.fixture
def shop(tenant_a):
    return make_shop(tenant_a)


def text(response) -> str:
    return response.content.decode()


def signed_in(client: Client, email: str) -> Client:
    response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, text(response)
    return client


def buyer(client_for, shop, email: str | None = None) -> Client:
    return signed_in(client_for(shop.tenant), email or shop.buyer.email)


def add_to_cart(client: Client, product, quantity: int = 1, **extra):
    return client.post("/cart/add/", {"product_id": product.pk, "quantity": quantity, **extra})


def form_key(client: Client) -> str:
    """The idempotency key the checkout form was rendered with."""
    html = text(client.get("/checkout/"))
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found is not None, "the checkout form carries an idempotency key"
    return found.group(1)


def place(client: Client, card: str = SUCCESS_CARD, key: str | None = None, **fields):
    data = {"name": "Bea Buyer", "country": "DE", "region": "", "payment_method": card}
    data.update(fields)
    data["idempotency_key"] = key or form_key(client)
    return client.post("/checkout/", data)


def order_id_in(location: str) -> int:
    found = re.search(r"/account/orders/(\d+)/", location)
    assert found is not None, location
    return int(found.group(1))


def in_schema(tenant, fn):
    with schema_context(tenant.schema_name):
        return fn()


# --- product page and cart ----------------------------------------------------------------------


def test_product_page_has_an_add_to_cart_form_with_csrf(client_for, shop):
    html = text(client_for(shop.tenant).get(f"/p/{shop.editor.slug}/"))

    form = html.split('<form id="add-to-cart"')[1].split("</form>")[0]
    assert 'action="/cart/add/"' in form and 'hx-post="/cart/add/"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert f'name="product_id" value="{shop.editor.pk}"' in form
    assert 'name="quantity"' in form and 'name="variant"' not in form  # no variants here


def test_variant_select_and_an_unknown_option_shown_beside_the_field(client_for, shop):
    seats = make_product(
        shop.tenant,
        shop.seller_one,
        "Team Editor",
        price=3000,
        variants=[VariantData(name="Five seats", sku="five", prices={"USD": 9000}, seats=5)],
    )
    client = client_for(shop.tenant)
    html = text(client.get(f"/p/{seats.slug}/"))
    assert '<option value="five">Five seats &middot; 90.00 USD</option>' in html
    assert '<option value="">Standard &middot; 30.00 USD</option>' in html

    wrong = add_to_cart(client, seats, variant="six")
    assert wrong.status_code == 200
    field = text(wrong).split('id="add-to-cart-variant"')[1]
    assert "No such option." in field.split("</div>")[0]

    assert add_to_cart(client, seats, 2, variant="five")["Location"] == "/cart/"
    cart = text(client.get("/cart/"))
    assert "Team Editor - Five seats" in cart and "180.00 USD" in cart


def test_anonymous_cart_is_merged_into_the_buyers_cart_at_sign_in(client_for, shop):
    # The buyer left a scanner in their cart on another device.
    earlier = buyer(client_for, shop)
    assert add_to_cart(earlier, shop.scanner).status_code == 302
    visitor = client_for(shop.tenant)

    response = add_to_cart(visitor, shop.editor, 2)

    assert (response.status_code, response["Location"]) == (302, "/cart/")
    anonymous = text(visitor.get("/cart/"))
    assert "Swift Editor" in anonymous and "Secure Scanner" not in anonymous
    assert "40.00 USD" in anonymous
    signed_in(visitor, shop.buyer.email)
    merged = text(visitor.get("/cart/"))
    assert "Swift Editor" in merged and "Secure Scanner" in merged
    assert "55.00 USD" in merged  # 2 x 20.00 + 15.00
    carts = in_schema(
        shop.tenant, lambda: list(Cart.objects.values_list("buyer_id", "session_key"))
    )
    assert carts == [(shop.buyer.pk, None)]


def test_add_to_cart_over_htmx_answers_the_form_with_the_outcome(client_for, shop):
    client = client_for(shop.tenant)
    hx = {"HX-Request": "true"}

    bad = client.post("/cart/add/", {"product_id": shop.editor.pk, "quantity": "0"}, headers=hx)
    good = client.post("/cart/add/", {"product_id": shop.editor.pk, "quantity": "3"}, headers=hx)

    assert bad.status_code == 200 and "<html" not in text(bad)
    assert 'value="0"' in text(bad)  # what was typed stays
    assert "greater than or equal to 1" in text(bad).split('id="add-to-cart-quantity"')[1]
    assert "<html" not in text(good)
    assert "Added Swift Editor to your cart (1 item)" in text(good)
    assert in_schema(
        shop.tenant, lambda: list(CartLine.objects.values_list("quantity", flat=True))
    ) == [3]


def test_hidden_or_unknown_products_cannot_be_added(client_for, shop):
    draft = make_product(shop.tenant, shop.seller_one, "Draft Tool", publish=False)
    client = client_for(shop.tenant)
    assert add_to_cart(client, draft).status_code == 404
    assert client.post("/cart/add/", {"product_id": "x", "quantity": 1}).status_code == 404
    assert in_schema(shop.tenant, lambda: CartLine.objects.count()) == 0


def test_cart_quantity_stock_error_discount_code_and_tax(client_for, shop):
    with schema_context(shop.tenant.schema_name):
        set_stock(seller=shop.seller_one, product_id=shop.editor.pk, variant_id=None, available=3)
        create_discount_code(
            seller=None,
            data=DiscountInput(code="TENOFF", kind=DiscountKind.PERCENT, percent_bp=1000),
        )
        create_tax_rule(country="DE", region="", product_type="", name="VAT", rate_bp=1900)
    client = client_for(shop.tenant)
    add_to_cart(client, shop.editor)
    add_to_cart(client, shop.scanner)
    line_id = in_schema(shop.tenant, lambda: CartLine.objects.get(product=shop.editor).pk)

    too_many = client.post(f"/cart/lines/{line_id}/?country=DE", {"quantity": "5"})
    assert too_many.status_code == 200
    row = text(too_many).split(f'data-line="{line_id}"')[1].split("</tr>")[0]
    assert "Only 3 of &#x27;Swift Editor&#x27; left." in row and 'value="5"' in row
    assert client.post(f"/cart/lines/{line_id}/", {"quantity": "2"})["Location"] == "/cart/"

    wrong = client.post("/cart/code/", {"code": "NOPE"})
    assert "This code is not valid." in text(wrong).split('id="id_code"')[1].split("</div>")[0]
    assert 'value="NOPE"' in text(wrong)
    applied = client.post("/cart/code/?country=DE", {"code": "tenoff"})
    assert applied["Location"] == "/cart/?country=DE"

    html = text(client.get("/cart/?country=DE"))
    # 2 x 20.00 + 15.00 = 55.00, 10 % off = 49.50; 19 % VAT per line: 6.84 + 2.57 = 9.41
    assert "TENOFF" in html and "&minus;5.50 USD" in html
    assert "Tax (DE)" in html and "9.41 USD" in html
    assert "<td data-total>58.91 USD</td>" in html
    assert "added for your billing country" in text(client.get("/cart/"))
    assert client.post("/cart/code/remove/")["Location"] == "/cart/"
    assert client.post(f"/cart/lines/{line_id}/remove/")["Location"] == "/cart/"
    assert "Swift Editor" not in text(client.get("/cart/"))


def test_another_visitors_cart_line_is_not_found(client_for, shop):
    owner = client_for(shop.tenant)
    add_to_cart(owner, shop.editor)
    line_id = in_schema(shop.tenant, lambda: CartLine.objects.get().pk)
    stranger = client_for(shop.tenant)
    add_to_cart(stranger, shop.scanner)

    assert stranger.post(f"/cart/lines/{line_id}/", {"quantity": "9"}).status_code == 404
    assert stranger.post(f"/cart/lines/{line_id}/remove/").status_code == 404
    assert client_for(shop.tenant).post(f"/cart/lines/{line_id}/remove/").status_code == 404
    assert in_schema(shop.tenant, lambda: CartLine.objects.get(pk=line_id).quantity) == 1


def test_currency_switch_prices_the_cart_in_the_other_currency(client_for, make_tenant):
    tenant = make_tenant("euro-market", extra_currencies=["EUR"]).tenant
    shop = make_shop(tenant)
    euro = make_product(tenant, shop.seller_one, "Euro Tool", prices={"USD": 1000, "EUR": 900})
    client = client_for(tenant)
    add_to_cart(client, euro)
    assert '<option value="EUR">EUR</option>' in text(client.get("/cart/"))

    assert client.post("/cart/currency/", {"currency": "EUR"})["Location"] == "/cart/"

    assert "<td data-total>9.00 EUR</td>" in text(client.get("/cart/"))
    refused = client.post("/cart/currency/", {"currency": "JPY"})
    assert "Select a valid choice." in text(refused)


def test_a_problem_in_the_cart_is_shown_and_the_cart_kept(client_for, shop):
    client = client_for(shop.tenant)
    add_to_cart(client, shop.editor)
    with schema_context(shop.tenant.schema_name):
        Seller.objects.filter(pk=shop.seller_one.pk).update(verification_status="rejected")

    html = text(client.get("/cart/"))

    assert "cannot be bought right now" in html and "Swift Editor" in html
    assert 'href="/checkout/"' not in html


# --- checkout -----------------------------------------------------------------------------------


def test_checkout_asks_to_sign_in_first(client_for, shop):
    response = client_for(shop.tenant).get("/checkout/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/checkout/")


def test_checkout_pays_and_shows_the_order_with_a_sub_order_per_seller(
    client_for, shop, django_capture_on_commit_callbacks
):
    client = buyer(client_for, shop)
    add_to_cart(client, shop.editor, 2)
    add_to_cart(client, shop.scanner)
    form = text(client.get("/checkout/"))
    assert "4242424242424242" in form and "Asks for 3-D Secure confirmation" in form
    assert 'name="csrfmiddlewaretoken"' in form and 'value="Bea Buyer"' in form
    key = form_key(client)

    with django_capture_on_commit_callbacks(execute=True):  # the invoice comes after commit
        response = place(client, key=key)

    order_id = order_id_in(response["Location"])
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = text(page)
    assert f"Thank you: order {order_id} is paid." in html
    assert 'data-seller="acme"' in html and 'data-seller="bolt"' in html
    assert "Swift Editor" in html and "Secure Scanner" in html
    assert "<td data-total>55.00 USD</td>" in html
    assert "Order placed" in html and "Payment received" in html  # the history
    assert f'href="/account/orders/{order_id}/invoice.pdf"' in html
    pdf = client.get(f"/account/orders/{order_id}/invoice.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "Your cart is empty" in text(client.get("/checkout/"))
    listing = text(client.get("/account/orders/"))
    assert f'href="/account/orders/{order_id}/"' in listing and "55.00 USD" in listing

    # The same form sent again (a double click) answers the same order and charges nothing.
    again = place(client, key=key)
    assert again["Location"] == response["Location"]
    counts = in_schema(shop.tenant, lambda: (Order.objects.count(), Payment.objects.count()))
    assert counts == (1, 1)


def test_checkout_summary_is_priced_for_the_billing_country(client_for, shop):
    with schema_context(shop.tenant.schema_name):
        create_tax_rule(country="DE", region="", product_type="", name="VAT", rate_bp=1900)
    client = buyer(client_for, shop)
    add_to_cart(client, shop.editor)

    html = text(client.get("/checkout/?country=de", headers={"HX-Request": "true"}))

    summary = html.split('<aside id="summary"')[1].split("</aside>")[0]
    assert "Tax (DE)" in summary and "<td data-total>23.80 USD</td>" in summary
    assert 'hx-get="/checkout/"' in html.split('id="id_country"')[0].rsplit("<input", 1)[1]
    assert 'name="country" value="DE"' in html


def test_checkout_errors_keep_what_was_typed_and_place_nothing(client_for, shop):
    client = buyer(client_for, shop)
    add_to_cart(client, shop.editor)

    response = place(client, country="Germany", name="Bea B.", region="BY")

    html = text(response)
    assert response.status_code == 200
    country_field = html.split('id="id_country"')[1].split("</div>")[0]
    assert "Ensure this value has at most 2 characters" in country_field
    assert 'value="Germany"' in html and 'value="Bea B."' in html and 'value="BY"' in html
    assert f'value="{SUCCESS_CARD}"' in html
    bad_country = place(client, country="D1")
    assert "two-letter code" in text(bad_country).split('id="id_country"')[1].split("</div>")[0]
    assert in_schema(shop.tenant, lambda: Order.objects.count()) == 0


def test_declined_card_shows_the_message_and_another_card_pays_the_same_order(client_for, shop):
    client = buyer(client_for, shop)
    add_to_cart(client, shop.editor)

    response = place(client, card=DECLINED_CARD)

    order_id = order_id_in(response["Location"])
    assert response["Location"] == f"/account/orders/{order_id}/pay/"
    pay_page = text(client.get(response["Location"]))
    assert "The card was declined." in pay_page and "Pay 20.00 USD" in pay_page
    still_declined = client.post(response["Location"], {"payment_method": DECLINED_CARD})
    assert "The card was declined." in text(still_declined)
    assert f'value="{DECLINED_CARD}"' in text(still_declined)
    paid = client.post(response["Location"], {"payment_method": SUCCESS_CARD})
    assert paid["Location"] == f"/account/orders/{order_id}/"
    with schema_context(shop.tenant.schema_name):
        assert Order.objects.get(pk=order_id).status != OrderStatus.PENDING_PAYMENT
        assert list(Payment.objects.order_by("id").values_list("status", flat=True)) == [
            "failed",
            "failed",
            "succeeded",
        ]
        assert Order.objects.count() == 1
    # A paid order's pay page leads back to the order.
    assert (
        client.get(f"/account/orders/{order_id}/pay/")["Location"] == f"/account/orders/{order_id}/"
    )


def test_three_d_secure_asks_for_the_code_and_a_wrong_code_fails_the_attempt(client_for, shop):
    client = buyer(client_for, shop)
    add_to_cart(client, shop.scanner)

    response = place(client, card=THREE_D_SECURE_CARD)

    order_id = order_id_in(response["Location"])
    confirm = f"/account/orders/{order_id}/confirm/"
    assert response["Location"] == confirm
    assert f"the code is <code>{THREE_D_SECURE_CODE}</code>" in text(client.get(confirm))
    wrong = client.post(confirm, {"code": "000000"})
    assert wrong["Location"] == f"/account/orders/{order_id}/pay/"
    assert "The 3-D Secure confirmation failed." in text(client.get(wrong["Location"]))
    retry = client.post(wrong["Location"], {"payment_method": THREE_D_SECURE_CARD})
    assert retry["Location"] == confirm
    done = client.post(confirm, {"code": THREE_D_SECURE_CODE})
    assert done["Location"] == f"/account/orders/{order_id}/"
    assert in_schema(shop.tenant, lambda: Order.objects.get(pk=order_id).paid_at) is not None


def test_an_unpaid_order_can_be_cancelled(client_for, shop):
    client = buyer(client_for, shop)
    add_to_cart(client, shop.editor)
    order_id = order_id_in(place(client, card=DECLINED_CARD)["Location"])

    response = client.post(f"/account/orders/{order_id}/cancel/")

    assert response["Location"] == f"/account/orders/{order_id}/"
    assert f"Order {order_id} is cancelled." in text(client.get(response["Location"]))
    assert in_schema(shop.tenant, lambda: Order.objects.get(pk=order_id).status) == "cancelled"


# --- who sees what ------------------------------------------------------------------------------


def test_another_buyers_order_pages_are_not_found(client_for, shop):
    client = buyer(client_for, shop)
    add_to_cart(client, shop.editor)
    order_id = order_id_in(place(client, card=DECLINED_CARD)["Location"])
    make_user(shop.tenant, "other@example.com")
    other = signed_in(client_for(shop.tenant), "other@example.com")

    for path in ("/", "/pay/", "/confirm/", "/invoice.pdf"):
        assert other.get(f"/account/orders/{order_id}{path}").status_code == 404, path
    assert (
        other.post(f"/account/orders/{order_id}/pay/", {"payment_method": SUCCESS_CARD}).status_code
        == 404
    )
    assert other.post(f"/account/orders/{order_id}/cancel/").status_code == 404
    assert f"/account/orders/{order_id}/" not in text(other.get("/account/orders/"))
    assert (
        in_schema(shop.tenant, lambda: Order.objects.get(pk=order_id).status) == "pending_payment"
    )


def paid_order(client_for, shop) -> int:
    client = buyer(client_for, shop)
    add_to_cart(client, shop.editor)
    add_to_cart(client, shop.scanner)
    return order_id_in(place(client)["Location"])


def sub_order_ids(shop, order_id: int) -> dict[str, int]:
    with schema_context(shop.tenant.schema_name):
        order = Order.objects.get(pk=order_id)
        return {sub.seller.slug: sub.pk for sub in order.sub_orders.select_related("seller")}


def test_each_seller_sees_only_their_sub_order_in_the_studio(client_for, shop):
    order_id = paid_order(client_for, shop)
    subs = sub_order_ids(shop, order_id)
    acme = signed_in(client_for(shop.tenant), shop.seller_one.owner.email)

    old = acme.get("/seller/orders/")
    listing = text(acme.get("/studio/orders/?view=all"))
    detail = text(acme.get(f"/studio/orders/{subs['acme']}/"))

    assert (old.status_code, old["Location"]) == (301, "/studio/orders/")
    assert f'href="/studio/orders/{subs["acme"]}/"' in listing
    assert f"/studio/orders/{subs['bolt']}/" not in listing
    assert 'href="/studio/orders/" aria-current="page">Orders</a>' in listing
    assert "Swift Editor" in detail and "Secure Scanner" not in detail
    assert '<td class="money" data-seller-net>18.00 USD</td>' in detail  # 20.00 less 10 %
    assert "buyer@example.com" in detail
    assert acme.get(f"/studio/orders/{subs['bolt']}/").status_code == 404
    bolt = signed_in(client_for(shop.tenant), shop.seller_two.owner.email)
    assert "Secure Scanner" in text(bolt.get(f"/studio/orders/{subs['bolt']}/"))
    assert bolt.get(f"/studio/orders/{subs['acme']}/").status_code == 404


def test_seller_order_pages_need_the_process_orders_permission(client_for, shop):
    order_id = paid_order(client_for, shop)
    sub_id = sub_order_ids(shop, order_id)["acme"]
    clerk = make_user(shop.tenant, "clerk@example.com")
    with schema_context(shop.tenant.schema_name):
        membership = TeamMember.objects.create(
            seller=shop.seller_one, user=clerk, permissions=[TeamPermission.MANAGE_PRODUCTS]
        )
    client = signed_in(client_for(shop.tenant), "clerk@example.com")

    refused = client.get("/studio/orders/")

    assert refused.status_code == 403 and "Orders needs the team permission" in text(refused)
    assert client.get(f"/studio/orders/{sub_id}/").status_code == 403
    with schema_context(shop.tenant.schema_name):
        membership.permissions = [TeamPermission.PROCESS_ORDERS]
        membership.save()
    assert client.get(f"/studio/orders/{sub_id}/").status_code == 200
    assert buyer(client_for, shop).get("/studio/orders/").status_code == 403
    anonymous = client_for(shop.tenant).get("/seller/orders/", follow=True)
    assert anonymous.redirect_chain[-1][0] == "/accounts/login/?next=/studio/orders/"


def test_a_marketplace_never_shows_another_marketplaces_order(client_for, shop, tenant_b):
    order_id = paid_order(client_for, shop)
    client = buyer(client_for, shop)
    make_user(tenant_b, shop.buyer.email)
    on_b = signed_in(client_for(tenant_b), shop.buyer.email)

    assert on_b.get(f"/account/orders/{order_id}/").status_code == 404
    assert on_b.get(f"/account/orders/{order_id}/invoice.pdf").status_code == 404
    assert "You have no orders yet." in text(on_b.get("/account/orders/"))
    # Tenant A's session cookie means nothing on tenant B's host.
    client.defaults["HTTP_HOST"] = on_b.defaults["HTTP_HOST"]
    response = client.get(f"/account/orders/{order_id}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- the banner, and query counts ---------------------------------------------------------------


def test_test_mode_banner_on_storefront_pages_of_both_themes(
    client_for, shop, tenant_b, platform_client
):
    pages_a = ["/", f"/p/{shop.editor.slug}/", "/cart/", "/accounts/login/"]
    for path in pages_a:
        html = text(client_for(shop.tenant).get(path))
        assert f'<p class="test-mode-banner" role="note">{BANNER}</p>' in html, path
    bazaar = text(client_for(tenant_b).get("/"))
    assert 'class="theme-bazaar"' in bazaar and BANNER in bazaar
    assert BANNER not in text(platform_client.get("/"))


def test_no_banner_when_the_provider_moves_real_money(client_for, shop, monkeypatch):
    class LiveProvider:
        is_test_mode = False

    monkeypatch.setattr("core.commerce.templatetags.commerce.get_provider", LiveProvider)
    assert BANNER not in text(client_for(shop.tenant).get("/"))


def test_order_lists_take_the_same_queries_however_many_orders(client_for, shop):
    client = buyer(client_for, shop)
    seller = signed_in(client_for(shop.tenant), shop.seller_one.owner.email)

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as buyer_pages:
            assert client.get("/account/orders/").status_code == 200
        with CaptureQueriesContext(connection) as seller_pages:
            assert seller.get("/studio/orders/?view=all").status_code == 200
        return len(buyer_pages), len(seller_pages)

    add_to_cart(client, shop.editor)
    place(client)
    one = counts()
    for _ in range(3):
        add_to_cart(client, shop.editor)
        add_to_cart(client, shop.scanner)
        place(client)
    assert counts() == one
