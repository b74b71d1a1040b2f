"""Recommendations: co-purchase counts from paid orders (once per order), the strategies, the
fallbacks, and everything they must never recommend."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.services.products import transition
from core.commerce.models import OrderLine
from core.commerce.services.refunds import refund_order
from core.outbox.models import OutboxEvent
from core.recommendations.consumers import count_purchases
from core.recommendations.models import BuyerProduct, ProductSales, PurchasePair, RecordedOrder
from core.recommendations.recommenders import AlsoBought, Context, get_recommender
from core.recommendations.services.record_purchases import record_paid_order
from core.recommendations.shelves import home_shelves, product_shelves
from core.sellers.models import SellerStatus
from core.sellers.services.review import set_seller_status
from tenants.services import set_module_enabled
from tests.accounts_helpers import make_user
from tests.catalog_helpers import make_category, make_product, make_seller
from tests.commerce_helpers import add, buyer_client, checkout, make_shop


@pytest.fixture
def shop(tenant_a, redis_url):
    return make_shop(tenant_a)


def bought(tenant, order_id, buyer, *products):
    with schema_context(tenant.schema_name):
        return record_paid_order(
            order_id=order_id,
            buyer_id=buyer.pk,
            product_ids=[p.pk for p in products],
            paid_at=timezone.now(),
        )


def pair_count(tenant, product, other):
    with schema_context(tenant.schema_name):
        row = PurchasePair.objects.filter(product=product, other=other).first()
        return row.buyers if row else 0


def recommend(tenant, strategy, **context):
    with schema_context(tenant.schema_name):
        return get_recommender(strategy).recommend(Context(**context))


def buyers(tenant, count):
    return [make_user(tenant, f"b{n}-{uuid.uuid4().hex[:6]}@example.com") for n in range(count)]


def test_a_paid_checkout_counts_each_pair_once_and_a_replayed_event_counts_nothing(
    shop, client_for, django_capture_on_commit_callbacks
):
    client = buyer_client(client_for, shop)
    add(client, shop.editor)
    add(client, shop.scanner)
    with django_capture_on_commit_callbacks(execute=True):
        assert checkout(client).status_code == 201

    assert pair_count(shop.tenant, shop.editor, shop.scanner) == 1
    assert pair_count(shop.tenant, shop.scanner, shop.editor) == 1
    with schema_context(shop.tenant.schema_name):
        assert dict(ProductSales.objects.values_list("product_id", "buyers")) == {
            shop.editor.pk: 1,
            shop.scanner.pk: 1,
        }
        event = OutboxEvent.objects.get(event_type="order.paid")
        assert event.dispatched_at is not None
        count_purchases(event.payload)  # the outbox delivers it again
        assert RecordedOrder.objects.count() == 1
    assert pair_count(shop.tenant, shop.editor, shop.scanner) == 1
    with schema_context(shop.tenant.schema_name):
        assert ProductSales.objects.get(product=shop.editor).buyers == 1


def test_pairs_count_buyers_not_orders_and_join_earlier_purchases(tenant_a, redis_url):
    seller = make_seller(tenant_a, "acme")
    one, two, three = (make_product(tenant_a, seller, name) for name in ("One", "Two", "Three"))
    (buyer,) = buyers(tenant_a, 1)

    assert bought(tenant_a, 1, buyer, one)
    assert bought(tenant_a, 2, buyer, two, one)  # one again: not a new buyer of it
    assert bought(tenant_a, 3, buyer, three)

    assert pair_count(tenant_a, one, two) == 1
    assert pair_count(tenant_a, two, three) == 1
    assert pair_count(tenant_a, three, one) == 1
    with schema_context(tenant_a.schema_name):
        assert ProductSales.objects.get(product=one).buyers == 1
        assert BuyerProduct.objects.filter(buyer=buyer).count() == 3


def test_a_refund_takes_no_count_back(shop, client_for, django_capture_on_commit_callbacks):
    client = buyer_client(client_for, shop)
    add(client, shop.editor)
    add(client, shop.scanner)
    with django_capture_on_commit_callbacks(execute=True):
        order_id = checkout(client).json()["id"]
    with schema_context(shop.tenant.schema_name):
        line = OrderLine.objects.get(order_id=order_id, product=shop.scanner)
        with django_capture_on_commit_callbacks(execute=True):
            refund_order(
                order_id=order_id,
                lines=None,
                reason="changed my mind",
                idempotency_key=uuid.uuid4().hex,
                actor=None,
                actor_label="test",
            )
        assert OutboxEvent.objects.filter(event_type="refund.created").exists()
        assert line.pk
    # Decided: the pair still shows the two interest the same buyers.
    assert pair_count(shop.tenant, shop.editor, shop.scanner) == 1


def test_customers_also_bought_ranks_by_buyers_who_bought_both(tenant_a, redis_url):
    seller = make_seller(tenant_a, "acme")
    seed, often, once, never = (
        make_product(tenant_a, seller, name) for name in ("Seed", "Often", "Once", "Never")
    )
    people = buyers(tenant_a, 3)
    bought(tenant_a, 1, people[0], seed, often)
    bought(tenant_a, 2, people[1], seed, often, once)
    bought(tenant_a, 3, people[2], never)

    with schema_context(tenant_a.schema_name):
        assert AlsoBought().recommend(Context(product_id=seed.pk)) == [often.pk, once.pk]
    # Topped up by the marketplace's bestsellers, the product itself never among them.
    assert recommend(tenant_a, "also_bought", product_id=seed.pk, limit=3) == [
        often.pk,
        once.pk,
        never.pk,
    ]


def test_similar_products_share_the_products_words(tenant_a, redis_url):
    seller = make_seller(tenant_a, "acme")
    seed = make_product(tenant_a, seller, "Python testing course", summary="Learn pytest fixtures")
    close = make_product(tenant_a, seller, "Advanced Python testing", summary="pytest plugins")
    loose = make_product(tenant_a, seller, "Python for gardeners", summary="Soil and seeds")
    make_product(tenant_a, seller, "Garden shears", summary="Sharp steel blades")

    assert recommend(tenant_a, "similar", product_id=seed.pk, limit=2) == [close.pk, loose.pk]


def test_cold_start_falls_back_to_the_categorys_bestsellers_then_the_marketplaces(
    tenant_a, redis_url
):
    seller = make_seller(tenant_a, "acme")
    tools = make_category(tenant_a, "Tools")
    games = make_category(tenant_a, "Games")
    seed = make_product(tenant_a, seller, "New tool", category_slug=tools.slug)
    tool_hit = make_product(tenant_a, seller, "Tool hit", category_slug=tools.slug)
    tool_quiet = make_product(tenant_a, seller, "Tool quiet", category_slug=tools.slug)
    game_hit = make_product(tenant_a, seller, "Game hit", category_slug=games.slug)
    people = buyers(tenant_a, 3)
    bought(tenant_a, 1, people[0], tool_hit)
    bought(tenant_a, 2, people[1], game_hit)
    bought(tenant_a, 3, people[2], game_hit)

    # Nobody bought the new product with anything: the category's bestsellers, then the rest.
    assert recommend(
        tenant_a, "also_bought", product_id=seed.pk, category_paths=(tools.path,), limit=4
    ) == [tool_hit.pk, tool_quiet.pk, game_hit.pk]
    # A buyer who never bought anything gets the marketplace's bestsellers.
    (newcomer,) = buyers(tenant_a, 1)
    assert recommend(tenant_a, "for_you", buyer_id=newcomer.pk, limit=2) == [
        game_hit.pk,
        tool_hit.pk,
    ]


def test_for_you_follows_the_buyers_purchases_and_their_categories(tenant_a, redis_url):
    seller = make_seller(tenant_a, "acme")
    tools = make_category(tenant_a, "Tools")
    mine = make_product(tenant_a, seller, "Mine", category_slug=tools.slug)
    partner = make_product(tenant_a, seller, "Partner")
    same_category = make_product(tenant_a, seller, "Same category", category_slug=tools.slug)
    elsewhere = make_product(tenant_a, seller, "Elsewhere")
    me, other, third = buyers(tenant_a, 3)
    bought(tenant_a, 1, other, mine, partner)
    bought(tenant_a, 2, third, elsewhere)
    bought(tenant_a, 3, me, mine)

    assert recommend(tenant_a, "for_you", buyer_id=me.pk, limit=3) == [
        partner.pk,
        same_category.pk,
        elsewhere.pk,
    ]


def test_never_recommends_unpublished_products_or_an_inactive_sellers(tenant_a, redis_url):
    acme = make_seller(tenant_a, "acme")
    bolt = make_seller(tenant_a, "bolt")
    # All "planner"s: alike by text, too.
    seed = make_product(tenant_a, acme, "Seed planner")
    drafted = make_product(tenant_a, acme, "Planner drafted later")
    suspended = make_product(tenant_a, bolt, "Planner of a seller who stops")
    live = make_product(tenant_a, acme, "Planner still live")
    buyer, fan = buyers(tenant_a, 2)
    bought(tenant_a, 1, buyer, seed, drafted, suspended, live)
    bought(tenant_a, 2, fan, seed)

    with schema_context(tenant_a.schema_name):
        transition(product=drafted, action="unpublish")
        set_seller_status(seller=bolt, status=SellerStatus.INACTIVE)
    for strategy in ("also_bought", "similar", "bestsellers"):
        assert recommend(tenant_a, strategy, product_id=seed.pk, limit=10) == [live.pk]
    assert recommend(tenant_a, "for_you", buyer_id=fan.pk, limit=10) == [live.pk]


def test_never_recommends_a_product_of_a_module_switched_off(make_tenant, redis_url):
    tenant = make_tenant("mixed-market", modules=["alpha", "beta"]).tenant
    seller = make_seller(tenant, "acme", product_types=("software", "service"))
    seed = make_product(tenant, seller, "Seed app")
    service = make_product(tenant, seller, "Setup service", product_type="service")
    (buyer,) = buyers(tenant, 1)
    bought(tenant, 1, buyer, seed, service)
    assert recommend(tenant, "also_bought", product_id=seed.pk, limit=5) == [service.pk]

    set_module_enabled(tenant=tenant, key="beta", is_enabled=False)

    assert recommend(tenant, "also_bought", product_id=seed.pk, limit=5) == []
    assert recommend(tenant, "bestsellers", limit=5) == [seed.pk]


def test_never_recommends_what_the_buyer_owns_but_services_may_be_bought_again(
    make_tenant, redis_url, client_for, django_capture_on_commit_callbacks
):
    tenant = make_tenant("mixed-market", modules=["alpha", "beta"]).tenant
    shop = make_shop(tenant)
    seller = make_seller(tenant, "svc", product_types=("service",))
    service = make_product(tenant, seller, "Setup service", product_type="service")
    (other,) = buyers(tenant, 1)
    bought(tenant, 1, other, shop.editor, shop.scanner, service)
    # The buyer pays for the scanner (a licence: kept) and the service (a booking: bought
    # again when needed).
    client = buyer_client(client_for, shop)
    add(client, shop.scanner)
    add(client, service)
    with django_capture_on_commit_callbacks(execute=True):
        assert checkout(client).status_code == 201

    with schema_context(tenant.schema_name):
        shelves = product_shelves(
            product_id=shop.editor.pk, category_path=None, buyer_id=shop.buyer.pk, currency="USD"
        )
        anonymous = product_shelves(
            product_id=shop.editor.pk, category_path=None, buyer_id=None, currency="USD"
        )
    shown = [item["id"] for shelf in shelves for item in shelf.items]
    assert service.pk in shown
    assert shop.scanner.pk not in shown
    assert shop.scanner.pk in [item["id"] for shelf in anonymous for item in shelf.items]
    with schema_context(tenant.schema_name):
        for_you = home_shelves(buyer_id=shop.buyer.pk, currency="USD")[-1]
    assert for_you.key == "for_you"
    assert for_you.items[0]["id"] == shop.editor.pk
    assert shop.scanner.pk not in [item["id"] for item in for_you.items]
    page = client.get(f"/p/{shop.editor.slug}/").content.decode()
    assert f'data-product="{service.slug}"' in page
    assert f'data-product="{shop.scanner.slug}"' not in page


def test_co_purchase_counts_never_cross_tenants(tenant_a, tenant_b, redis_url):
    seller_a, seller_b = make_seller(tenant_a, "acme"), make_seller(tenant_b, "acme")
    a1, a2 = make_product(tenant_a, seller_a, "One"), make_product(tenant_a, seller_a, "Two")
    with schema_context(tenant_b.schema_name), connection.cursor() as cursor:
        # Each schema has its own sequences: line tenant_b's products up with tenant_a's ids.
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('catalog_product', 'id'), %s)", [a1.pk - 1]
        )
    b1, b2 = make_product(tenant_b, seller_b, "Uno"), make_product(tenant_b, seller_b, "Dos")
    assert (a1.pk, a2.pk) == (b1.pk, b2.pk)
    (buyer,) = buyers(tenant_a, 1)
    bought(tenant_a, 1, buyer, a1, a2)

    with schema_context(tenant_b.schema_name):
        assert not PurchasePair.objects.exists()
        assert AlsoBought().recommend(Context(product_id=b1.pk)) == []
    assert pair_count(tenant_a, a1, a2) == 1
