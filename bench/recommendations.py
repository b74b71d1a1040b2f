"""Recommendations, evaluated offline on a synthetic catalogue with planted co-purchase
structure, and their serving latency.

The catalogue: ``--clusters`` clusters of ``--per-cluster`` products; each cluster has its own
topic words (its products' names and tags share them) and belongs to one of a few categories
(several clusters per category). Buyers have a home cluster and buy mostly in it (85%; the rest
anywhere), favouring each cluster's popular products (Zipf). Every purchase is an order.

Training: every buyer's orders except, for the test buyers (``--test-share``), their last one,
counted through the real service (``record_paid_order``, as the ``order.paid`` consumer does).
Test: for each test buyer, each strategy's top 10 (never what the buyer bought already) is a
hit when it holds their held-out next purchase; coverage is the share of the catalogue that
appears in any test buyer's top 10. ``also_bought`` and ``similar`` are seeded with the buyer's
last training purchase (the product page they would be on); ``similar_embeddings`` is "similar"
with the optional sentence embeddings on; ``for_you`` uses all of their purchases;
``bestsellers`` is the baseline.

Latency: the product page's two shelves (``product_shelves``) for random products, uncached
(the catalogue's cache version bumped before each call, so ids and cards are computed) and
cached (as pages serve them), and each strategy's uncached call.

Usage: python bench/recommendations.py [--clusters 24] [--per-cluster 25] [--buyers 2400]
       [--test-share 0.2] [--calls 200] [--reuse]
Last line: {"hit_rate_at_10" (also_bought), "baseline_hit_rate_at_10", "p95_ms" (uncached
shelves), "cached_p95_ms", "strategies": {name: {"hit_rate_at_10", "coverage", "p95_ms"}}, ...}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    bench_database_url,
    percentile,
    recreate_database,
    setup_django,
)

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12"
SLUG = "reco-bench"
SCHEMA = "t_reco_bench"
SEED = 20261207
IN_CLUSTER = 0.85


def _words(text: str) -> list[str]:
    return text.split()


TOP = 10
CLUSTERS_PER_CATEGORY = 4
FILLER = _words(
    "fast reliable teams small business developers designers data privacy sync offline "
    "export import reports charts automation plugins templates support updates learn build "
    "ship grow secure scale cloud desktop mobile web"
)
SYLLABLES = _words("ka lo mi nu pe ra si to vu za be do fi gu ho ja ke li mo na po ri su te")


def topic_words(rng: random.Random, count: int) -> list[str]:
    """Made-up words, so no two clusters share a topic by accident of English."""
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choices(SYLLABLES, k=3)))
    return sorted(words)


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """The synthetic world, the same for the same arguments (``--reuse`` relies on it)."""
    rng = random.Random(SEED)
    clusters = args.clusters
    words = topic_words(rng, clusters * 3)
    products = [
        {"cluster": c, "rank": r, "words": words[c * 3 : c * 3 + 3]}
        for c in range(clusters)
        for r in range(args.per_cluster)
    ]
    cluster_weights = [1 / (r + 1) for r in range(args.per_cluster)]  # Zipf inside a cluster
    global_weights = [1 / (i % args.per_cluster + 1) for i in range(len(products))]
    histories: list[list[int]] = []
    for _ in range(args.buyers):
        home = rng.randrange(clusters)
        length = rng.randint(3, 8)
        bought: list[int] = []
        while len(bought) < length:
            if rng.random() < IN_CLUSTER:
                index = (
                    home * args.per_cluster
                    + rng.choices(range(args.per_cluster), cluster_weights)[0]
                )
            else:
                index = rng.choices(range(len(products)), global_weights)[0]
            if index not in bought:
                bought.append(index)
        histories.append(bought)
    test_buyers = set(rng.sample(range(args.buyers), int(args.buyers * args.test_share)))
    return {"products": products, "histories": histories, "test_buyers": test_buyers}


def build(world: dict[str, Any]) -> None:
    """Bulk rows for the catalogue and buyers (set-up), then the training orders through the
    real service."""
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from core.accounts.models import User
    from core.catalog.models import Product, ProductPrice
    from core.catalog.search_index import refresh_search_vectors
    from core.catalog.services.categories import create_category
    from core.recommendations.services.embed_products import embed_products
    from core.recommendations.services.record_purchases import record_paid_order
    from core.sellers.models import Seller, VerificationStatus
    from tenants.services import fill_schema_pool, provision_tenant

    rng = random.Random(SEED + 1)
    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug=SLUG, name="Reco Bench", owner_email="owner@reco.example", owner_password=None
    ).tenant
    products, histories = world["products"], world["histories"]
    with schema_context(tenant.schema_name):
        clusters = 1 + max(p["cluster"] for p in products)
        categories = [
            create_category(name=f"Department {i}")
            for i in range((clusters + CLUSTERS_PER_CATEGORY - 1) // CLUSTERS_PER_CATEGORY)
        ]
        owners = User.objects.bulk_create(
            User(email=f"seller{i}@reco.example", password="!") for i in range(20)
        )
        sellers = Seller.objects.bulk_create(
            Seller(
                owner=owner,
                slug=f"seller-{i}",
                business_name=f"Seller {i}",
                legal_form="company",
                verification_status=VerificationStatus.VERIFIED,
                product_type_grants=["software"],
            )
            for i, owner in enumerate(owners)
        )
        started = datetime.now(UTC)
        rows = []
        for index, spec in enumerate(products):
            topic = spec["words"]
            rows.append(
                Product(
                    seller=rng.choice(sellers),
                    name=f"{topic[0].title()} {rng.choice(topic).title()} {index}",
                    slug=f"product-{index}",
                    summary=" ".join([*rng.sample(topic, 2), *rng.choices(FILLER, k=6)]),
                    description=" ".join([*rng.choices(topic, k=3), *rng.choices(FILLER, k=40)]),
                    product_type="software",
                    category=categories[spec["cluster"] // CLUSTERS_PER_CATEGORY],
                    tags=[rng.choice(topic), rng.choice(FILLER)],
                    status="published",
                    published_at=started - timedelta(minutes=index),
                )
            )
        created = Product.objects.bulk_create(rows)
        ProductPrice.objects.bulk_create(
            ProductPrice(product=p, currency="USD", amount=rng.randint(500, 9000)) for p in created
        )
        refresh_search_vectors([p.pk for p in created])
        started_embedding = time.perf_counter()
        embed_products(product_ids=[p.pk for p in created])
        print(
            f"  {len(created)} products embedded in "
            f"{time.perf_counter() - started_embedding:.1f} s (WordLlama, from its wheel)"
        )
        buyers = User.objects.bulk_create(
            User(email=f"buyer{i}@reco.example", password="!") for i in range(len(histories))
        )
        ids = [p.pk for p in created]
        order_id = 0
        started_training = time.perf_counter()
        for position, (buyer, history) in enumerate(zip(buyers, histories, strict=True)):
            train = history[:-1] if position in world["test_buyers"] else history
            for index in train:
                order_id += 1
                record_paid_order(
                    order_id=order_id,
                    buyer_id=buyer.pk,
                    product_ids=[ids[index]],
                    paid_at=timezone.now(),
                )
        print(
            f"  {order_id} training orders counted in "
            f"{time.perf_counter() - started_training:.1f} s"
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def evaluate(world: dict[str, Any], calls: int) -> dict[str, Any]:
    from django_tenants.utils import schema_context

    from core import cache_versions
    from core.accounts.models import User
    from core.catalog.models import Product
    from core.recommendations.recommenders import (
        SIMILAR_BY_MEANING,
        Context,
        Recommender,
        get_recommender,
    )
    from core.recommendations.shelves import product_shelves

    products, histories = world["products"], world["histories"]
    results: dict[str, Any] = {}
    with schema_context(SCHEMA):
        by_slug = dict(Product.objects.values_list("slug", "pk"))
        ids = [by_slug[f"product-{i}"] for i in range(len(products))]
        paths = dict(Product.objects.values_list("pk", "category__path"))
        buyer_ids = dict(User.objects.filter(email__startswith="buyer").values_list("email", "pk"))
        tests = sorted(world["test_buyers"])
        strategies = ("also_bought", "similar", "similar_embeddings", "for_you", "bestsellers")
        recommenders: dict[str, Recommender] = {
            name: get_recommender(name) for name in strategies if name != "similar_embeddings"
        }
        recommenders["similar_embeddings"] = SIMILAR_BY_MEANING
        hits = dict.fromkeys(strategies, 0)
        shown: dict[str, set[int]] = {name: set() for name in strategies}
        latencies: dict[str, list[float]] = {name: [] for name in strategies}
        for position in tests:
            history = [ids[i] for i in histories[position]]
            train, held_out = history[:-1], history[-1]
            seed = train[-1]
            buyer_id = buyer_ids[f"buyer{position}@reco.example"]
            for name in strategies:
                context = Context(
                    limit=TOP,
                    product_id=seed if name.startswith(("also", "similar")) else None,
                    category_paths=(paths[seed],),
                    buyer_id=buyer_id if name == "for_you" else None,
                    exclude=frozenset(train),
                )
                started = time.perf_counter()
                picks = recommenders[name].recommend(context)
                latencies[name].append((time.perf_counter() - started) * 1000)
                hits[name] += held_out in picks
                shown[name].update(picks)
        for name in strategies:
            results[name] = {
                "hit_rate_at_10": round(hits[name] / len(tests), 3),
                "coverage": round(len(shown[name]) / len(ids), 3),
                "p95_ms": round(percentile(latencies[name], 95), 2),
            }

        rng = random.Random(SEED + 2)
        sample = [rng.choice(ids) for _ in range(calls)]
        uncached, cached = [], []
        for product_id in sample:
            cache_versions.bump(cache_versions.CATALOG)  # every shelf and card computed again
            started = time.perf_counter()
            product_shelves(
                product_id=product_id,
                category_path=paths[product_id],
                buyer_id=None,
                currency="USD",
            )
            uncached.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            shelves = product_shelves(
                product_id=product_id,
                category_path=paths[product_id],
                buyer_id=None,
                currency="USD",
            )
            cached.append((time.perf_counter() - started) * 1000)
            assert shelves, "a product page with no shelf"
    return {
        "strategies": results,
        "tests": len(tests),
        "shelves_p50_ms": round(percentile(uncached, 50), 2),
        "shelves_p95_ms": round(percentile(uncached, 95), 2),
        "cached_p95_ms": round(percentile(cached, 95), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=24)
    parser.add_argument("--per-cluster", type=int, default=25)
    parser.add_argument("--buyers", type=int, default=2400)
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="an earlier run's marketplace")
    args = parser.parse_args()

    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    url = bench_database_url().replace("_bench", "_bench_recommendations")
    world = plan(args)
    started = time.perf_counter()
    if args.reuse:
        setup_django(url)
        from django.core.management import call_command

        call_command("migrate_schemas", schema_name=SCHEMA, interactive=False, verbosity=0)
    else:
        recreate_database(url)
        setup_django(url)
        print(f"building {len(world['products'])} products, {args.buyers} buyers (not timed)...")
        build(world)
    print(f"set-up: {time.perf_counter() - started:.0f} s")

    figures = evaluate(world, args.calls)
    for name, row in figures["strategies"].items():
        print(
            f"  {name:12} hit rate@10 {row['hit_rate_at_10']:.3f}  coverage "
            f"{row['coverage']:.3f}  p95 {row['p95_ms']:.1f} ms (uncached call)"
        )
    print(
        f"product page shelves: uncached p50 {figures['shelves_p50_ms']:.1f} ms  "
        f"p95 {figures['shelves_p95_ms']:.1f} ms; cached p95 {figures['cached_p95_ms']:.2f} ms"
    )
    strategies = figures["strategies"]
    print(
        json.dumps(
            {
                "hit_rate_at_10": strategies["also_bought"]["hit_rate_at_10"],
                "baseline_hit_rate_at_10": strategies["bestsellers"]["hit_rate_at_10"],
                "p95_ms": figures["shelves_p95_ms"],
                "cached_p95_ms": figures["cached_p95_ms"],
                "products": len(world["products"]),
                "buyers": args.buyers,
                "test_buyers": figures["tests"],
                "strategies": strategies,
            }
        )
    )


if __name__ == "__main__":
    main()
