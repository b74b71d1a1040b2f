"""Checkouts per second (``POST /api/v1/checkout``, a 2-line cart from 2 sellers, paid with the
sandbox card) with 16 concurrent buyers, against the trivial endpoint
(``GET /api/v1/marketplace``) on the same gunicorn server (2 workers, Redis cache); and the SQL
statements one checkout costs (the issue's target: <= 30; Saleor's checkoutComplete is
reported at ~230).

How it is measured:
- Every timed request is a pure checkout: each one is made by a distinct buyer whose cart was
  filled beforehand over HTTP with the buyer's own token (``POST /api/v1/cart/lines``, one
  product of each seller), so the token lookup is warm as in a real session. A round fills
  16 x K carts, untimed, then 16 client threads take those buyers from a shared queue and
  check them out, timed; rounds alternate with the trivial endpoint's load, so a change in
  background load touches both alike. Checkouts/s is the timed checkouts over the timed
  seconds.
- The server runs as production does: REDIS_URL set and ``CELERY_TASK_ALWAYS_EAGER=false``,
  so the after-commit work (each line's fulfilment task, the outbox dispatch) is queued on the
  Redis broker and not run in the request; no worker drains it during the run (the queued
  tasks are dropped at the end). The order e-mails are still sent by the request itself, as
  in production: built in the transaction, then (on_commit) the invoice PDF rendered and the
  message handed to the mail backend - Django's dummy backend here, SMTP in production. The
  fulfilment hook of the software type is the test suite's module (bench settings extend the
  test settings); it only runs eagerly, in process.
- SQL is counted in process (django.test.Client on the tenant's host, the same request and
  body) for one warm checkout: ``queries_per_checkout`` with tasks queued (the request's own
  work, on_commit e-mails included, SAVEPOINTs counted; what Saleor's figure covers);
  ``queries_with_after_commit`` with tasks run eagerly (everything the request sets off in
  process: fulfilment, outbox consumers). ``SET search_path`` statements by django-tenants
  are counted apart, as in bench/auth.py. ``--show-sql`` prints every statement.
- Every checkout must answer 201; anything else (or a dropped connection) is counted in
  ``errors`` with its first answers printed. At the end the database must hold one paid order
  per 201 and the ledger must sum to zero per currency; otherwise the exit status is 1.

Usage: python bench/checkout.py [--checkouts 320] [--rounds 4] [--connections 16]
                                [--trivial-seconds 8] [--show-sql]
Last line: {"queries_per_checkout", "checkouts_per_s", "trivial_rps", "ratio", ...}
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

HOST = "bench-checkout.souk.test"
TRIVIAL_PATH = "/api/v1/marketplace"
CHECKOUT_BODY = {"country": "DE", "payment_method": "4242424242424242"}
# Warm-up checkouts per client thread before the timed rounds (imports, templates, fonts).
WARMUP_PER_CONNECTION = 2
# In-process checkouts: a warm-up, one measured with tasks run eagerly, one with tasks queued.
IN_PROCESS_BUYERS = 3
SERVER_ENV = {
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
}


@dataclass(frozen=True)
class Shop:
    schema_name: str
    product_ids: tuple[int, int]  # one product of each seller
    tokens: list[str]  # one buyer each, write scope


def prepare(url: str, buyer_count: int) -> Shop:
    """A tenant with two verified sellers (one published USD product each), German VAT at
    19 % and ``buyer_count`` buyers with a read+write personal access token each."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    os.environ["EMAIL_BACKEND"] = SERVER_ENV["EMAIL_BACKEND"]
    recreate_database(url)
    setup_django(url)
    from django_tenants.utils import schema_context

    from core.accounts.models import Role, User
    from core.accounts.services.tokens import create_token
    from core.catalog.services.moderation import approve_product
    from core.catalog.services.products import ProductData, create_product, transition
    from core.commerce.services.policy import create_tax_rule
    from core.sellers.models import Seller, VerificationStatus
    from tenants.services import fill_schema_pool, provision_tenant

    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug=HOST.split(".")[0],
        name="Bench Checkout",
        owner_email="owner@bench.example",
        owner_password=None,
    ).tenant
    with schema_context(tenant.schema_name):
        product_ids = []
        for slug, price in (("acme", 2000), ("bolt", 1500)):
            owner = User.objects.create_user(f"{slug}@bench.example", None, role=Role.SELLER)
            seller = Seller.objects.create(
                owner=owner,
                slug=slug,
                business_name=slug.title(),
                legal_form="company",
                verification_status=VerificationStatus.VERIFIED,
                product_type_grants=["software"],
            )
            product = create_product(
                seller=seller,
                data=ProductData(
                    name=f"{slug.title()} Editor", product_type="software", prices={"USD": price}
                ),
            )
            transition(product=product, action="publish")
            approve_product(product=product)
            product_ids.append(product.pk)
        create_tax_rule(country="DE", region="", product_type="", name="VAT", rate_bp=1900)
        tokens = []
        for index in range(buyer_count):
            buyer = User.objects.create_user(f"buyer{index}@bench.example", None)
            issued = create_token(
                user=buyer,
                name="bench",
                scopes=["read", "write"],
                expires_at=None,
                is_two_factor_verified=False,
            )
            tokens.append(issued.raw)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return Shop(
        schema_name=tenant.schema_name,
        product_ids=(product_ids[0], product_ids[1]),
        tokens=tokens,
    )


# --- SQL per checkout, in process -------------------------------------------------------------


@dataclass
class Statement:
    sql: str
    after_commit: bool  # issued by an on_commit callback (a task run eagerly, ...)


@contextmanager
def marking_after_commit(statements: list[Statement]) -> Iterator[None]:
    """Records every statement, marked when an on_commit callback issued it."""
    from django.db import connection

    depth = 0
    original = connection.run_and_clear_commit_hooks

    def run_hooks() -> None:
        nonlocal depth
        depth += 1
        try:
            original()
        finally:
            depth -= 1

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(Statement(sql, depth > 0))
        return execute(sql, params, many, context)

    connection.run_and_clear_commit_hooks = run_hooks
    try:
        with connection.execute_wrapper(record):
            yield
    finally:
        del connection.run_and_clear_commit_hooks


def in_process_checkout(token: str, product_ids: tuple[int, int]) -> list[Statement]:
    """Fill the buyer's cart (which also warms the token), then check out, recording SQL."""
    from django.test import Client

    client = Client(HTTP_HOST=HOST, headers={"Authorization": f"Bearer {token}"})
    for product_id in product_ids:
        response = client.post(
            "/api/v1/cart/lines",
            {"product_id": product_id, "quantity": 1},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content[:500]
    statements: list[Statement] = []
    with marking_after_commit(statements):
        response = client.post(
            "/api/v1/checkout",
            CHECKOUT_BODY,
            content_type="application/json",
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
    assert response.status_code == 201, response.content[:500]
    return statements


def count_queries(shop: Shop) -> tuple[list[Statement], list[Statement]]:
    """(statements with tasks run eagerly, statements with tasks queued) of one warm checkout
    each; the queued run's tasks stay on the broker, dropped with it at the end."""
    from core.celery import app

    warm_up, eager_buyer, queued_buyer = shop.tokens[:IN_PROCESS_BUYERS]
    app.conf.task_always_eager = True
    in_process_checkout(warm_up, shop.product_ids)
    # Eager before queued: an outbox event left pending by the queued run would otherwise be
    # delivered (and counted) by the eager run's dispatch.
    eager = in_process_checkout(eager_buyer, shop.product_ids)
    app.conf.task_always_eager = False
    queued = in_process_checkout(queued_buyer, shop.product_ids)
    return eager, queued


def is_search_path(statement: Statement) -> bool:
    return statement.sql.startswith("SET search_path")


TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?([\w.]+)"?', re.IGNORECASE)


def statement_kind(sql: str) -> str:
    words = sql.split(None, 2)
    kind = words[0].upper()
    if kind == "RELEASE":
        return "RELEASE SAVEPOINT"
    if kind in {"SAVEPOINT", "SET"}:
        return kind
    found = TABLE.search(sql)
    return f"{kind} {found.group(1) if found else '?'}"


def print_breakdown(eager: list[Statement], queued: list[Statement], show_sql: bool) -> None:
    """Per statement kind and table: the request's statements (tasks queued), those of them
    run by on_commit callbacks in the request, and what the tasks add when run eagerly."""
    own = [s for s in queued if not is_search_path(s)]
    request = Counter(statement_kind(s.sql) for s in own)
    after = Counter(statement_kind(s.sql) for s in own if s.after_commit)
    tasks = Counter(statement_kind(s.sql) for s in eager if not is_search_path(s)) - request
    print("SQL of one checkout (2 lines, 2 sellers), by statement and table:")
    print(f"  {'statement':<40} {'request':>7} {'of which after commit':>21} {'tasks':>5}")
    for kind in sorted(request.keys() | tasks.keys(), key=lambda k: (-request[k], -tasks[k], k)):
        print(f"  {kind:<40} {request[kind]:>7} {after[kind]:>21} {tasks[kind]:>5}")
    print(
        f"  {'total':<40} {sum(request.values()):>7} {sum(after.values()):>21} "
        f"{sum(tasks.values()):>5}"
    )
    if show_sql:
        print("Statements of the request (tasks queued), in order; * = run after commit:")
        for number, statement in enumerate(queued, 1):
            mark = "*" if statement.after_commit else " "
            print(f"  {number:3d}{mark} {statement.sql[:200]}")
        print("Statements run after commit with tasks eager, in order:")
        for number, statement in enumerate((s for s in eager if s.after_commit), 1):
            print(f"  {number:3d} {statement.sql[:200]}")


# --- load over HTTP ---------------------------------------------------------------------------


@dataclass
class Batch:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # ms, 201 answers only
    errors: list[str] = field(default_factory=list)


def _post(
    connection: http.client.HTTPConnection, path: str, body: Any, headers: dict[str, str]
) -> tuple[int, bytes]:
    connection.request(
        "POST",
        path,
        body=json.dumps(body),
        headers={"Host": HOST, "Content-Type": "application/json", **headers},
    )
    response = connection.getresponse()
    return response.status, response.read()


def run_clients(
    port: int, tokens: list[str], connections: int, request: Any, expected: int
) -> Batch:
    """``connections`` threads take the tokens from one queue and call ``request(connection,
    token)`` once per token; answers other than ``expected`` and exceptions are errors."""
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for token in tokens:
        todo.put(token)
    batch = Batch()
    lock = threading.Lock()
    start = threading.Barrier(connections + 1)

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        while True:
            try:
                token = todo.get_nowait()
            except queue.Empty:
                break
            started = time.perf_counter()
            try:
                status, body = request(connection, token)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                with lock:
                    batch.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status == expected:
                    batch.latencies.append(elapsed)
                else:
                    batch.errors.append(f"{status}: {body[:300].decode(errors='replace')}")
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    batch.seconds = time.perf_counter() - began
    return batch


def fill_carts(port: int, tokens: list[str], connections: int, shop: Shop) -> None:
    def add_lines(connection: http.client.HTTPConnection, token: str) -> tuple[int, bytes]:
        for product_id in shop.product_ids:
            status, body = _post(
                connection,
                "/api/v1/cart/lines",
                {"product_id": product_id, "quantity": 1},
                {"Authorization": f"Bearer {token}"},
            )
            if status != 200:
                return status, body
        return 200, b""

    batch = run_clients(port, tokens, connections, add_lines, 200)
    if batch.errors:  # set-up, not measurement: a cart that is not full makes the run invalid
        raise SystemExit(f"filling carts failed: {batch.errors[:3]}")


def check_out(port: int, tokens: list[str], connections: int) -> Batch:
    def checkout(connection: http.client.HTTPConnection, token: str) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
        return _post(connection, "/api/v1/checkout", CHECKOUT_BODY, headers)

    return run_clients(port, tokens, connections, checkout, 201)


# --- the books afterwards ---------------------------------------------------------------------


def verify(schema_name: str, expected_paid: int) -> tuple[bool, str]:
    """One paid order per 201, nothing left unpaid, the ledger at zero per currency."""
    from django.db import connection
    from django.db.models import Count, Q, Sum
    from django_tenants.utils import schema_context

    from core.commerce.models import Order
    from core.payments.models import JournalLine

    connection.close()  # the server held the database; start from a fresh connection
    with schema_context(schema_name):
        orders = Order.objects.aggregate(
            paid=Count("id", filter=Q(paid_at__isnull=False)),
            unpaid=Count("id", filter=Q(paid_at__isnull=True)),
        )
        ledger = {
            row["currency"]: int(row["total"])
            for row in JournalLine.objects.values("currency").annotate(total=Sum("amount"))
        }
        lines = JournalLine.objects.count()
    is_sound = (
        orders["paid"] == expected_paid
        and orders["unpaid"] == 0
        and bool(ledger)
        and all(total == 0 for total in ledger.values())
    )
    report = (
        f"paid orders {orders['paid']} (201 answers {expected_paid}), unpaid orders "
        f"{orders['unpaid']}; ledger: {lines} journal lines, sum per currency {ledger}"
    )
    return is_sound, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=320, help="timed, over all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--trivial-seconds", type=float, default=8.0, help="over all rounds")
    parser.add_argument("--show-sql", action="store_true", help="print every statement")
    args = parser.parse_args()
    per_round = max(1, args.checkouts // args.rounds)
    warmup = WARMUP_PER_CONNECTION * args.connections
    buyer_count = IN_PROCESS_BUYERS + warmup + per_round * args.rounds

    url = bench_database_url().replace("_bench", "_bench_checkout")
    started = time.perf_counter()
    shop = prepare(url, buyer_count)
    print(f"set-up: {buyer_count} buyers with tokens in {time.perf_counter() - started:.1f} s")
    eager, queued = count_queries(shop)
    print_breakdown(eager, queued, args.show_sql)

    tokens = shop.tokens[IN_PROCESS_BUYERS:]
    warmup_tokens, tokens = tokens[:warmup], tokens[warmup:]
    server, port = start_gunicorn(url, redis_url=REDIS_URL, env=SERVER_ENV)
    checkouts = Batch()
    trivial_rates: list[float] = []
    longest_round = 0.0  # from the first cart filled to the last checkout
    try:
        load(port, TRIVIAL_PATH, host=HOST, seconds=2, connections=args.connections)
        fill_carts(port, warmup_tokens, args.connections, shop)
        warm = check_out(port, warmup_tokens, args.connections)
        for turn in range(args.rounds):
            rate, _ = load(
                port,
                TRIVIAL_PATH,
                host=HOST,
                seconds=args.trivial_seconds / args.rounds,
                connections=args.connections,
            )
            trivial_rates.append(rate)
            batch_tokens = tokens[turn * per_round : (turn + 1) * per_round]
            round_started = time.perf_counter()
            fill_carts(port, batch_tokens, args.connections, shop)
            batch = check_out(port, batch_tokens, args.connections)
            longest_round = max(longest_round, time.perf_counter() - round_started)
            checkouts.seconds += batch.seconds
            checkouts.latencies += batch.latencies
            checkouts.errors += batch.errors
    finally:
        stop_gunicorn(server)
    import redis

    from core.accounts.services.tokens import CACHE_SECONDS

    broker = redis.Redis.from_url(REDIS_URL)
    queued_tasks = int(broker.llen("celery"))
    broker.flushdb()  # the queued tasks no worker ran

    errors = warm.errors + checkouts.errors
    succeeded = len(checkouts.latencies)
    # Every in-process checkout answered 201 (asserted).
    is_sound, books = verify(shop.schema_name, IN_PROCESS_BUYERS + len(warm.latencies) + succeeded)
    own = sum(1 for s in queued if not is_search_path(s))
    with_after_commit = sum(1 for s in eager if not is_search_path(s))
    search_paths = sum(1 for s in queued if is_search_path(s))
    checkouts_per_s = succeeded / checkouts.seconds
    trivial_rps = statistics.fmean(trivial_rates)
    p50, p95 = (
        (percentile(checkouts.latencies, 50), percentile(checkouts.latencies, 95))
        if checkouts.latencies
        else (0.0, 0.0)
    )
    # The in-process queued checkout's tasks are on the broker too.
    server_checkouts = 1 + len(warm.latencies) + succeeded
    print(
        f"gunicorn 2 workers, tasks queued on Redis (not eager), {args.connections} concurrent "
        f"buyers; {args.rounds} rounds of {per_round} timed checkouts "
        f"(+ {len(warmup_tokens)} warm-up), each by a buyer with a pre-filled 2-line cart"
    )
    print(
        f"POST /api/v1/checkout:          {checkouts_per_s:8.1f} checkouts/s   "
        f"p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({succeeded} x 201, {len(errors)} errors)"
    )
    print(f"GET {TRIVIAL_PATH} (anonymous): {trivial_rps:8.1f} req/s")
    print(
        f"SQL per checkout: {own} statements in the request (+ {search_paths} SET search_path); "
        f"{with_after_commit} with the after-commit work run in process (tasks eager)"
    )
    print(
        f"tasks left queued on the broker: {queued_tasks} "
        f"({queued_tasks / server_checkouts:.1f} per checkout; none ran in the server)"
    )
    if longest_round > CACHE_SECONDS:
        print(
            f"note: a round took {longest_round:.0f} s, longer than the token cache's "
            f"{CACHE_SECONDS} s, so some checkouts looked their token up again"
        )
    for error in list(dict.fromkeys(errors))[:5]:
        print(f"error: {error}")
    print(f"books: {books}" + ("" if is_sound else "  <-- MISMATCH"))
    print(
        json.dumps(
            {
                "queries_per_checkout": own,
                "queries_with_after_commit": with_after_commit,
                "search_path_sets": search_paths,
                "checkouts_per_s": round(checkouts_per_s, 1),
                "trivial_rps": round(trivial_rps, 1),
                "ratio": round(checkouts_per_s / trivial_rps, 3),
                "p50_ms": round(p50, 1),
                "p95_ms": round(p95, 1),
                "checkouts": succeeded,
                "errors": len(errors),
                "books_balance": is_sound,
            }
        )
    )
    if errors or not is_sound:
        sys.exit(1)


if __name__ == "__main__":
    main()
