"""Licence validations per second (``POST /api/v1/licenses/validate`` with key + fingerprint)
with 32 concurrent clients, against the trivial endpoint (``GET /api/v1/marketplace``) on the
same gunicorn server (2 workers, Redis cache and rate limits); the SQL statements one
validation costs (the issue's target: <= 2); and the p95 latency of a validation under that
load.

How it is measured:
- One marketplace runs the licensing module with ``--licenses`` licences (strict policy, two
  entitlements), each activated on one machine. Its per-key and per-IP validation limits are
  set far above the load (module config), so rate limiting runs on every call (three GCRA
  checks in Redis: marketplace, IP, key) but never refuses. The API-wide limits are raised by
  ``bench/bench_settings.py`` likewise.
- Each client thread holds a keep-alive connection and walks its own slice of the keys,
  validating ``{key, fingerprint, entitlements: ["pro"]}``; every answer must be 200 with
  ``"code": "VALID"``, or the run fails. The trivial endpoint is loaded by the same threads
  the same way (GET). Rounds alternate between the two endpoints, so a change in background
  load touches both alike; figures are totals over the timed rounds.
- SQL is counted in process (django.test.Client on the marketplace's host, the same request)
  for one warm validation. django-tenants' host lookup and ``SET search_path`` are counted
  apart (every request on a tenant host pays them), as in bench/auth.py.

Usage: python bench/licensing.py [--seconds 6] [--rounds 3] [--connections 32]
                                 [--licenses 4000] [--workers 2]
Last line: {"validations_per_s", "trivial_rps", "ratio", "queries_per_validation", "p95_ms"}
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    percentile,
    recreate_database,
    setup_django,
    start_gunicorn,
    stop_gunicorn,
)

DATABASE_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/souk_licbench"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/6"
SLUG = "bench-licensing"
HOST = f"{SLUG}.souk.test"
VALIDATE_PATH = "/api/v1/licenses/validate"
TRIVIAL_PATH = "/api/v1/marketplace"
FINGERPRINT = "bench-machine"
MODULE_CONFIG = {
    "licensing": {
        "validations_per_key_per_minute": 100_000,
        "validations_per_ip_per_minute": 1_000_000,
    }
}


def bench_url() -> str:
    """DATABASE_URL must name a database with "bench" in it: the benchmark drops it."""
    from urllib.parse import urlsplit

    name = urlsplit(DATABASE_URL).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the bench database's name must say bench")
    return DATABASE_URL


def prepare(url: str, license_count: int) -> list[str]:
    """The marketplace, one seller's product with a strict 5-machine policy, and
    ``license_count`` licences activated on FINGERPRINT; returns their keys."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    recreate_database(url)
    setup_django(url)
    from django_tenants.utils import schema_context

    from core.accounts.models import Role, User
    from core.catalog.services.moderation import approve_product
    from core.catalog.services.products import ProductData, create_product, transition
    from core.sellers.models import Seller, VerificationStatus
    from modules.licensing.keys import new_key
    from modules.licensing.models import License, Machine
    from modules.licensing.services.software import PolicyData, create_policy
    from tenants.services import fill_schema_pool, provision_tenant

    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug=SLUG,
        name="Bench Licensing",
        owner_email="owner@bench.example",
        owner_password=None,
        modules=["licensing"],
        module_config=MODULE_CONFIG,
    ).tenant
    with schema_context(tenant.schema_name):
        owner = User.objects.create_user("acme@bench.example", None, role=Role.SELLER)
        seller = Seller.objects.create(
            owner=owner,
            slug="acme",
            business_name="Acme",
            legal_form="company",
            verification_status=VerificationStatus.VERIFIED,
            product_type_grants=["software"],
        )
        product = create_product(
            seller=seller,
            data=ProductData(name="Swift Editor", product_type="software", prices={"USD": 2000}),
        )
        transition(product=product, action="publish")
        approve_product(product=product)
        policy = create_policy(
            product=product,
            data=PolicyData(name="Standard", max_activations=5, entitlements=["pro", "export"]),
            is_default=True,
        )
        buyer = User.objects.create_user("buyer@bench.example", None)
        licenses = License.objects.bulk_create(
            License(key=new_key(), product=product, policy=policy, seller=seller, buyer=buyer)
            for _ in range(license_count)
        )
        Machine.objects.bulk_create(
            Machine(license=license, fingerprint=FINGERPRINT, name="bench") for license in licenses
        )
        keys = [license.key for license in licenses]
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return keys


def body_of(key: str) -> bytes:
    return json.dumps({"key": key, "fingerprint": FINGERPRINT, "entitlements": ["pro"]}).encode()


def count_queries(key: str) -> dict[str, int]:
    """SQL statements of one warm validation, in process (the server's code and settings)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)

    def validate() -> dict[str, object]:
        response = client.post(VALIDATE_PATH, body_of(key), content_type="application/json")
        assert response.status_code == 200, response.content
        answer: dict[str, object] = response.json()
        return answer

    assert validate()["code"] == "VALID"  # warms the enabled-module cache
    with CaptureQueriesContext(connection) as captured:
        assert validate()["code"] == "VALID"
    statements = [query["sql"] for query in captured]
    search_path = [sql for sql in statements if sql.startswith("SET search_path")]
    host = [sql for sql in statements if "tenants_domain" in sql]
    return {
        "queries": len(statements) - len(search_path) - len(host),
        "host_lookups": len(host),
        "search_path_sets": len(search_path),
    }


Request = Callable[[http.client.HTTPConnection, int], bool]


def run_clients(
    port: int, request: Request, *, seconds: float, connections: int
) -> tuple[int, float, list[float], list[str]]:
    """Requests completed, elapsed seconds, latencies (ms) and failures of ``connections``
    threads each calling ``request(connection, n)`` for ``seconds``."""
    stop = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures: list[str] = []
    barrier = threading.Barrier(connections + 1)

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        barrier.wait()
        count = 0
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                is_ok = request(connection, index * 1_000_003 + count)
            except (OSError, http.client.HTTPException) as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
                return
            if not is_ok:
                failures.append(f"thread {index}: unexpected answer")
                return
            latencies[index].append((time.perf_counter() - started) * 1000)
            count += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    flat = [value for chunk in latencies for value in chunk]
    return len(flat), elapsed, flat, failures


def validation_request(keys: list[str], connections: int) -> Request:
    bodies = [body_of(key) for key in keys]
    headers = {"Host": HOST, "Content-Type": "application/json"}

    def request(connection: http.client.HTTPConnection, n: int) -> bool:
        # Thread i walks keys i, i + connections, ... so no two threads share a key.
        thread, count = divmod(n, 1_000_003)
        body = bodies[(thread + count * connections) % len(bodies)]
        connection.request("POST", VALIDATE_PATH, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        return response.status == 200 and b'"code": "VALID"' in content

    return request


def trivial_request(connection: http.client.HTTPConnection, n: int) -> bool:
    connection.request("GET", TRIVIAL_PATH, headers={"Host": HOST})
    response = connection.getresponse()
    response.read()
    return response.status == 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per round and endpoint")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--licenses", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    url = bench_url()
    print(f"setup: {args.licenses} licences, each activated on one machine")
    keys = prepare(url, args.licenses)
    queries = count_queries(keys[0])
    server, port = start_gunicorn(url, redis_url=REDIS_URL, workers=args.workers)
    validations = validation_request(keys, args.connections)
    totals = {"validate": [0, 0.0], "trivial": [0, 0.0]}
    validation_latencies: list[float] = []
    trivial_latencies: list[float] = []
    try:
        for request in (validations, trivial_request):  # warm both workers on both paths
            run_clients(port, request, seconds=1.5, connections=args.connections)
        for round_number in range(1, args.rounds + 1):
            for name, request, latencies in (
                ("validate", validations, validation_latencies),
                ("trivial", trivial_request, trivial_latencies),
            ):
                done, elapsed, measured, failures = run_clients(
                    port, request, seconds=args.seconds, connections=args.connections
                )
                if failures:
                    raise SystemExit(f"{name}: {len(failures)} failures, e.g. {failures[:3]}")
                totals[name][0] += done
                totals[name][1] += elapsed
                latencies.extend(measured)
                print(f"  round {round_number} {name:8s}: {done / elapsed:8.1f} req/s")
    finally:
        stop_gunicorn(server)
    validations_per_s = totals["validate"][0] / totals["validate"][1]
    trivial_rps = totals["trivial"][0] / totals["trivial"][1]
    p95 = percentile(validation_latencies, 95)
    print(
        f"gunicorn {args.workers} workers, {args.connections} concurrent clients, "
        f"{args.rounds} x {args.seconds:.0f} s per endpoint, {len(keys)} keys"
    )
    print(
        f"POST {VALIDATE_PATH} (key + fingerprint): {validations_per_s:8.1f} req/s  "
        f"p50 {percentile(validation_latencies, 50):6.1f} ms  p95 {p95:6.1f} ms"
    )
    print(
        f"GET {TRIVIAL_PATH} (trivial):           {trivial_rps:8.1f} req/s  "
        f"p50 {percentile(trivial_latencies, 50):6.1f} ms  "
        f"p95 {percentile(trivial_latencies, 95):6.1f} ms"
    )
    print(
        f"SQL per validation: {queries['queries']} statement(s) "
        f"(+ {queries['host_lookups']} host -> tenant lookup and "
        f"{queries['search_path_sets']} SET search_path by django-tenants)"
    )
    print(
        json.dumps(
            {
                "validations_per_s": round(validations_per_s, 1),
                "trivial_rps": round(trivial_rps, 1),
                "ratio": round(validations_per_s / trivial_rps, 3),
                "queries_per_validation": queries["queries"],
                "p95_ms": round(p95, 1),
                "trivial_p95_ms": round(percentile(trivial_latencies, 95), 1),
                "host_lookups_per_request": queries["host_lookups"],
                "search_path_sets_per_request": queries["search_path_sets"],
                "connections": args.connections,
                "workers": args.workers,
                "licenses": len(keys),
            }
        )
    )


if __name__ == "__main__":
    main()
