"""Requests per second of an authenticated ``GET /api/v1/me`` (bearer personal access token)
against an anonymous trivial endpoint (``GET /api/v1/marketplace``) on the same gunicorn server
(2 workers, Redis cache), and the SQL statements one authenticated request costs.

Usage: python bench/auth.py [--seconds 10] [--connections 8]
Last line: {"me_rps", "trivial_rps", "ratio", "queries_per_request", ...}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
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

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
HOST = "bench-shop.souk.test"


def prepare(url: str) -> str:
    """A tenant with a buyer and a read-scoped token; returns the raw token."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    recreate_database(url)
    setup_django(url)
    from django_tenants.utils import schema_context

    from core.accounts.models import User
    from core.accounts.services.tokens import create_token
    from tenants.services import fill_schema_pool, provision_tenant

    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug="bench-shop",
        name="Bench Shop",
        owner_email="owner@bench.example",
        owner_password=None,
    ).tenant
    with schema_context(tenant.schema_name):
        user = User.objects.create_user("buyer@bench.example", "a long bench passphrase")
        issued = create_token(
            user=user,
            name="bench",
            scopes=["read"],
            expires_at=None,
            is_two_factor_verified=False,
        )
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return issued.raw


def count_queries(token: str) -> dict[str, int]:
    """SQL statements of one warm authenticated request, in process (same code as the server)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # warms the token cache
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.content
    statements = [query["sql"] for query in captured]
    search_path = [sql for sql in statements if sql.startswith("SET search_path")]
    return {"queries": len(statements) - len(search_path), "search_path_sets": len(search_path)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()

    url = bench_database_url().replace("_bench", "_bench_auth")
    token = prepare(url)
    queries = count_queries(token)
    server, port = start_gunicorn(url, redis_url=REDIS_URL)
    try:
        bearer = {"Authorization": f"Bearer {token}"}
        for path, headers in (("/api/v1/me", bearer), ("/api/v1/marketplace", {})):
            load(port, path, host=HOST, headers=headers, seconds=2, connections=args.connections)
        me_rps, _ = load(
            port,
            "/api/v1/me",
            host=HOST,
            headers=bearer,
            seconds=args.seconds,
            connections=args.connections,
        )
        trivial_rps, _ = load(
            port,
            "/api/v1/marketplace",
            host=HOST,
            seconds=args.seconds,
            connections=args.connections,
        )
    finally:
        stop_gunicorn(server)
    print(f"gunicorn 2 workers, {args.connections} connections, {args.seconds:.0f} s per endpoint")
    print(f"GET /api/v1/me (bearer token):      {me_rps:8.1f} req/s")
    print(f"GET /api/v1/marketplace (anonymous): {trivial_rps:8.1f} req/s")
    print(
        f"SQL per authenticated request: {queries['queries']} statements "
        f"(+ {queries['search_path_sets']} SET search_path by django-tenants)"
    )
    print(
        json.dumps(
            {
                "me_rps": round(me_rps, 1),
                "trivial_rps": round(trivial_rps, 1),
                "ratio": round(me_rps / trivial_rps, 3),
                "queries_per_request": queries["queries"],
                "search_path_sets_per_request": queries["search_path_sets"],
            }
        )
    )


if __name__ == "__main__":
    main()
