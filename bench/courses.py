"""Courses: progress reports per second through the real endpoint (``POST
/api/v1/courses/progress``, bearer tokens, one student per connection, each reporting the
next 5 seconds it played) beside the trivial endpoint (``GET /api/v1/marketplace``) on the
same gunicorn server in the same run; the SQL statements one report costs; and the
transcoder's speed (x realtime) on a 60 s 720p source made with ffmpeg's testsrc.

Usage: python bench/courses.py [--seconds 10] [--connections 8] [--students 64]
Last line: {"progress_rps", "progress_queries", "trivial_rps", "transcode_x_realtime", ...}
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
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

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
SLUG = "course-bench"
HOST = f"{SLUG}.souk.test"
PROGRESS = "/api/v1/courses/progress"
TRIVIAL = "/api/v1/marketplace"
LESSON_SECONDS = 3600
STEP = 5  # seconds a player reports at a time


def prepare(url: str, students: int) -> tuple[int, list[str]]:
    """A marketplace running courses, one course with an hour-long video lesson, and
    ``students`` enrolled buyers with a token each. Returns the lesson id and the tokens."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    recreate_database(url)
    setup_django(url)
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from core.accounts.models import Role, User
    from core.accounts.services.tokens import create_token
    from core.catalog.services.moderation import approve_product
    from core.catalog.services.products import ProductData, create_product, transition
    from core.sellers.models import Seller, VerificationStatus
    from modules.courses.models import Course, Enrolment, Lesson, Section
    from tenants.services import fill_schema_pool, provision_tenant

    fill_schema_pool(size=1)
    tenant = provision_tenant(
        slug=SLUG,
        name="Course Bench",
        owner_email="owner@course-bench.example",
        owner_password=None,
        modules=["courses"],
    ).tenant
    with schema_context(tenant.schema_name):
        owner = User.objects.create_user("teacher@bench.example", None, role=Role.SELLER)
        seller = Seller.objects.create(
            owner=owner,
            slug="teacher",
            business_name="Teacher",
            legal_form="company",
            verification_status=VerificationStatus.VERIFIED,
            product_type_grants=["course"],
        )
        product = create_product(
            seller=seller,
            data=ProductData(name="Bench course", product_type="course", prices={"USD": 4900}),
        )
        transition(product=product, action="publish")
        approve_product(product=product)
        course = Course.objects.create(product=product)
        section = Section.objects.create(course=course, title="One")
        lesson = Lesson.objects.create(
            course=course,
            section=section,
            title="An hour of video",
            kind="video",
            duration_seconds=LESSON_SECONDS,
        )
        buyers = User.objects.bulk_create(
            User(email=f"student{i}@bench.example", password="!", full_name=f"Student {i}")
            for i in range(students)
        )
        # Bench set-up shortcut: enrolments written directly (the tests enrol through checkout).
        Enrolment.objects.bulk_create(
            Enrolment(course=course, buyer=buyer, enrolled_at=timezone.now()) for buyer in buyers
        )
        tokens = [
            create_token(
                user=buyer,
                name="player",
                scopes=["read", "write"],
                expires_at=None,
                is_two_factor_verified=False,
            ).raw
            for buyer in buyers
        ]
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    return lesson.pk, tokens


def reused(url: str) -> tuple[int, list[str]]:
    """An earlier run's marketplace (``--reuse``): new tokens for its students."""
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    setup_django(url)
    from django_tenants.utils import schema_context

    from core.accounts.models import User
    from core.accounts.services.tokens import create_token
    from modules.courses.models import Enrolment, Lesson
    from tenants.models import Tenant

    tenant = Tenant.objects.get(slug=SLUG)
    with schema_context(tenant.schema_name):
        lesson = Lesson.objects.get()
        buyers = User.objects.filter(
            pk__in=Enrolment.objects.values_list("buyer_id", flat=True)
        ).order_by("pk")
        tokens = [
            create_token(
                user=buyer,
                name=f"player-{uuid.uuid4().hex[:8]}",
                scopes=["read", "write"],
                expires_at=None,
                is_two_factor_verified=False,
            ).raw
            for buyer in buyers
        ]
    return lesson.pk, tokens


def body(lesson_id: int, start: int) -> bytes:
    end = start + STEP
    return json.dumps(
        {"lesson_id": lesson_id, "intervals": [[start, end]], "position": end}
    ).encode()


def count_queries(lesson_id: int, token: str) -> dict[str, Any]:
    """SQL statements of one warm report and of one trivial request, in process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST, HTTP_AUTHORIZATION=f"Bearer {token}")

    def statements(method: str, path: str, data: bytes | None) -> list[str]:
        call = getattr(client, method)
        args = (path, data, "application/json") if data is not None else (path,)
        assert call(*args).status_code == 200  # warms the token cache
        with CaptureQueriesContext(connection) as captured:
            response = call(*args)
        assert response.status_code == 200, response.content
        return [q["sql"] for q in captured if not q["sql"].startswith("SET search_path")]

    report = statements("post", PROGRESS, body(lesson_id, 0))
    trivial = statements("get", TRIVIAL, None)
    host_lookup = [sql for sql in report if 'FROM "tenants_domain"' in sql]
    return {
        "total": len(report),
        "beyond_host_lookup": len(report) - len(host_lookup),
        "trivial": len(trivial),
    }


def post_load(
    port: int, lesson_id: int, tokens: list[str], *, seconds: float, connections: int
) -> tuple[float, list[float]]:
    """Reports per second: each connection is a student whose player reports the next
    ``STEP`` seconds it played (wrapping round at the end of the lesson)."""
    import http.client

    stop = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures: list[str] = []

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {
            "Host": HOST,
            "Authorization": f"Bearer {tokens[index % len(tokens)]}",
            "Content-Type": "application/json",
        }
        start = 0
        while time.perf_counter() < stop:
            began = time.perf_counter()
            try:
                connection.request("POST", PROGRESS, body=body(lesson_id, start), headers=headers)
                response = connection.getresponse()
                response.read()
            except OSError as error:
                failures.append(repr(error))
                return
            if response.status != 200:
                failures.append(f"{response.status}")
                return
            latencies[index].append((time.perf_counter() - began) * 1000)
            start = (start + STEP) % (LESSON_SECONDS - STEP)

    began = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"reports failed: {failures[:3]}")
    flat = [value for chunk in latencies for value in chunk]
    return len(flat) / (time.perf_counter() - began), flat


def transcode_speed() -> tuple[float, float, str]:
    """x realtime of ``modules.courses.processing.transcode`` on a 60 s 720p testsrc (with
    a sine tone) source; returns (x realtime, seconds, the ladder made)."""
    from modules.courses.processing.transcode import transcode

    with tempfile.TemporaryDirectory(prefix="souk-bench-hls-") as scratch:
        source = Path(scratch) / "source.mp4"
        subprocess.run(
            [
                "ffmpeg",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc=duration=60:size=1280x720:rate=30",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=60",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-pix_fmt",
                "yuv420p",
                "-c:a",
                "aac",
                "-shortest",
                str(source),
            ],
            check=True,
        )
        began = time.perf_counter()
        made = transcode(source, Path(scratch) / "hls")
        elapsed = time.perf_counter() - began
        ladder = ", ".join(f"{r.height}p" for r in made.renditions)
    return 60 / elapsed, elapsed, ladder


def start_server(url: str) -> tuple[Any, int]:
    """``start_gunicorn``, given longer to come up on a loaded machine (its own minute is
    not always enough for two workers to import Django next to other jobs)."""
    for attempt in range(3):
        try:
            return start_gunicorn(url, redis_url=REDIS_URL)
        except SystemExit:
            print(f"gunicorn slow to start (attempt {attempt + 1}); trying again")
    raise SystemExit("gunicorn did not come up")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--students", type=int, default=64)
    parser.add_argument("--skip-transcode", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep an earlier run's database")
    args = parser.parse_args()

    url = bench_database_url().replace("_bench", "_bench_courses")
    print(f"setup: {args.students} enrolled students, a {LESSON_SECONDS} s video lesson")
    if args.reuse:
        lesson_id, tokens = reused(url)
    else:
        lesson_id, tokens = prepare(url, max(args.students, args.connections))
    queries = count_queries(lesson_id, tokens[-1])
    server, port = start_server(url)
    try:
        try:  # warm the workers (the first requests import the application)
            post_load(port, lesson_id, tokens, seconds=5, connections=args.connections)
        except SystemExit as warming:
            print(f"warm-up: {warming}")
        load(port, TRIVIAL, host=HOST, seconds=3, connections=args.connections)
        progress_rps, progress_ms = post_load(
            port, lesson_id, tokens, seconds=args.seconds, connections=args.connections
        )
        trivial_rps, trivial_ms = load(
            port, TRIVIAL, host=HOST, seconds=args.seconds, connections=args.connections
        )
    finally:
        stop_gunicorn(server)
    print(f"gunicorn 2 workers, {args.connections} connections, {args.seconds:.0f} s per endpoint")
    print(
        f"POST {PROGRESS} (bearer): {progress_rps:8.1f} req/s  "
        f"p95 {percentile(progress_ms, 95):.1f} ms"
    )
    print(
        f"GET {TRIVIAL} (anonymous): {trivial_rps:8.1f} req/s  "
        f"p95 {percentile(trivial_ms, 95):.1f} ms"
    )
    print(
        f"ratio {progress_rps / trivial_rps:.2f}; SQL per report: {queries['total']} statements, "
        f"{queries['beyond_host_lookup']} beyond the host lookup every request makes "
        f"(the trivial request: {queries['trivial']})"
    )
    x_realtime, elapsed = 0.0, 0.0
    if not args.skip_transcode:
        x_realtime, elapsed, ladder = transcode_speed()
        print(f"transcode: 60 s 720p testsrc -> {ladder} in {elapsed:.1f} s = {x_realtime:.2f}x")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        json.dumps(
            {
                "progress_rps": round(progress_rps, 1),
                "progress_queries": queries["beyond_host_lookup"],
                "trivial_rps": round(trivial_rps, 1),
                "transcode_x_realtime": round(x_realtime, 2),
                "ratio": round(progress_rps / trivial_rps, 3),
                "progress_statements_total": queries["total"],
                "trivial_statements_total": queries["trivial"],
                "transcode_seconds": round(elapsed, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
