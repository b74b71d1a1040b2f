"""Render time and SQL statements of the seller dashboard (``/studio/``) and the operator
dashboard (``/operator/``) over a marketplace with 1,000,000 paid orders (10,000 of them one
seller's), beside the trivial endpoint (``/api/v1/marketplace``) in the same run.

Timings are in process (Django's test client through the whole middleware stack, the same
code a server runs, no network), p95 of ``--requests`` requests each:

- cold: the dashboard's cache entry is gone. For the seller, after the invalidation a sale
  causes (the seller's dashboard version bumped); for both, also after emptying the cache.
- cached: the same page again.

Set-up writes the rows with set-based ``INSERT ... SELECT generate_series`` straight into the
tables (orders, sub-orders, lines, 2% refunded, and the journal: capture, earning and refund
entries, 6.1M lines), with the database's triggers off for the load only; the services are
covered by the test suite. The plans of the dashboard's main queries are printed (EXPLAIN
ANALYZE, BUFFERS).

Usage: python bench/dashboards.py [--orders 1000000] [--seller-orders 10000] [--requests 40]
    [--reuse] [--only seller|operator]
Last line: {"seller_dashboard_p95_ms", "operator_dashboard_p95_ms", "queries", "orders", ...}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    bench_database_url,
    percentile,
    recreate_database,
    setup_django,
    summary,
)

HOST = "bench-dash.souk.test"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
SELLERS = 200
BUYERS = 5000
TRIVIAL_PATH = "/api/v1/marketplace"
SELLER_PATH = "/studio/"
OPERATOR_PATH = "/operator/"
BIG_TABLES = (
    "commerce_order",
    "commerce_suborder",
    "commerce_orderline",
    "payments_journalline",
    "payments_journalentry",
    "commerce_refundline",
    "analytics_productdailystats",
    "analytics_sellersale",
    "analytics_sellerrefund",
)


def prepare(url: str, orders: int, seller_orders: int) -> dict[str, Any]:
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    recreate_database(url)
    setup_django(url)
    from django.db import connection
    from django_tenants.utils import schema_context

    from core.accounts.models import Role, User
    from core.catalog.models import Product, ProductPrice
    from core.sellers.models import Seller, VerificationStatus
    from tenants.services import fill_schema_pool, provision_tenant
    from tests.accounts_helpers import PASSWORD

    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug=HOST.split(".")[0],
        name="Bench Dashboards",
        owner_email="owner@bench.example",
        owner_password=None,
    ).tenant
    with schema_context(tenant.schema_name):
        buyers = User.objects.bulk_create(
            User(email=f"buyer{i}@bench.example", password="!") for i in range(BUYERS)
        )
        owners = User.objects.bulk_create(
            User(email=f"seller{i}@bench.example", password="!", role=Role.SELLER)
            for i in range(SELLERS)
        )
        owner = owners[0]
        owner.set_password(PASSWORD)
        owner.save(update_fields=["password"])
        sellers = Seller.objects.bulk_create(
            Seller(
                owner=o,
                slug=f"seller-{i}",
                business_name=f"Seller {i}",
                legal_form="company",
                verification_status=VerificationStatus.VERIFIED,
                product_type_grants=["software"],
            )
            for i, o in enumerate(owners)
        )
        products = Product.objects.bulk_create(
            Product(
                seller=seller,
                name=f"Product {i}",
                slug=f"product-{i}",
                product_type="software",
                status="published",
            )
            for i, seller in enumerate(sellers)
        )
        ProductPrice.objects.bulk_create(
            ProductPrice(product=p, currency="USD", amount=1000) for p in products
        )
        started = time.perf_counter()
        with connection.cursor() as cursor:
            _load_orders(cursor, orders, seller_orders, buyers, sellers, products)
        print(
            f"set-up: {orders:,} orders and their journal in {time.perf_counter() - started:.0f} s"
        )
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in BIG_TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
        print(f"set-up: VACUUM ANALYZE in {time.perf_counter() - started:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM commerce_suborder WHERE seller_id = %s", [sellers[0].pk]
            )
            mine = cursor.fetchone()[0]
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return {
        "tenant": tenant,
        "seller_id": sellers[0].pk,
        "owner_email": owner.email,
        "seller_orders": mine,
    }


def reuse(url: str) -> dict[str, Any]:
    """The tenant of an earlier run, its schema migrated to the code's migrations."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import schema_context

    from core.sellers.models import Seller
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug=HOST.split(".")[0])
    call_command("migrate_schemas", schema_name=tenant.schema_name, interactive=False, verbosity=0)
    with schema_context(tenant.schema_name):
        seller = Seller.objects.select_related("owner").get(slug="seller-0")
        with connection.cursor() as cursor:
            for table in BIG_TABLES:
                cursor.execute(f"VACUUM ANALYZE {table}")
            cursor.execute(
                "SELECT count(*) FROM commerce_suborder WHERE seller_id = %s", [seller.pk]
            )
            mine = cursor.fetchone()[0]
    return {
        "tenant": tenant,
        "seller_id": seller.pk,
        "owner_email": seller.owner.email,
        "seller_orders": mine,
    }


def _load_orders(
    cursor: Any,
    orders: int,
    seller_orders: int,
    buyers: list[Any],
    sellers: list[Any],
    products: list[Any],
) -> None:
    """One order = one sub-order = one line (ids = g). Every ``orders // seller_orders``-th
    order is seller 0's; the rest spread over the other sellers. Orders are spread evenly over
    the last 365 days in id order; 2% are refunded in full a day later."""
    step = max(1, orders // seller_orders)
    cursor.execute("SET session_replication_role = replica")  # load only: no triggers
    cursor.execute(
        "CREATE TEMP TABLE bench_sellers (idx int PRIMARY KEY, seller_id bigint, product_id bigint)"
    )
    cursor.executemany(
        "INSERT INTO bench_sellers VALUES (%s, %s, %s)",
        [(i, s.pk, p.pk) for i, (s, p) in enumerate(zip(sellers, products, strict=True))],
    )
    cursor.execute(
        """
        CREATE TEMP TABLE bench_orders AS
        SELECT g,
               CASE WHEN g %% %(step)s = 0 THEN 0 ELSE 1 + g %% %(others)s END AS idx,
               %(b0)s + g %% %(buyers)s AS buyer_id,
               price, price * 19 / 100 AS tax, price / 10 AS commission,
               price - price / 10 AS seller_net, price + price * 19 / 100 AS total,
               now() - make_interval(secs => ((%(orders)s - g) * 31536000.0 / %(orders)s)::float8)
                   AS ts,
               g %% 50 = 7 OR (g %% %(step)s = 0 AND (g / %(step)s) %% 50 = 7) AS refunded
        FROM (SELECT g, 500 + (g * 7919) %% 9500 AS price
              FROM generate_series(1::bigint, %(orders)s) g) s
        """,
        {
            "step": step,
            "others": SELLERS - 1,
            "b0": buyers[0].pk,
            "buyers": len(buyers),
            "orders": orders,
        },
    )
    cursor.execute("CREATE INDEX ON bench_orders (g)")
    cursor.execute(
        """
        INSERT INTO commerce_order (id, buyer_id, email, currency, status, subtotal,
            discount_total, tax_total, total, commission_total, refunded_total,
            prices_include_tax, billing_country, billing_region, billing_name, discount_code,
            provider, idempotency_key, subscription_id, created_at, paid_at)
        SELECT g, buyer_id, 'buyer@bench.example', 'USD',
               CASE WHEN refunded THEN 'refunded' ELSE 'completed' END,
               price, 0, tax, total, commission, CASE WHEN refunded THEN total ELSE 0 END,
               false, 'DE', '', 'Bench Buyer', '', 'sandbox', 'bench-' || g, NULL, ts, ts
        FROM bench_orders
        """
    )
    cursor.execute(
        """
        INSERT INTO commerce_suborder (id, order_id, seller_id, status, subtotal,
            discount_total, tax_total, total, commission_total, seller_net)
        SELECT g, g, s.seller_id, CASE WHEN refunded THEN 'refunded' ELSE 'completed' END,
               price, 0, tax, total, commission, seller_net
        FROM bench_orders o JOIN bench_sellers s USING (idx)
        """
    )
    cursor.execute(
        """
        INSERT INTO commerce_orderline (id, order_id, sub_order_id, product_id, product_type,
            title, quantity, unit_amount, subtotal, discount_amount, tax_rate_bp, tax_name,
            tax_amount, total, commission_rate_bp, commission_amount, seller_net, is_escrow,
            status, refunded_amount, fulfilled_at, completed_at)
        SELECT g, g, g, s.product_id, 'software', 'Product', 1, price, price, 0, 1900, 'VAT',
               tax, total, 1000, commission, seller_net, false,
               CASE WHEN refunded THEN 'revoked' ELSE 'completed' END,
               CASE WHEN refunded THEN total ELSE 0 END, ts, ts
        FROM bench_orders o JOIN bench_sellers s USING (idx)
        """
    )
    # The journal, numbered in booking order as a live one is: capture (2g - 1) and earning
    # (2g) of order g, refunds (2N + g) after all of them (booked a day later).
    cursor.execute(
        """
        INSERT INTO payments_journalentry (id, kind, reference, order_id, memo, created_at)
        SELECT 2 * g - 1, 'capture', 'order:' || g, g, '', ts FROM bench_orders
        UNION ALL
        SELECT 2 * g, 'earn', 'line:' || g, g, '', ts FROM bench_orders
        UNION ALL
        SELECT 2 * %(n)s + g, 'refund', 'refund:' || g, g, '', LEAST(now(), ts + interval '1 day')
        FROM bench_orders WHERE refunded
        """,
        {"n": orders},
    )
    cursor.execute(
        """
        INSERT INTO payments_journalline (entry_id, account, seller_id, currency, amount)
        SELECT 2 * g - 1, 'provider_cash', NULL::bigint, 'USD', total FROM bench_orders
        UNION ALL SELECT 2 * g - 1, 'buyer_clearing:' || g, NULL, 'USD', -total FROM bench_orders
        UNION ALL SELECT 2 * g, 'buyer_clearing:' || g, NULL, 'USD', total FROM bench_orders
        UNION ALL SELECT 2 * g, 'tax_payable', NULL, 'USD', -tax FROM bench_orders
        UNION ALL SELECT 2 * g, 'platform_fees', NULL, 'USD', -commission FROM bench_orders
        UNION ALL SELECT 2 * g, 'seller_payable:' || s.seller_id, s.seller_id, 'USD',
                         -seller_net
                  FROM bench_orders o JOIN bench_sellers s USING (idx)
        UNION ALL SELECT 2 * %(n)s + g, 'tax_payable', NULL, 'USD', tax
                  FROM bench_orders WHERE refunded
        UNION ALL SELECT 2 * %(n)s + g, 'platform_fees', NULL, 'USD', commission
                  FROM bench_orders WHERE refunded
        UNION ALL SELECT 2 * %(n)s + g, 'seller_payable:' || s.seller_id, s.seller_id, 'USD',
                         seller_net
                  FROM bench_orders o JOIN bench_sellers s USING (idx) WHERE refunded
        UNION ALL SELECT 2 * %(n)s + g, 'provider_cash', NULL, 'USD', -total
                  FROM bench_orders WHERE refunded
        """,
        {"n": orders},
    )
    cursor.execute(
        """
        INSERT INTO commerce_refund (id, order_id, currency, amount, reason,
            provider_reference, requested_by_id, idempotency_key, created_at)
        SELECT g, g, 'USD', total, 'bench', '', NULL, 'refund-' || g,
               LEAST(now(), ts + interval '1 day')
        FROM bench_orders WHERE refunded
        """
    )
    cursor.execute(
        """
        INSERT INTO commerce_refundline (refund_id, order_line_id, amount, tax_amount,
            commission_amount, seller_amount)
        SELECT g, g, total, tax, commission, seller_net FROM bench_orders WHERE refunded
        """
    )
    cursor.execute(
        """
        INSERT INTO analytics_sellersale (order_line_id, order_id, seller_id, buyer_id,
            paid_at, currency, product_type, quantity, total)
        SELECT g, g, s.seller_id, buyer_id, ts, 'USD', 'software', 1, total
        FROM bench_orders o JOIN bench_sellers s USING (idx)
        """
    )
    cursor.execute(
        """
        INSERT INTO analytics_sellerrefund (refund_line_id, order_id, seller_id, refunded_at,
            currency, product_type, amount)
        SELECT g, g, s.seller_id, LEAST(now(), ts + interval '1 day'), 'USD', 'software', total
        FROM bench_orders o JOIN bench_sellers s USING (idx) WHERE refunded
        """
    )
    cursor.execute(
        """
        INSERT INTO analytics_productdailystats (day, product_id, seller_id, product_type,
            views, add_to_carts, checkouts_started, checkouts_completed)
        SELECT current_date - d, s.product_id, s.seller_id, 'software',
               100 + (d * 31 + s.idx) % 400, 12 + d % 9, 8 + d % 5, 5 + d % 4
        FROM bench_sellers s CROSS JOIN generate_series(0, 364) d
        """
    )
    for table in (
        "commerce_order",
        "commerce_suborder",
        "commerce_orderline",
        "payments_journalentry",
        "commerce_refund",
    ):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute("DROP TABLE bench_orders, bench_sellers")


def timed(client: Any, path: str, before: Callable[[], None] | None, n: int) -> list[float]:
    values = []
    for _ in range(n):
        if before is not None:
            before()
        started = time.perf_counter()
        response = client.get(path)
        values.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return values


def statements(client: Any, path: str, before: Callable[[], None] | None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if before is not None:
        before()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return sum(1 for q in captured if not q["sql"].startswith("SET search_path"))


def explain(tenant: Any, seller_id: int) -> tuple[dict[str, float], bool]:
    """EXPLAIN ANALYZE of the seller dashboard's main queries (30 and 90 days); returns the
    execution times and whether any plan scans a big table sequentially."""
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from core.studio.dashboard.figures import Period, main_queries

    times: dict[str, float] = {}
    seq_scan = False
    today = timezone.now().date()
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        for days in (30, 90):
            for name, (sql, params) in main_queries(
                seller_id, Period.last(days, today), "USD"
            ).items():
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
                runtime = float(plan[-1].split(":")[1].split()[0])
                times[f"{name}_{days}d"] = runtime
                scans = [line.strip() for line in plan if "Scan" in line]
                seq = [
                    line
                    for line in scans
                    if "Seq Scan" in line and any(t in line for t in BIG_TABLES)
                ]
                seq_scan = seq_scan or bool(seq)
                print(f"  {name} ({days} days): {runtime:.1f} ms")
                for line in scans:
                    print(f"      {line}")
    return times, seq_scan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seller-orders", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of an earlier run (migrated again)"
    )
    parser.add_argument(
        "--only",
        choices=("seller", "operator"),
        help="measure one dashboard (the trivial endpoint is always measured)",
    )
    args = parser.parse_args()
    seller_part, operator_part = args.only != "operator", args.only != "seller"

    url = bench_database_url().replace("_bench", "_bench_dashboards")
    started = time.perf_counter()
    setup = reuse(url) if args.reuse else prepare(url, args.orders, args.seller_orders)
    print(f"set-up total: {time.perf_counter() - started:.0f} s")
    from django.core.cache import cache
    from django.test import Client
    from django_tenants.utils import schema_context

    from core.studio.dashboard.cache import bump_sellers
    from tests.accounts_helpers import sign_in, signed_in_operator

    tenant, seller_id = setup["tenant"], setup["seller_id"]

    def new_client(_tenant: Any = None) -> Client:
        return Client(HTTP_HOST=HOST)

    def invalidate_seller() -> None:
        with schema_context(tenant.schema_name):
            bump_sellers([seller_id])

    seller = new_client()
    assert sign_in(seller, setup["owner_email"]).status_code == 200
    operator, _ = signed_in_operator(new_client, tenant)
    trivial = new_client()

    n = args.requests
    timed(trivial, TRIVIAL_PATH, None, 5)  # warm the process (imports, templates)
    results: dict[str, list[float]] = {"trivial": timed(trivial, TRIVIAL_PATH, None, n)}
    queries: dict[str, int] = {"trivial": statements(trivial, TRIVIAL_PATH, None)}
    if seller_part:
        timed(seller, SELLER_PATH, None, 3)
        results["seller_cold"] = timed(seller, SELLER_PATH, invalidate_seller, n)
        results["seller_cold_empty_cache"] = timed(seller, SELLER_PATH, cache.clear, n)
        results["seller_cached"] = timed(seller, SELLER_PATH, None, n)
        results["seller_90d_cold"] = timed(seller, SELLER_PATH + "?range=90", invalidate_seller, n)
        queries["seller_cold"] = statements(seller, SELLER_PATH, invalidate_seller)
        queries["seller_cached"] = statements(seller, SELLER_PATH, None)
    operator_status = operator.get(OPERATOR_PATH).status_code if operator_part else 0
    has_operator = operator_status == 200
    if has_operator:
        timed(operator, OPERATOR_PATH, None, 3)
        results["operator_cold_empty_cache"] = timed(operator, OPERATOR_PATH, cache.clear, n)
        results["operator_cached"] = timed(operator, OPERATOR_PATH, None, n)
        queries["operator_cold"] = statements(operator, OPERATOR_PATH, cache.clear)
        queries["operator_cached"] = statements(operator, OPERATOR_PATH, None)
    elif operator_part:
        print(f"operator dashboard: GET {OPERATOR_PATH} answered {operator_status}: not measured")

    print(
        f"{args.orders:,} orders in the marketplace, {setup['seller_orders']:,} of the seller's; "
        f"in-process render times, {n} requests each"
    )
    for name, values in results.items():
        print(f"{name:<26} {summary(values)}   {queries.get(name, '')}")
    print(f"SQL statements: {queries}")
    plan_times: dict[str, float] = {}
    seq_scan = False
    if seller_part:
        print("plans of the seller dashboard's main queries (EXPLAIN ANALYZE):")
        plan_times, seq_scan = explain(tenant, seller_id)

    def p95(name: str) -> float | None:
        return round(percentile(results[name], 95), 1) if name in results else None

    print(
        json.dumps(
            {
                "seller_dashboard_p95_ms": p95("seller_cold"),
                "seller_dashboard_cached_p95_ms": p95("seller_cached"),
                "seller_dashboard_empty_cache_p95_ms": p95("seller_cold_empty_cache"),
                "seller_dashboard_90d_p95_ms": p95("seller_90d_cold"),
                "operator_dashboard_p95_ms": p95("operator_cold_empty_cache"),
                "operator_dashboard_cached_p95_ms": p95("operator_cached"),
                "trivial_p95_ms": p95("trivial"),
                "queries": queries.get("seller_cold"),
                "queries_cached": queries.get("seller_cached"),
                "operator_queries": queries.get("operator_cold"),
                "operator_queries_cached": queries.get("operator_cached"),
                "orders": args.orders,
                "seller_orders": setup["seller_orders"],
                "main_queries_seq_scan": seq_scan,
                "main_queries_max_ms": (round(max(plan_times.values()), 1) if plan_times else None),
            }
        )
    )


if __name__ == "__main__":
    main()
