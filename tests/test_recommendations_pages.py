"""The recommendation shelves on the storefront's pages and in the API: what they show, to whom,
how little they cost, and that nothing crosses tenants."""

from __future__ import annotations

import re
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from core.recommendations.services.record_purchases import record_paid_order
from core.recommendations.viewed import viewed_product_ids
from tests.accounts_helpers import call, make_user
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import buyer_client, make_shop

# The anonymous product page once its caches are warm: host -> tenant and branding, enabled
# modules, the product with its seller, category, prices, variants and images, the reviews
# block, the module panel and the plans. The shelves add none (cached cards).
PRODUCT_PAGE_QUERIES = 11
# The signed-in buyer's home page once warm: the anonymous page's 8, the session, the user and
# the account menu's seller check. Its two shelves add none (cached ids, cards and ownership).
SIGNED_IN_HOME_QUERIES = 11


@pytest.fixture
def shop(tenant_a, redis_url):
    shop = make_shop(tenant_a)
    extra = make_seller(tenant_a, "cobalt", "Cobalt Labs")
    shop.sidekick = make_product(tenant_a, extra, "Swift Editor themes", summary="Editor themes")
    other = make_user(tenant_a, "other@example.com")
    with schema_context(tenant_a.schema_name):
        record_paid_order(
            order_id=1,
            buyer_id=other.pk,
            product_ids=[shop.editor.pk, shop.scanner.pk],
            paid_at=timezone.now(),
        )
    return shop


def shelf_slugs(page: str, key: str) -> list[str]:
    match = re.search(rf'<section class="shelf" data-shelf="{key}">(.*?)</section>', page, re.S)
    if match is None:
        return []
    return re.findall(r'data-product="([^"]+)"', match.group(1))


def test_the_product_page_shows_customers_also_bought_and_similar_products(shop, client_for):
    page = client_for(shop.tenant).get(f"/p/{shop.editor.slug}/").content.decode()

    assert "Customers also bought" in page
    assert shelf_slugs(page, "also_bought")[0] == shop.scanner.slug
    # Shares "Swift Editor" with the product.
    assert shelf_slugs(page, "similar")[0] == shop.sidekick.slug
    assert shop.editor.slug not in shelf_slugs(page, "also_bought") + shelf_slugs(page, "similar")


def test_anonymous_pages_start_no_session_and_show_no_personal_shelves(shop, client_for):
    client = client_for(shop.tenant)
    product = client.get(f"/p/{shop.editor.slug}/")
    home = client.get("/")

    for response in (product, home):
        assert settings.SESSION_COOKIE_NAME not in response.cookies
    page = home.content.decode()
    assert 'data-shelf="recently_viewed"' not in page
    assert 'data-shelf="for_you"' not in page


def test_a_signed_in_buyers_home_shows_recently_viewed_newest_first_and_picks(shop, client_for):
    client = buyer_client(client_for, shop)
    client.get(f"/p/{shop.editor.slug}/")
    client.get(f"/p/{shop.scanner.slug}/")
    client.get(f"/p/{shop.editor.slug}/")

    page = client.get("/").content.decode()

    assert "Recently viewed" in page
    assert shelf_slugs(page, "recently_viewed") == [shop.editor.slug, shop.scanner.slug]
    assert "Recommended for you" in page
    # Nothing bought yet: the marketplace's bestsellers (one buyer each, newest first), then
    # the rest.
    assert shelf_slugs(page, "for_you") == [
        shop.scanner.slug,
        shop.editor.slug,
        shop.sidekick.slug,
    ]


def test_an_unpublished_product_leaves_the_recently_viewed_shelf(
    shop, client_for, django_assert_max_num_queries
):
    from core.catalog.services.products import transition

    client = buyer_client(client_for, shop)
    client.get(f"/p/{shop.scanner.slug}/")
    client.get(f"/p/{shop.editor.slug}/")
    with schema_context(shop.tenant.schema_name):
        transition(product=shop.scanner, action="unpublish")

    page = client.get("/").content.decode()

    assert shelf_slugs(page, "recently_viewed") == [shop.editor.slug]
    # The unpublished product's id in the list costs no query on the next pages.
    with django_assert_max_num_queries(SIGNED_IN_HOME_QUERIES):
        assert shelf_slugs(client.get("/").content.decode(), "recently_viewed") == [
            shop.editor.slug
        ]


def test_the_anonymous_product_page_reads_a_fixed_number_of_queries(
    shop, client_for, django_assert_max_num_queries
):
    client = client_for(shop.tenant)
    assert client.get(f"/p/{shop.editor.slug}/").status_code == 200  # warm the caches
    with django_assert_max_num_queries(PRODUCT_PAGE_QUERIES):
        page = client.get(f"/p/{shop.editor.slug}/").content.decode()
    assert shelf_slugs(page, "also_bought")


def test_the_signed_in_home_page_reads_a_fixed_number_of_queries(
    shop, client_for, django_assert_max_num_queries
):
    client = buyer_client(client_for, shop)
    for product in (shop.editor, shop.scanner, shop.sidekick):
        client.get(f"/p/{product.slug}/")
    assert client.get("/").status_code == 200  # warm the caches
    with django_assert_max_num_queries(SIGNED_IN_HOME_QUERIES):
        page = client.get("/").content.decode()
    assert len(shelf_slugs(page, "recently_viewed")) == 3


def test_the_api_answers_each_shelf(shop, client_for):
    client = buyer_client(client_for, shop)
    client.get(f"/p/{shop.scanner.slug}/")

    also = call(client, "get", f"/recommendations/products/{shop.editor.slug}/also-bought")
    similar = call(client, "get", f"/recommendations/products/{shop.editor.slug}/similar?limit=1")
    viewed = call(client, "get", "/recommendations/me/recently-viewed")
    for_you = call(client, "get", "/recommendations/me/for-you")

    assert also.status_code == 200
    assert also.json()["strategy"] == "also_bought"
    assert also.json()["items"][0]["slug"] == shop.scanner.slug
    assert [item["slug"] for item in similar.json()["items"]] == [shop.sidekick.slug]
    assert [item["slug"] for item in viewed.json()["items"]] == [shop.scanner.slug]
    assert for_you.status_code == 200
    assert for_you.json()["strategy"] == "for_you"
    assert len(for_you.json()["items"]) == 3


def test_the_api_refuses_an_unknown_product_and_a_buyers_shelf_to_nobody(shop, client_for):
    client = client_for(shop.tenant)

    missing = call(client, "get", "/recommendations/products/no-such-thing/also-bought")
    anonymous = call(client, "get", "/recommendations/me/for-you")
    too_many = call(client, "get", f"/recommendations/products/{shop.editor.slug}/similar?limit=99")

    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "product_not_found"
    assert anonymous.status_code == 401
    assert too_many.status_code == 422
    assert too_many.json()["error"]["details"]


def test_shelves_and_viewed_lists_never_cross_tenants(shop, tenant_b, client_for):
    seller = make_seller(tenant_b, "acme", "Acme Tools")
    with schema_context(tenant_b.schema_name), connection.cursor() as cursor:
        # Each schema has its own sequences: tenant_b's product and buyer get tenant_a's ids.
        for table, taken in (("catalog_product", shop.editor.pk), ("accounts_user", shop.buyer.pk)):
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, taken - 1]
            )
    editor = make_product(tenant_b, seller, "Quiet Editor", price=2000)
    make_product(tenant_b, seller, "Quiet Scanner", price=1500)
    buyer = make_user(tenant_b, f"b-{uuid.uuid4().hex[:6]}@example.com")
    assert (editor.pk, buyer.pk) == (shop.editor.pk, shop.buyer.pk)
    client_a = buyer_client(client_for, shop)
    client_a.get(f"/p/{shop.editor.slug}/")

    also = call(client_for(tenant_b), "get", f"/recommendations/products/{editor.slug}/also-bought")

    assert [item["name"] for item in also.json()["items"]] == ["Quiet Scanner"]
    with schema_context(tenant_b.schema_name):
        assert viewed_product_ids(buyer.pk) == []
    with schema_context(shop.tenant.schema_name):
        assert viewed_product_ids(shop.buyer.pk) == [shop.editor.pk]
