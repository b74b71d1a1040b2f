"""Conversion tracking (core/analytics): product page views, carts and checkouts counted in
Redis, flushed exactly once into daily aggregates, per marketplace; bots and prefetches left
out; the studio's analytics page and its CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.analytics import counters
from core.analytics.consumers import count_completed_checkout
from core.analytics.flush import _add_batch, flush_counters
from core.analytics.models import FlushedBatch, ProductDailyStats, TrafficSourceDaily
from core.schema import current_schema_name
from tests.accounts_helpers import sign_in
from tests.catalog_helpers import make_product
from tests.commerce_helpers import add, bearer_client, checkout, make_shop

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


@pytest.fixture
def shop(tenant_a, redis_url):
    return make_shop(tenant_a)


def view(client, product, capture, **extra):
    with capture(execute=True):
        return client.get(f"/p/{product.slug}/", HTTP_USER_AGENT=BROWSER, **extra)


def flush(tenant):
    with schema_context(tenant.schema_name):
        return flush_counters()


def stats(tenant, product):
    with schema_context(tenant.schema_name):
        row = ProductDailyStats.objects.filter(product_id=product.pk).first()
        if row is None:
            return None
        return (row.views, row.add_to_carts, row.checkouts_started, row.checkouts_completed)


def test_a_product_view_is_added_to_the_daily_row_once_however_often_the_flush_runs(
    shop, client_for, django_capture_on_commit_callbacks
):
    client = client_for(shop.tenant)
    assert view(client, shop.editor, django_capture_on_commit_callbacks).status_code == 200
    assert view(client, shop.editor, django_capture_on_commit_callbacks).status_code == 200

    assert flush(shop.tenant) == 1
    assert flush(shop.tenant) == 0
    assert flush(shop.tenant) == 0

    assert stats(shop.tenant, shop.editor) == (2, 0, 0, 0)
    with schema_context(shop.tenant.schema_name):
        row = ProductDailyStats.objects.get(product_id=shop.editor.pk)
        assert (row.seller_id, row.product_type, row.day) == (
            shop.seller_one.pk,
            "software",
            timezone.now().date(),
        )
        assert FlushedBatch.objects.count() == 1


def test_a_flush_that_died_after_committing_never_adds_its_batch_twice(
    shop, client_for, django_capture_on_commit_callbacks
):
    client = client_for(shop.tenant)
    view(client, shop.editor, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        schema = current_schema_name()
        store = counters.store()
        # The first flusher sealed the batch and committed the sums, then died before it
        # could delete the batch from Redis.
        store.seal(schema, "died-here")
        assert _add_batch("died-here", store.read(schema, "died-here")) is True
        assert store.pending(schema) == ["died-here"]

        assert flush_counters() == 0

        assert store.pending(schema) == []
    assert stats(shop.tenant, shop.editor) == (1, 0, 0, 0)


def test_views_arriving_during_a_flush_wait_for_the_next_one(
    shop, client_for, django_capture_on_commit_callbacks
):
    client = client_for(shop.tenant)
    view(client, shop.editor, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        schema = current_schema_name()
        counters.store().seal(schema, "first")
    view(client, shop.editor, django_capture_on_commit_callbacks)

    assert flush(shop.tenant) == 2
    assert stats(shop.tenant, shop.editor) == (2, 0, 0, 0)


@pytest.mark.parametrize(
    ("method", "agent", "headers"),
    [
        ("head", BROWSER, {}),
        ("get", "Googlebot/2.1 (+http://www.google.com/bot.html)", {}),
        ("get", "Mozilla/5.0 (compatible; bingbot/2.0)", {}),
        ("get", "curl/8.5.0", {}),
        ("get", "python-requests/2.32", {}),
        ("get", "", {}),
        ("get", BROWSER, {"HTTP_SEC_PURPOSE": "prefetch"}),
        ("get", BROWSER, {"HTTP_PURPOSE": "prefetch"}),
        ("get", BROWSER, {"HTTP_X_MOZ": "prefetch"}),
    ],
)
def test_bots_heads_and_prefetches_are_not_counted(
    shop, client_for, django_capture_on_commit_callbacks, method, agent, headers
):
    client = client_for(shop.tenant)
    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method)(
            f"/p/{shop.editor.slug}/", HTTP_USER_AGENT=agent, **headers
        )
    assert response.status_code == 200

    flush(shop.tenant)

    assert stats(shop.tenant, shop.editor) is None


def test_a_missing_product_page_is_not_counted(
    shop, client_for, django_capture_on_commit_callbacks
):
    client = client_for(shop.tenant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/p/no-such-thing/", HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 404
    flush(shop.tenant)
    with schema_context(shop.tenant.schema_name):
        assert not ProductDailyStats.objects.exists()


def test_traffic_sources_are_summed_by_referrer_host_and_utm_parameters(
    shop, client_for, django_capture_on_commit_callbacks
):
    client = client_for(shop.tenant)
    capture = django_capture_on_commit_callbacks
    view(client, shop.editor, capture, HTTP_REFERER="https://www.example.org/blog/post")
    view(client, shop.editor, capture, HTTP_REFERER="https://example.org/other")
    with capture(execute=True):
        client.get(
            f"/p/{shop.editor.slug}/",
            {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "winter"},
            HTTP_USER_AGENT=BROWSER,
        )
    # A link from the marketplace itself is not a referrer.
    view(client, shop.editor, capture, HTTP_REFERER="http://alpha-market.souk.test/search/")

    flush(shop.tenant)

    with schema_context(shop.tenant.schema_name):
        rows = sorted(
            TrafficSourceDaily.objects.values_list(
                "referrer_host", "utm_source", "utm_medium", "utm_campaign", "views"
            )
        )
    assert rows == [
        ("", "", "", "", 1),
        ("", "newsletter", "email", "winter", 1),
        ("example.org", "", "", "", 2),
    ]


def test_carts_and_checkouts_are_counted_and_a_redelivered_payment_counts_once(
    shop, client_for, django_capture_on_commit_callbacks
):
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    with django_capture_on_commit_callbacks(execute=True):
        add(buyer, shop.editor)
        add(buyer, shop.scanner)
    with django_capture_on_commit_callbacks(execute=True):
        order = checkout(buyer)
    assert order.status_code == 201, order.content
    order_id = order.json()["id"]
    with schema_context(shop.tenant.schema_name):
        # The outbox delivers order.paid again (a worker died after the consumer ran).
        count_completed_checkout(
            {"order_id": order_id, "lines": [{"product_id": shop.editor.pk}], "sub_orders": []}
        )

    flush(shop.tenant)

    assert stats(shop.tenant, shop.editor) == (0, 1, 1, 1)
    assert stats(shop.tenant, shop.scanner) == (0, 1, 1, 1)


def test_a_refused_cart_add_counts_nothing(shop, client_for, django_capture_on_commit_callbacks):
    hidden = make_product(shop.tenant, shop.seller_one, "Draft Thing", publish=False)
    buyer = bearer_client(client_for, shop.tenant, shop.buyer)
    with django_capture_on_commit_callbacks(execute=True):
        assert add(buyer, hidden).status_code >= 400

    flush(shop.tenant)

    assert stats(shop.tenant, hidden) is None


def test_each_marketplace_flushes_and_sees_only_its_own_counts(
    shop, client_for, django_capture_on_commit_callbacks, tenant_b
):
    view(client_for(shop.tenant), shop.editor, django_capture_on_commit_callbacks)

    assert flush(tenant_b) == 0
    with schema_context(tenant_b.schema_name):
        assert not ProductDailyStats.objects.exists()
        assert not FlushedBatch.objects.exists()
    assert flush(shop.tenant) == 1
    assert stats(shop.tenant, shop.editor) == (1, 0, 0, 0)


def signed_in(client_for, tenant, email):
    client = client_for(tenant)
    assert sign_in(client, email).status_code == 200
    return client


def test_the_analytics_page_shows_the_funnel_products_and_sources_of_this_seller_only(
    shop, client_for, django_capture_on_commit_callbacks
):
    client = client_for(shop.tenant)
    capture = django_capture_on_commit_callbacks
    view(client, shop.editor, capture, HTTP_REFERER="https://news.example.net/")
    view(client, shop.scanner, capture, HTTP_REFERER="https://rival.example.com/")
    flush(shop.tenant)
    owner = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)

    response = owner.get("/studio/analytics/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chart-funnel"' in html
    assert "Swift Editor" in html
    assert "news.example.net" in html
    assert "Secure Scanner" not in html
    assert "rival.example.com" not in html


def test_the_csv_export_lists_the_sellers_products_with_formulas_defused(
    shop, client_for, django_capture_on_commit_callbacks
):
    sneaky = make_product(shop.tenant, shop.seller_one, "=HYPERLINK(evil)", price=500)
    client = client_for(shop.tenant)
    view(client, sneaky, django_capture_on_commit_callbacks)
    view(client, shop.editor, django_capture_on_commit_callbacks)
    view(client, shop.editor, django_capture_on_commit_callbacks)
    view(client, shop.scanner, django_capture_on_commit_callbacks)
    flush(shop.tenant)
    owner = signed_in(client_for, shop.tenant, shop.seller_one.owner.email)

    response = owner.get("/studio/analytics/export.csv", {"range": "7"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["product_id", "product", "product_type", "views"]
    assert [(row[1], row[3]) for row in rows[1:]] == [
        ("Swift Editor", "2"),
        ("'=HYPERLINK(evil)", "1"),
    ]
