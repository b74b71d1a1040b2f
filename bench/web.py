"""The web tier under gunicorn (2 workers): requests per second and p95 latency of the
storefront home page and a catalogue API call, beside a trivial endpoint (/healthz) on the same
server, and the peak resident memory of one web worker.

Usage: python bench/web.py [--seconds 10] [--connections 8] [--products 2000]
Last line: {"home_rps", "api_rps", "trivial_rps", "home_p95_ms", "api_p95_ms", "worker_rss_mb"}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    bench_database_url,
    load,
    percentile,
    recreate_database,
    setup_django,
    start_gunicorn,
    stop_gunicorn,
)
from bench.auth import REDIS_URL  # noqa: E402

HOST = "web-shop.souk.test"


def prepare(url: str, products: int) -> None:
    """A tenant with a seller, categories and published products (bulk set-up, not timed)."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    recreate_database(url)
    setup_django(url)
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from core.accounts.models import User
    from core.catalog.models import Product, ProductPrice
    from core.catalog.search_index import refresh_search_vectors
    from core.catalog.services.categories import create_category
    from core.sellers.models import Seller, VerificationStatus
    from tenants.services import fill_schema_pool, provision_tenant

    rng = random.Random(7)
    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug="web-shop",
        name="Web Shop",
        owner_email="owner@web.example",
        owner_password=None,
        branding={"theme": "bazaar"},
    ).tenant
    with schema_context(tenant.schema_name):
        categories = [create_category(name=f"Shelf {i}") for i in range(6)]
        owner = User.objects.create_user("seller@web.example", None)
        seller = Seller.objects.create(
            owner=owner,
            slug="maker",
            business_name="Maker",
            legal_form="company",
            verification_status=VerificationStatus.VERIFIED,
            product_type_grants=["software"],
        )
        rows = Product.objects.bulk_create(
            Product(
                seller=seller,
                name=f"Tool {i}",
                slug=f"tool-{i}",
                summary="A useful tool",
                product_type="software",
                category=rng.choice(categories),
                status="published",
                is_featured=i % 50 == 0,
            )
            for i in range(products)
        )
        ProductPrice.objects.bulk_create(
            ProductPrice(product=p, currency="USD", amount=rng.randint(100, 90_000)) for p in rows
        )
        Product.objects.update(published_at=timezone.now())
        refresh_search_vectors([p.pk for p in rows])
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def time_now():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    return timezone.now()


def worker_peak_rss_mb(master_pid: int) -> float:
    """VmHWM (peak resident set) of the gunicorn workers, the largest one."""
    peaks = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid):
            peaks.append(int(fields["VmHWM"].split()[0]) / 1024)
    return max(peaks) if peaks else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--products", type=int, default=2000)
    args = parser.parse_args()

    url = bench_database_url().replace("_bench", "_bench_web")
    prepare(url, args.products)
    server, port = start_gunicorn(url, redis_url=REDIS_URL)
    paths = {"home": "/", "api": "/api/v1/catalog?limit=24", "trivial": "/healthz"}
    try:
        for path in paths.values():  # warm both workers
            load(port, path, host=HOST, seconds=2, connections=args.connections)
        results = {
            name: load(port, path, host=HOST, seconds=args.seconds, connections=args.connections)
            for name, path in paths.items()
        }
        rss = worker_peak_rss_mb(server.pid)
    finally:
        stop_gunicorn(server)
    for name, (rps, latencies) in results.items():
        print(
            f"{name:8} {paths[name]:28} {rps:8.1f} req/s  p50 {percentile(latencies, 50):6.1f} ms"
            f"  p95 {percentile(latencies, 95):6.1f} ms"
        )
    print(f"peak RSS of one web worker: {rss:.0f} MB")
    print(
        json.dumps(
            {
                "home_rps": round(results["home"][0], 1),
                "api_rps": round(results["api"][0], 1),
                "trivial_rps": round(results["trivial"][0], 1),
                "home_p95_ms": round(percentile(results["home"][1], 95), 1),
                "api_p95_ms": round(percentile(results["api"][1], 95), 1),
                "worker_rss_mb": round(rss, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
