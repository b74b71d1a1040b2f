"""Download links issued per second (``POST /api/v1/digital/library/<e>/versions/<v>/download``:
the access check, the limits, the download logged and a signed Souk URL) with 32 concurrent
clients, against the trivial endpoint (``GET /api/v1/marketplace``) on the same gunicorn
server (2 workers, Redis cache and rate limits); the SQL statements one link costs (the
issue's goal: link issuing at >= 0.5 of the trivial rate with <= 3 queries); and stamping
throughput: pages per second stamping a 200-page PDF (made with fpdf2) with
``processing.stamping.stamp_pdf`` (pikepdf over qpdf).

How it is measured:
- One marketplace runs the digital module with local storage (so the link is a signed Souk
  URL, not an S3 presign) and a per-buyer daily limit far above the load. A seller's e-book
  (a PDF, 1000 downloads per version so the limit's count runs as on a real e-book, stamped
  copies on) is bought through the real checkout by
  ``--buyers`` buyers; each buyer's stamped copy is made; each buyer has a personal access
  token (``Authorization: Bearer``), so no session or CSRF is involved.
- Each client thread holds a keep-alive connection and asks for links as its own buyers
  (thread i uses buyers i, i + connections, ...); every answer must be 200 with a URL, or
  the run fails. Every request writes a download row, as a real one does. The trivial
  endpoint is loaded by the same threads the same way (GET). Rounds alternate between the
  two endpoints; figures are totals over the timed rounds.
- SQL is counted in process (django.test.Client on the marketplace's host, the same
  request) for one warm link. django-tenants' host lookup and ``SET search_path`` are
  counted apart (every request on a tenant host pays them), as in bench/licensing.py, and
  so are the BEGIN/COMMIT of the service's transaction; the bearer token's user lookup is
  part of ``link_queries`` and also shown apart.
- ``--reuse`` runs on an earlier run's marketplace (setting up takes minutes: migrations and
  the checkouts), with new tokens and the earlier runs' download rows deleted.
- Stamping: ``--stamp-runs`` runs on the same 200-page PDF (text on every page, an outline),
  the median taken.

Usage: python bench/downloads.py [--seconds 6] [--rounds 3] [--connections 32]
                                 [--buyers 64] [--workers 2] [--stamp-runs 5] [--reuse]
Last line: {"link_queries", "link_rps", "trivial_rps", "stamp_pages_per_s", ...}
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._support import (  # noqa: E402
    bench_database_url,
    percentile,
    recreate_database,
    setup_django,
    start_gunicorn,
    stop_gunicorn,
)

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/6"
SLUG = "bench-downloads"
HOST = f"{SLUG}.souk.test"
TRIVIAL_PATH = "/api/v1/marketplace"
STAMP_PAGES = 200
DOWNLOAD_LIMIT = 1000  # the most a seller may allow
MODULE_CONFIG = {"digital": {"downloads_per_buyer_per_day": 10_000}}


def link_path(entitlement_id: int, version_id: int) -> str:
    return f"/api/v1/digital/library/{entitlement_id}/versions/{version_id}/download"


def book_pdf(pages: int) -> bytes:
    """A book of ``pages`` pages of text with a bookmark per ten pages (fpdf2)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_font("Helvetica", size=11)
    paragraph = (
        "Price the outcome, not the hour. Clients buy a launched shop, a faster checkout or "
        "a report their board will read; the conversation moves from time to worth. "
    ) * 6
    for page in range(1, pages + 1):
        pdf.add_page()
        if page % 10 == 1:
            pdf.start_section(f"Chapter {page // 10 + 1}")
        pdf.multi_cell(0, 6, f"Page {page}. {paragraph}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def prepare(url: str, buyers: int) -> list[tuple[str, str]]:
    """The marketplace, the e-book and its buyers; returns (token, link path) per buyer."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    recreate_database(url)
    setup_django(url)
    from django_tenants.utils import schema_context

    from core.accounts.models import Role, User
    from core.accounts.services.tokens import create_token
    from core.catalog.services.moderation import approve_product
    from core.catalog.services.products import ProductData, create_product, transition
    from core.commerce.models import OrderLine
    from core.commerce.services.cart import add_product, get_or_create_cart
    from core.commerce.services.checkout import CheckoutInput, checkout_cart
    from core.commerce.services.fulfilment import fulfil_line
    from core.payments.providers.sandbox import SUCCESS_CARD
    from core.sellers.models import Seller, VerificationStatus
    from modules.digital.models import Entitlement, StampedCopy, StampStatus
    from modules.digital.services import products, stamping
    from tenants.services import fill_schema_pool, provision_tenant

    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug=SLUG,
        name="Bench Downloads",
        owner_email="owner@bench.example",
        owner_password=None,
        modules=["digital"],
        module_config=MODULE_CONFIG,
    ).tenant
    paths: list[tuple[str, str]] = []
    with schema_context(tenant.schema_name):
        owner = User.objects.create_user("press@bench.example", None, role=Role.SELLER)
        seller = Seller.objects.create(
            owner=owner,
            slug="press",
            business_name="Bench Press",
            legal_form="company",
            verification_status=VerificationStatus.VERIFIED,
            product_type_grants=["digital"],
        )
        product = create_product(
            seller=seller,
            data=ProductData(name="Pricing Playbook", product_type="digital", prices={"USD": 1900}),
        )
        transition(product=product, action="publish")
        approve_product(product=product)
        products.set_terms(
            seller_id=seller.pk,
            product_id=product.pk,
            # A limit, so the limit's count runs as on a real e-book, high enough for the load.
            data=products.TermsData(update_months=12, download_limit=DOWNLOAD_LIMIT),
        )
        book = products.add_file(seller_id=seller.pk, product_id=product.pk, title="The e-book")
        content = book_pdf(12)
        version = products.upload_version(
            seller_id=seller.pk,
            file_id=book.pk,
            name="playbook.pdf",
            stream=io.BytesIO(content),
            size=len(content),
        )
        for number in range(buyers):
            buyer = User.objects.create_user(f"reader{number}@bench.example", None)
            cart = get_or_create_cart(buyer=buyer, token=None)
            add_product(cart=cart, product_id=product.pk)
            order, _, _ = checkout_cart(
                buyer=buyer,
                cart=cart,
                details=CheckoutInput(country="DE"),
                idempotency_key=uuid.uuid4().hex,
                payment_method=SUCCESS_CARD,
            )
            for line in OrderLine.objects.filter(order=order):
                fulfil_line(line_id=line.pk)
            entitlement = Entitlement.objects.get(buyer=buyer)
            stamping.queue_stamps(entitlement_id=entitlement.pk)
            for copy_id in StampedCopy.objects.filter(
                entitlement=entitlement, status=StampStatus.PENDING
            ).values_list("pk", flat=True):
                stamping.stamp_copy(copy_id=copy_id)
            token = create_token(
                user=buyer,
                name="bench",
                scopes=["read", "write"],
                expires_at=None,
                is_two_factor_verified=False,
            ).raw
            paths.append((token, link_path(entitlement.pk, version.pk)))
        ready = StampedCopy.objects.filter(status=StampStatus.READY).count()
        if ready != buyers:
            raise SystemExit(f"{ready} stamped copies of {buyers}")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return paths


def reused(url: str) -> list[tuple[str, str]]:
    """An earlier run's marketplace and buyers (``--reuse``), each with a new token (only a
    token's hash is kept)."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    setup_django(url)
    from django_tenants.utils import schema_context

    from core.accounts.services.tokens import create_token
    from modules.digital.models import Download, Entitlement, FileVersion
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug=SLUG)
    paths = []
    with schema_context(tenant.schema_name):
        version = FileVersion.objects.get()
        # Bench-only shortcuts: the limit of this version of the bench, and the earlier
        # runs' downloads forgiven, so no buyer runs out (and the daily count stays small).
        Entitlement.objects.update(download_limit=DOWNLOAD_LIMIT)
        Download.objects.all().delete()
        for entitlement in Entitlement.objects.select_related("buyer").order_by("pk"):
            token = create_token(
                user=entitlement.buyer,
                name=f"bench {uuid.uuid4().hex[:8]}",
                scopes=["read", "write"],
                expires_at=None,
                is_two_factor_verified=False,
            ).raw
            paths.append((token, link_path(entitlement.pk, version.pk)))
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return paths


def serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn, tried again when it is slow to come up (a machine busy with other work can
    take longer than _support's minute to import the project the first time)."""
    for attempt in range(1, 4):
        try:
            # A worker importing the project under load may outlive gunicorn's 30 s timeout.
            return start_gunicorn(
                url,
                redis_url=REDIS_URL,
                workers=workers,
                env={"GUNICORN_CMD_ARGS": "--timeout 300"},
            )
        except SystemExit:
            print(f"  gunicorn was not up within a minute (attempt {attempt}); again")
    raise SystemExit("gunicorn did not come up")


def count_queries(token: str, path: str) -> dict[str, int]:
    """SQL statements of one warm link, in process (the server's code and settings)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Bearer {token}")

    def issue() -> dict[str, object]:
        response = client.post(path)
        assert response.status_code == 200, response.content
        answer: dict[str, object] = response.json()
        return answer

    assert issue()["stamped"] is True  # warms the token and enabled-module caches
    with CaptureQueriesContext(connection) as captured:
        assert str(issue()["url"]).startswith(f"http://{HOST}/digital/files/")
    statements = [query["sql"] for query in captured]
    # BEGIN/COMMIT of the service's atomic block are round trips, not queries: apart.
    transaction = [sql for sql in statements if sql in ("BEGIN", "COMMIT", "ROLLBACK")]
    search_path = [sql for sql in statements if sql.startswith("SET search_path")]
    host = [sql for sql in statements if "tenants_domain" in sql]
    auth = [sql for sql in statements if 'FROM "accounts_user"' in sql]
    queries = len(statements) - len(search_path) - len(host) - len(transaction)
    return {
        "transaction_statements": len(transaction),
        "queries": queries,
        "auth_queries": len(auth),
        "service_queries": queries - len(auth),
        "host_lookups": len(host),
        "search_path_sets": len(search_path),
    }


Request = Callable[[http.client.HTTPConnection, int], bool]


def run_clients(
    port: int, request: Request, *, seconds: float, connections: int
) -> tuple[int, float, list[float], list[str]]:
    """Requests completed, elapsed seconds, latencies (ms) and failures of ``connections``
    threads each calling ``request(connection, thread)`` for ``seconds``."""
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


def link_request(paths: list[tuple[str, str]], connections: int) -> Request:
    prepared = [
        (path, {"Host": HOST, "Authorization": f"Bearer {token}", "Content-Length": "0"})
        for token, path in paths
    ]

    def request(connection: http.client.HTTPConnection, n: int) -> bool:
        # Thread i walks buyers i, i + connections, ... so no two threads share a buyer.
        thread, count = divmod(n, 1_000_003)
        path, headers = prepared[(thread + count * connections) % len(prepared)]
        connection.request("POST", path, headers=headers)
        response = connection.getresponse()
        content = response.read()
        return response.status == 200 and b'"url"' in content

    return request


def trivial_request(connection: http.client.HTTPConnection, n: int) -> bool:
    connection.request("GET", TRIVIAL_PATH, headers={"Host": HOST})
    response = connection.getresponse()
    response.read()
    return response.status == 200


def stamping_rate(runs: int) -> tuple[float, float, int]:
    """Pages per second (median of ``runs``), the median seconds, the stamped size in bytes."""
    from modules.digital.processing.stamping import Corner, find_fingerprint, stamp_pdf, stamp_text

    source = book_pdf(STAMP_PAGES)
    text = stamp_text(name="Amara Okafor", email="amara.okafor@demo.localhost", order_number="1042")
    seconds: list[float] = []
    last = b""
    for _ in range(runs):
        started = time.perf_counter()
        stamped = stamp_pdf(
            io.BytesIO(source), text=text, fingerprint="bench-fp-0001", corner=Corner.BOTTOM_RIGHT
        )
        seconds.append(time.perf_counter() - started)
        if stamped.content is None or stamped.pages != STAMP_PAGES:
            raise SystemExit(f"stamping failed: {stamped.reason}")
        last = stamped.content
    if find_fingerprint(io.BytesIO(last)) != "bench-fp-0001":
        raise SystemExit("the stamped PDF lost its fingerprint")
    median = statistics.median(seconds)
    return STAMP_PAGES / median, median, len(last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per round and endpoint")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--buyers", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stamp-runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="an earlier run's marketplace")
    args = parser.parse_args()

    url = bench_database_url()
    if args.reuse:
        paths = reused(url)
        print(f"setup: reused, {len(paths)} buyers")
    else:
        print(f"setup: an e-book bought by {args.buyers} buyers through checkout, copies stamped")
        paths = prepare(url, args.buyers)
    queries = count_queries(*paths[0])
    pages_per_s, stamp_seconds, stamped_size = stamping_rate(args.stamp_runs)
    print(
        f"stamping a {STAMP_PAGES}-page PDF: {stamp_seconds * 1000:.0f} ms "
        f"({pages_per_s:.0f} pages/s, {stamped_size // 1024} KiB out)"
    )
    # Issuing a link reads rows, not files: the server's own media directory will do.
    server, port = serve(url, args.workers)
    links = link_request(paths, args.connections)
    totals = {"link": [0, 0.0], "trivial": [0, 0.0]}
    link_latencies: list[float] = []
    trivial_latencies: list[float] = []
    try:
        for request in (links, trivial_request):  # warm both workers on both paths
            run_clients(port, request, seconds=1.5, connections=args.connections)
        for round_number in range(1, args.rounds + 1):
            for name, request, latencies in (
                ("link", links, link_latencies),
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
    link_rps = totals["link"][0] / totals["link"][1]
    trivial_rps = totals["trivial"][0] / totals["trivial"][1]
    ratio = link_rps / trivial_rps
    print(
        f"gunicorn {args.workers} workers, {args.connections} concurrent clients, "
        f"{args.rounds} x {args.seconds:.0f} s per endpoint, {len(paths)} buyers"
    )
    print(
        f"POST {link_path(0, 0).replace('/0', '/<id>')} (link): {link_rps:8.1f} req/s  "
        f"p50 {percentile(link_latencies, 50):6.1f} ms  "
        f"p95 {percentile(link_latencies, 95):6.1f} ms"
    )
    print(
        f"GET {TRIVIAL_PATH} (trivial): {trivial_rps:8.1f} req/s  "
        f"p50 {percentile(trivial_latencies, 50):6.1f} ms  "
        f"p95 {percentile(trivial_latencies, 95):6.1f} ms"
    )
    print(
        f"SQL per link: {queries['queries']} statement(s) ({queries['auth_queries']} the "
        f"token's user, {queries['service_queries']} the access check, limits, log and copy) "
        f"+ {queries['transaction_statements']} BEGIN/COMMIT "
        f"+ {queries['host_lookups']} host -> tenant lookup and "
        f"{queries['search_path_sets']} SET search_path by django-tenants"
    )
    is_met = ratio >= 0.5 and queries["queries"] <= 3
    print(f"goal (>= 0.5 of trivial, <= 3 queries): {'met' if is_met else 'NOT met'}")
    print(
        json.dumps(
            {
                "link_queries": queries["queries"],
                "link_rps": round(link_rps, 1),
                "trivial_rps": round(trivial_rps, 1),
                "stamp_pages_per_s": round(pages_per_s, 1),
                "ratio": round(ratio, 3),
                "link_service_queries": queries["service_queries"],
                "link_auth_queries": queries["auth_queries"],
                "link_p95_ms": round(percentile(link_latencies, 95), 1),
                "trivial_p95_ms": round(percentile(trivial_latencies, 95), 1),
                "transaction_statements_per_link": queries["transaction_statements"],
                "host_lookups_per_request": queries["host_lookups"],
                "search_path_sets_per_request": queries["search_path_sets"],
                "stamp_ms_200_pages": round(stamp_seconds * 1000, 1),
                "connections": args.connections,
                "workers": args.workers,
                "buyers": len(paths),
            }
        )
    )


if __name__ == "__main__":
    main()
