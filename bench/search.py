"""Catalogue search at scale: 100,000 products in one tenant (``--products 1000000`` for a
million; set-up not timed), then 200 mixed queries (text + two facet filters + a sort, with
facet counts) on the Postgres backend, beside the same queries written as naive
``icontains`` filters with GROUP BY facet counts (every query up to 200,000 products; above,
the first 40: they take seconds each there). Every query is uncached (the API's response cache
is not involved).

Set-up loads products and base prices with COPY, which fires the app's statement triggers
(they write the search entries), then builds the vectors with ``refresh_search_vectors``. That
leaves dead row versions behind, so set-up ends with VACUUM FULL ANALYZE, as an operator would
after an import; a catalogue built through the services is kept near that by autovacuum.
``--reuse`` searches the catalogue a previous run built (a million takes ~15 minutes here).

Usage: python bench/search.py [--products 100000] [--queries 200] [--slowest N]
       [--naive-sample N] [--reuse]
Last line: {"products", "queries", "p50_ms", "p95_ms", "naive_queries", "naive_p50_ms",
"naive_p95_ms", "speedup" (naive p95 / Souk p95 on the same queries), "approximate_facets"
(queries whose facet counts were estimates), "load_average" (1-minute, the higher of before
and after the Souk queries: the machine is shared)}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import bench_database_url, percentile, recreate_database, setup_django  # noqa: E402


def _words(text: str) -> list[str]:
    return text.split()


ADJECTIVES = _words(
    "swift quick secure smart simple modern pro lite ultimate tiny cloud open rapid clever "
    "bright silent robust agile golden crystal"
)
NOUNS = _words(
    "editor invoice backup scanner tracker planner designer monitor converter manager "
    "notebook recorder compiler debugger mailer firewall vault router studio toolkit "
    "course workshop masterclass bootcamp consulting audit review coaching"
)
FILLER = _words(
    "fast reliable teams small business developers designers data privacy sync offline "
    "export import reports charts automation api plugins templates support updates "
    "learn build ship grow secure scale cloud desktop mobile web"
)
NAIVE_SAMPLE = 40
QUERY_SEED = 20261207
TYPES = ["software", "software", "software", "digital", "course", "service"]


def product_name(rng: random.Random, index: int) -> str:
    return f"{rng.choice(ADJECTIVES).title()} {rng.choice(NOUNS).title()} {index}"


def build_catalogue(count: int, rng: random.Random) -> None:
    """Bulk rows straight into the tables with COPY (set-up only; the product code path is the
    services, which the test suite covers). COPY fires the same statement triggers as an
    INSERT, so every search entry is written by the app's own trigger SQL, then the vectors by
    its own ``refresh_search_vectors``. The rows are drawn in the same order as the object
    version this replaced (5,000 products, then their prices), so a given ``--products`` gives
    the same catalogue and the same queries as before."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from core.accounts.models import User
    from core.catalog.models import Category
    from core.catalog.search_index import refresh_search_vectors
    from core.catalog.services.categories import create_category
    from core.sellers.models import Seller, VerificationStatus
    from tenants.models import Tenant
    from tenants.services import fill_schema_pool, provision_tenant, set_module_enabled

    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug="big-shop", name="Big Shop", owner_email="owner@big.example", owner_password=None
    ).tenant
    for key in ("alpha", "beta"):
        set_module_enabled(tenant=Tenant.objects.get(pk=tenant.pk), key=key, is_enabled=True)
    with schema_context(tenant.schema_name):
        roots = [create_category(name=f"Department {i}") for i in range(5)]
        leaves = [
            create_category(name=f"Aisle {i}-{j}", parent_id=root.pk)
            for i, root in enumerate(roots)
            for j in range(4)
        ]
        owners = User.objects.bulk_create(
            User(email=f"seller{i}@big.example", password="!") for i in range(200)
        )
        sellers = Seller.objects.bulk_create(
            Seller(
                owner=owner,
                slug=f"seller-{i}",
                business_name=f"Seller {i} {rng.choice(NOUNS)}",
                legal_form="company",
                verification_status=VerificationStatus.VERIFIED,
                product_type_grants=["service", "software"],
            )
            for i, owner in enumerate(owners)
        )
        seller_ids = [seller.pk for seller in sellers]
        leaf_ids = [leaf.pk for leaf in leaves]
        category_ids = [category.pk for category in Category.objects.all()]
        for products, prices, done in draw_products(
            count, rng, seller_ids, leaf_ids, category_ids, per_copy=100_000
        ):
            _copy_products(connection, products, prices)
            print(f"  {done:>7} products", flush=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('catalog_product', 'id'), %s)", [count]
            )
        for start in range(1, count + 1, 20_000):
            refresh_search_vectors(range(start, min(start + 20_000, count + 1)))
            if (start // 20_000) % 10 == 9:
                print(f"  {start + 19_999:>7} search vectors", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM FULL ANALYZE catalog_searchentry")
            cursor.execute("VACUUM FULL ANALYZE catalog_product")
            cursor.execute("VACUUM ANALYZE")


Row = tuple[object, ...]


def draw_products(
    count: int,
    rng: random.Random,
    seller_ids: list[int],
    leaf_ids: list[int],
    category_ids: list[int],
    *,
    per_copy: int,
) -> Iterator[tuple[list[Row], list[Row], int]]:
    """(product rows, price rows, products so far) about every ``per_copy`` products; ids
    are 1..count."""
    started = datetime.now(UTC)
    batch = 5000
    products: list[Row] = []
    prices: list[Row] = []
    for start in range(0, count, batch):
        batch_ids = []
        for index in range(start, min(start + batch, count)):
            kind = rng.choice(TYPES)
            if kind in {"digital", "course"}:
                kind = "software"  # the bench tenant's modules sell software and services
            rating_count = rng.choice([0, 0, 1, 3, 10, 40])
            seller_id = rng.choice(seller_ids)
            name = product_name(rng, index)
            summary = " ".join(rng.choices(FILLER, k=8))
            description = " ".join(rng.choices(FILLER, k=60))
            category_id = rng.choice(leaf_ids if rng.random() < 0.9 else category_ids)
            tags = json.dumps(rng.sample(FILLER, 3))
            rating_total = sum(rng.randint(1, 5) for _ in range(rating_count))
            products.append(
                (
                    index + 1, seller_id, name, f"product-{index}", summary, description, kind,
                    category_id, tags, rating_count, rating_total,
                    started - timedelta(minutes=index), started,
                )
            )  # fmt: skip
            batch_ids.append(index + 1)
        prices.extend((product_id, "USD", rng.randint(0, 60_000)) for product_id in batch_ids)
        done = start + len(batch_ids)
        if len(products) >= per_copy or done == count:
            yield products, prices, done
            products, prices = [], []


def _copy_products(
    connection: Any, products: list[tuple[object, ...]], prices: list[tuple[object, ...]]
) -> None:
    """One COPY of products and one of their base prices (each fires its statement trigger
    once, as a bulk INSERT would)."""
    with connection.cursor() as cursor:
        raw = cursor.cursor
        columns = (
            "id, seller_id, name, slug, summary, description, product_type, category_id, tags,"
            " rating_count, rating_total, published_at, created_at, updated_at, trial_days,"
            " features, status, moderation_note, is_featured"
        )
        with raw.copy(f"COPY catalog_product ({columns}) FROM STDIN") as copy:
            for row in products:
                copy.write_row((*row, row[-1], 0, "[]", "published", "", False))
        with raw.copy(
            "COPY catalog_productprice (product_id, currency, amount) FROM STDIN"
        ) as copy:
            for row in prices:
                copy.write_row(row)


def make_queries(count: int, rng: random.Random) -> list[dict[str, object]]:
    from core.catalog.search.query import SortOrder

    sorts = [SortOrder.RELEVANCE, SortOrder.PRICE_ASC, SortOrder.NEWEST, SortOrder.RATING]
    queries = []
    for _ in range(count):
        facet_pairs = rng.choice(
            [
                {
                    "category": f"department-{rng.randint(0, 4)}",
                    "price_max": rng.randint(5000, 40000),
                },
                {"product_types": ("software",), "min_rating": rng.randint(2, 4)},
                {"seller": f"seller-{rng.randint(0, 199)}", "price_min": rng.randint(0, 20000)},
                {"category": f"aisle-{rng.randint(0, 4)}-{rng.randint(0, 3)}", "min_rating": 3},
            ]
        )
        queries.append(
            {
                "text": rng.choice(NOUNS + ADJECTIVES + FILLER),
                "sort": rng.choice(sorts),
                **facet_pairs,
            }
        )
    return queries


def run_souk(queries: list[dict[str, object]]) -> tuple[list[float], int]:
    """Latencies, and how many queries had estimated (approximate) facet counts."""
    from core.catalog.search import SearchQuery, get_search_backend

    backend = get_search_backend()
    timings = []
    approximate = 0
    for spec in queries:
        started = time.perf_counter()
        result = backend.search(SearchQuery(currency="USD", limit=24, **spec), with_facets=True)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - started) * 1000)
        assert result.facets is not None
        approximate += result.facets.is_approximate
    return timings, approximate


def run_naive(queries: list[dict[str, object]]) -> list[float]:
    """What a first version would write: icontains on text columns, then one GROUP BY per
    facet, over the same visible products."""
    from django.db.models import Count, F, Q

    from core.catalog.models import Category
    from core.catalog.selectors import visible_products, with_card_data

    timings = []
    for spec in queries:
        started = time.perf_counter()
        word = str(spec["text"])
        products = visible_products().filter(
            Q(name__icontains=word) | Q(summary__icontains=word) | Q(description__icontains=word)
        )
        if "category" in spec:
            path = Category.objects.get(slug=spec["category"]).path
            products = products.filter(category__path__startswith=path)
        if "product_types" in spec:
            products = products.filter(product_type__in=spec["product_types"])
        if "seller" in spec:
            products = products.filter(seller__slug=spec["seller"])
        if "price_min" in spec:
            products = products.filter(
                prices__currency="USD", prices__amount__gte=spec["price_min"]
            )
        if "price_max" in spec:
            products = products.filter(
                prices__currency="USD", prices__amount__lte=spec["price_max"]
            )
        if "min_rating" in spec:
            products = products.filter(
                rating_count__gt=0, rating_total__gte=F("rating_count") * spec["min_rating"]
            )
        list(with_card_data(products).order_by("-published_at", "-id")[:24])
        for column in ("category__slug", "product_type", "seller__slug", "rating_count"):
            list(products.values(column).annotate(n=Count("id")))
        list(
            products.filter(prices__currency="USD")
            .values("prices__amount")
            .annotate(n=Count("id"))[:0]
        )
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--slowest", type=int, default=0, help="print the N slowest queries")
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=None,
        help="run the naive baseline on the first N queries only (default: all up to 200,000"
        f" products, {NAIVE_SAMPLE} above: it takes seconds a query there)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the catalogue a previous run built (tenant migrations are applied)",
    )
    args = parser.parse_args()
    rng = random.Random(20261125)

    url = bench_database_url().replace("_bench", "_bench_search")
    if args.reuse:
        setup_django(url)
        from django.core.management import call_command

        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)
        print("reusing the catalogue of a previous run")
    else:
        recreate_database(url)
        setup_django(url)
        started = time.perf_counter()
        print(f"building {args.products} products (not timed)...")
        build_catalogue(args.products, rng)
        print(f"built in {time.perf_counter() - started:.0f} s")

    from django_tenants.utils import schema_context

    # Their own generator, so --reuse (no catalogue drawn) asks the same queries.
    queries = make_queries(args.queries, random.Random(QUERY_SEED))
    naive_count = args.naive_sample
    if naive_count is None:
        naive_count = len(queries) if args.products <= 200_000 else NAIVE_SAMPLE
    naive_count = min(naive_count, len(queries))  # 0: no baseline (e.g. while tuning)
    with schema_context("t_big_shop"):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM catalog_searchentry")
            (products,) = cursor.fetchone()
        load_before = os.getloadavg()[0]
        run_souk(queries[:10])  # warm caches the same way for both
        run_naive(queries[:10])
        souk, approximate = run_souk(queries)
        load_after = os.getloadavg()[0]
        for ms, spec in sorted(zip(souk, queries, strict=True), key=lambda p: -p[0])[
            : args.slowest
        ]:
            print(f"  {ms:7.1f} ms  {spec}")
        naive = run_naive(queries[:naive_count]) or [0.0]
    souk_p50, souk_p95 = percentile(souk, 50), percentile(souk, 95)
    sample_p95 = percentile(souk[: max(naive_count, 1)], 95)
    naive_p50, naive_p95 = percentile(naive, 50), percentile(naive, 95)
    print(
        f"Souk search (search entries, one GIN over text + filters, bounded facets): "
        f"p50 {souk_p50:.1f} ms  p95 {souk_p95:.1f} ms ({approximate} approximate) "
        f"over {len(souk)} queries, {products} products; 1-min load average "
        f"{load_before:.2f} before, {load_after:.2f} after"
    )
    print(
        f"naive icontains + GROUP BY per facet, first {naive_count} queries: "
        f"p50 {naive_p50:.1f} ms  p95 {naive_p95:.1f} ms (Souk on the same: p95 "
        f"{sample_p95:.1f} ms)"
    )
    print(
        json.dumps(
            {
                "products": products,
                "queries": len(queries),
                "p50_ms": round(souk_p50, 1),
                "p95_ms": round(souk_p95, 1),
                "naive_queries": naive_count,
                "naive_p50_ms": round(naive_p50, 1),
                "naive_p95_ms": round(naive_p95, 1),
                "speedup": round(naive_p95 / sample_p95, 1),
                "approximate_facets": approximate,
                "load_average": round(max(load_before, load_after), 2),
            }
        )
    )


if __name__ == "__main__":
    main()
