"""Requests per second of the catalogue list endpoint (``GET /api/v1/catalog?limit=24``) and of
a category page (``GET /c/<slug>/``, HTML with facets) against the trivial endpoint
(``GET /api/v1/marketplace``) on the same gunicorn server (2 workers, Redis cache), over one
tenant with 2,000 published products; and the SQL statements one request of each costs.

Usage: python bench/storefront.py [--products 2000] [--seconds 10] [--connections 8] [--rounds 5]
Last line: {"list_rps", "category_page_rps", "trivial_rps", "list_ratio", ...}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    bench_database_url,
    load,
    recreate_database,
    setup_django,
    start_gunicorn,
    stop_gunicorn,
)
from bench.auth import HOST, REDIS_URL  # noqa: E402
from bench.search import ADJECTIVES, FILLER, NOUNS  # noqa: E402

CATEGORIES = ("Developer Tools", "Design Tools", "Office Apps", "Security")
LIST_PATH = "/api/v1/catalog?limit=24"
TRIVIAL_PATH = "/api/v1/marketplace"


def prepare(url: str, product_count: int, rng: random.Random) -> str:
    """One tenant (``bench-shop``, the host of bench/auth.py) with ``product_count`` published
    software products from 20 verified sellers in four categories, half with an image. Bulk rows
    straight into the tables (set-up only; the services are covered by the test suite), then the
    search vectors. Returns the slug of the category page to load."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    recreate_database(url)
    setup_django(url)
    from django.db import connection
    from django_tenants.utils import schema_context

    from core.accounts.models import User
    from core.catalog.models import Product, ProductImage, ProductPrice
    from core.catalog.search_index import refresh_search_vectors
    from core.catalog.services.categories import create_category
    from core.sellers.models import Seller, VerificationStatus
    from tenants.services import fill_schema_pool, provision_tenant

    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug=HOST.split(".")[0],
        name="Bench Shop",
        owner_email="owner@bench.example",
        owner_password=None,
    ).tenant
    with schema_context(tenant.schema_name):
        categories = [create_category(name=name) for name in CATEGORIES]
        owners = User.objects.bulk_create(
            User(email=f"seller{i}@bench.example", password="!") for i in range(20)
        )
        sellers = Seller.objects.bulk_create(
            Seller(
                owner=owner,
                slug=f"seller-{i}",
                business_name=f"Seller {i} {rng.choice(NOUNS).title()}",
                legal_form="company",
                verification_status=VerificationStatus.VERIFIED,
                product_type_grants=["software"],
            )
            for i, owner in enumerate(owners)
        )
        rows = []
        for index in range(product_count):
            rating_count = rng.choice([0, 0, 1, 3, 10, 40])
            rows.append(
                Product(
                    seller=rng.choice(sellers),
                    name=f"{rng.choice(ADJECTIVES).title()} {rng.choice(NOUNS).title()} {index}",
                    slug=f"product-{index}",
                    summary=" ".join(rng.choices(FILLER, k=8)),
                    description=" ".join(rng.choices(FILLER, k=60)),
                    product_type="software",
                    category=categories[index % len(categories)],
                    tags=rng.sample(FILLER, 3),
                    status="published",
                    rating_count=rating_count,
                    rating_total=sum(rng.randint(1, 5) for _ in range(rating_count)),
                )
            )
        created = Product.objects.bulk_create(rows)
        ProductPrice.objects.bulk_create(
            ProductPrice(product=p, currency="USD", amount=rng.randint(0, 60_000)) for p in created
        )
        ProductImage.objects.bulk_create(
            ProductImage(product=p, url=f"https://cdn.example.com/{p.slug}.png", position=0)
            for p in created[::2]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE catalog_product SET published_at = now() - (id || ' minutes')::interval"
            )
        refresh_search_vectors([p.pk for p in created])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return categories[0].slug


def count_queries(path: str) -> dict[str, int]:
    """SQL statements of one warm request, in process (same code as the server)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    assert client.get(path).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content[:500]
    statements = [query["sql"] for query in captured]
    search_path = [sql for sql in statements if sql.startswith("SET search_path")]
    return {"queries": len(statements) - len(search_path), "bytes": len(response.content)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(20261125)

    url = bench_database_url().replace("_bench", "_bench_storefront")
    started = time.perf_counter()
    category = prepare(url, args.products, rng)
    print(f"set-up: {args.products} products in {time.perf_counter() - started:.1f} s")
    category_path = f"/c/{category}/"
    paths = {"list": LIST_PATH, "category_page": category_path, "trivial": TRIVIAL_PATH}
    costs = {name: count_queries(path) for name, path in paths.items()}
    server, port = start_gunicorn(url, redis_url=REDIS_URL)
    rounds: dict[str, list[float]] = {name: [] for name in paths}
    try:
        for path in paths.values():  # warm both workers on every path
            load(port, path, host=HOST, seconds=2, connections=args.connections)
        # Endpoints take turns, so a change in background load touches all of them alike.
        for _ in range(args.rounds):
            for name, path in paths.items():
                seconds = args.seconds / args.rounds
                rate, _ = load(port, path, host=HOST, seconds=seconds, connections=args.connections)
                rounds[name].append(rate)
    finally:
        stop_gunicorn(server)
    rps = {name: statistics.fmean(values) for name, values in rounds.items()}
    print(
        f"gunicorn 2 workers, {args.connections} connections, {args.seconds:.0f} s per endpoint "
        f"in {args.rounds} turns"
    )
    for name, path in paths.items():
        cost = costs[name]
        print(
            f"GET {path:<28} {rps[name]:8.1f} req/s   "
            f"{cost['queries']:2d} SQL statements, {cost['bytes']:6d} bytes"
        )
    print(
        json.dumps(
            {
                "list_rps": round(rps["list"], 1),
                "category_page_rps": round(rps["category_page"], 1),
                "trivial_rps": round(rps["trivial"], 1),
                "list_ratio": round(rps["list"] / rps["trivial"], 3),
                "category_page_ratio": round(rps["category_page"] / rps["trivial"], 3),
                "products": args.products,
                "list_queries": costs["list"]["queries"],
                "category_page_queries": costs["category_page"]["queries"],
            }
        )
    )


if __name__ == "__main__":
    main()
