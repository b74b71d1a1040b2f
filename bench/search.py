"""Catalogue search at scale: 100,000 products in one tenant (set-up not timed), then 200
mixed queries (text + two facet filters + a sort, with facet counts) on the Postgres backend,
beside the same queries written as naive ``icontains`` filters with GROUP BY facet counts.
Every query is uncached (the API's response cache is not involved).

The bulk load leaves dead row versions behind (the search entries are written by triggers, then
priced, then given their vectors), so set-up ends with VACUUM FULL ANALYZE, as an operator would
after an import; a catalogue built through the services is kept near that by autovacuum.

Usage: python bench/search.py [--products 100000] [--queries 200] [--slowest N]
Last line: {"products", "queries", "p50_ms", "p95_ms", "naive_p50_ms", "naive_p95_ms",
"speedup", "approximate_facets"} (queries whose facet counts were estimates)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
TYPES = ["software", "software", "software", "digital", "course", "service"]


def product_name(rng: random.Random, index: int) -> str:
    return f"{rng.choice(ADJECTIVES).title()} {rng.choice(NOUNS).title()} {index}"


def build_catalogue(count: int, rng: random.Random) -> None:
    """Bulk rows straight into the tables (set-up only; the product code path is the services,
    which the test suite covers), then one pass to build the search vectors."""
    from django.db import connection
    from django_tenants.utils import schema_context

    from core.accounts.models import User
    from core.catalog.models import Category, Product, ProductPrice
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
        categories = list(Category.objects.all())
        started = datetime.now(UTC)
        batch = 5000
        for start in range(0, count, batch):
            rows = []
            for index in range(start, min(start + batch, count)):
                kind = rng.choice(TYPES)
                if kind in {"digital", "course"}:
                    kind = "software"  # the bench tenant's modules sell software and services
                rating_count = rng.choice([0, 0, 1, 3, 10, 40])
                rows.append(
                    Product(
                        seller=rng.choice(sellers),
                        name=product_name(rng, index),
                        slug=f"product-{index}",
                        summary=" ".join(rng.choices(FILLER, k=8)),
                        description=" ".join(rng.choices(FILLER, k=60)),
                        product_type=kind,
                        category=rng.choice(leaves if rng.random() < 0.9 else categories),
                        tags=rng.sample(FILLER, 3),
                        status="published",
                        rating_count=rating_count,
                        rating_total=sum(rng.randint(1, 5) for _ in range(rating_count)),
                        published_at=started - timedelta(minutes=index),
                    )
                )
            created = Product.objects.bulk_create(rows)
            ProductPrice.objects.bulk_create(
                ProductPrice(product=p, currency="USD", amount=rng.randint(0, 60_000))
                for p in created
            )
            print(f"  {start + len(rows):>7} products", flush=True)
        ids = list(Product.objects.values_list("id", flat=True))
        for start in range(0, len(ids), 20_000):
            refresh_search_vectors(ids[start : start + 20_000])
        with connection.cursor() as cursor:
            cursor.execute("VACUUM FULL ANALYZE catalog_searchentry")
            cursor.execute("VACUUM FULL ANALYZE catalog_product")
            cursor.execute("VACUUM ANALYZE")
    return


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
    args = parser.parse_args()
    rng = random.Random(20261125)

    url = bench_database_url().replace("_bench", "_bench_search")
    recreate_database(url)
    setup_django(url)
    started = time.perf_counter()
    print(f"building {args.products} products (not timed)...")
    build_catalogue(args.products, rng)
    print(f"built in {time.perf_counter() - started:.0f} s")

    from django_tenants.utils import schema_context

    queries = make_queries(args.queries, rng)
    with schema_context("t_big_shop"):
        run_souk(queries[:10])  # warm caches the same way for both
        run_naive(queries[:10])
        souk, approximate = run_souk(queries)
        for ms, spec in sorted(zip(souk, queries, strict=True), key=lambda p: -p[0])[
            : args.slowest
        ]:
            print(f"  {ms:7.1f} ms  {spec}")
        naive = run_naive(queries)
    souk_p50, souk_p95 = percentile(souk, 50), percentile(souk, 95)
    naive_p50, naive_p95 = percentile(naive, 50), percentile(naive, 95)
    print(
        f"Souk search (search entries, one GIN over text + filters, bounded facets): "
        f"p50 {souk_p50:.1f} ms  p95 {souk_p95:.1f} ms ({approximate} approximate)"
    )
    print(
        f"naive icontains + GROUP BY per facet:                                       "
        f"p50 {naive_p50:.1f} ms  p95 {naive_p95:.1f} ms"
    )
    print(
        json.dumps(
            {
                "products": args.products,
                "queries": len(queries),
                "p50_ms": round(souk_p50, 1),
                "p95_ms": round(souk_p95, 1),
                "naive_p50_ms": round(naive_p50, 1),
                "naive_p95_ms": round(naive_p95, 1),
                "speedup": round(naive_p95 / souk_p95, 1),
                "approximate_facets": approximate,
            }
        )
    )


if __name__ == "__main__":
    main()
