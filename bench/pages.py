"""Storefront pages under gunicorn (2 workers): requests per second of the home, category,
search, product and seller pages, anonymous and signed in, beside the trivial endpoint
(``GET /api/v1/marketplace``) on the same server, and the SQL statements one request of each
costs (first render and warm).

The catalogue is bench/storefront.py's (one tenant, 2,000 published products from 20 sellers in
four categories, half with an image). Product, search and seller pages cycle through many
different URLs (200 products, 24 searches, 20 sellers), so the figures are not one hot URL.

Usage: python bench/pages.py [--products 2000] [--seconds 20] [--connections 8] [--rounds 4]
Last line: {"home_rps", "category_rps", "product_rps", "search_rps", "seller_rps",
"trivial_rps", "max_queries", "*_signed_in_rps", "*_ratio", ...}
"""

from __future__ import annotations

import argparse
import json
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
    start_gunicorn,
    stop_gunicorn,
)
from bench.auth import HOST, REDIS_URL  # noqa: E402
from bench.search import NOUNS  # noqa: E402
from bench.storefront import prepare  # noqa: E402

TRIVIAL_PATH = "/api/v1/marketplace"
BUYER_EMAIL = "buyer@bench.example"
BUYER_PASSWORD = "bench-pages-password"


def page_paths(category: str, products: int, rng: random.Random) -> dict[str, list[str]]:
    return {
        "home": ["/"],
        "category": [f"/c/{category}/", f"/c/{category}/?sort=newest"],
        "search": [f"/search/?q={noun}" for noun in rng.sample(NOUNS, min(24, len(NOUNS)))],
        "product": [f"/p/product-{i}/" for i in rng.sample(range(products), min(200, products))],
        "seller": [f"/s/seller-{i}/" for i in range(20)],
        "trivial": [TRIVIAL_PATH],
    }


def sign_in_buyer() -> str:
    """A buyer's session cookie (the real sign-in form), for the signed-in runs."""
    from django.conf import settings
    from django.test import Client
    from django_tenants.utils import schema_context

    from core.accounts.models import User
    from tenants.models import Domain

    schema = Domain.objects.get(domain=HOST).tenant.schema_name
    with schema_context(schema):
        User.objects.create_user(email=BUYER_EMAIL, password=BUYER_PASSWORD)
    client = Client(HTTP_HOST=HOST)
    answer = client.post("/accounts/login/", {"username": BUYER_EMAIL, "password": BUYER_PASSWORD})
    assert answer.status_code == 302, answer.content[:300]
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def statements(path: str, cookie: str = "") -> tuple[int, int, int]:
    """(first render, warm, bytes): SQL statements of one request in process (the server's
    code), without ``SET search_path``."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST, HTTP_COOKIE=cookie) if cookie else Client(HTTP_HOST=HOST)
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts.append(sum(1 for q in captured if not q["sql"].startswith("SET search_path")))
    return counts[0], counts[1], len(response.content)


def render_each_once(port: int, requests: list[tuple[str, dict[str, str]]]) -> None:
    import http.client

    for path, headers in requests:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=180)
        connection.request("GET", path, headers={"Host": HOST, **headers})
        answer = connection.getresponse()
        answer.read()
        connection.close()
        assert answer.status == 200, (path, answer.status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=20.0, help="per page and kind")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(20261207)

    url = bench_database_url().replace("_bench", "_bench_pages")
    started = time.perf_counter()
    category = prepare(url, args.products, random.Random(20261125))
    cookie = sign_in_buyer()
    print(f"set-up: {args.products} products in {time.perf_counter() - started:.1f} s")
    paths = page_paths(category, args.products, rng)
    pages = [name for name in paths if name != "trivial"]
    costs = {name: statements(paths[name][0]) for name in paths}
    signed_costs = {name: statements(paths[name][0], cookie) for name in pages}

    runs: dict[str, tuple[list[str], dict[str, str]]] = {"trivial": (paths["trivial"], {})}
    for name in pages:
        runs[name] = (paths[name], {})
        runs[f"{name}_signed_in"] = (paths[name], {"Cookie": cookie})
    server, port = start_gunicorn(url, redis_url=REDIS_URL)
    rates: dict[str, list[float]] = {name: [] for name in runs}
    try:
        # Every URL rendered once (a cold worker's first request imports for seconds), then
        # both workers warmed on every kind.
        render_each_once(
            port, [(path, headers) for page_list, headers in runs.values() for path in page_list]
        )
        for page_list, headers in runs.values():
            load(port, page_list, host=HOST, headers=headers, seconds=1, connections=4)
        # Kinds take turns, so a change in background load touches all of them alike.
        for _ in range(args.rounds):
            for name, (page_list, headers) in runs.items():
                seconds = args.seconds / args.rounds
                rate, _ = load(
                    port,
                    page_list,
                    host=HOST,
                    headers=headers,
                    seconds=seconds,
                    connections=args.connections,
                )
                rates[name].append(rate)
    finally:
        stop_gunicorn(server)
    rps = {name: statistics.fmean(values) for name, values in rates.items()}
    trivial = rps["trivial"]
    print(
        f"gunicorn 2 workers, {args.connections} connections, {args.seconds:.0f} s per kind "
        f"in {args.rounds} turns"
    )
    print(
        f"{'page':<10} {'anonymous':>10} {'ratio':>6} {'signed in':>10} {'SQL anon':>9} "
        f"{'SQL signed':>10} {'bytes':>7}"
    )
    for name in pages:
        first, warm, size = costs[name]
        signed_first, signed_warm, _ = signed_costs[name]
        print(
            f"{name:<10} {rps[name]:10.1f} {rps[name] / trivial:6.2f} "
            f"{rps[f'{name}_signed_in']:10.1f} {first:4d}/{warm:<4d} "
            f"{signed_first:5d}/{signed_warm:<4d} {size:7d}"
        )
    print(f"{'trivial':<10} {trivial:10.1f}   (SQL statements: first render/warm)")
    result: dict[str, object] = {f"{name}_rps": round(rps[name], 1) for name in pages}
    result["trivial_rps"] = round(trivial, 1)
    result["max_queries"] = max(costs[name][1] for name in pages)
    result.update({f"{name}_ratio": round(rps[name] / trivial, 3) for name in pages})
    result.update({f"{name}_signed_in_rps": round(rps[f"{name}_signed_in"], 1) for name in pages})
    result["queries_first_render"] = {name: costs[name][0] for name in pages}
    result["queries_signed_in"] = {name: signed_costs[name][1] for name in pages}
    result["products"] = args.products
    print(json.dumps(result))


if __name__ == "__main__":
    main()
