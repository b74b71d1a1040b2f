"""Shared by the benchmarks: a throw-away database made from scratch, Django set up on it, and
small timing helpers. Nothing here is imported by the project."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/souk_bench"
SETTINGS_MODULE = "core.settings.test"


def bench_database_url() -> str:
    """DATABASE_URL (or the default), with the database renamed ``<name>_bench`` unless its
    name already mentions "bench": the benchmark drops the database it runs on, and
    `make bench` passes the demo database's URL."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "souk"
    if "bench" not in name:
        name += "_bench"
    return urlunsplit(parts._replace(path="/" + name))


def recreate_database(url: str) -> str:
    """DROP + CREATE the database of ``url`` (connecting to the server's ``postgres``
    database); returns its name."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    name = str(config["NAME"])
    connect: dict[str, str] = {"dbname": "postgres"}
    for key, option in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
        if config.get(key):
            connect[option] = str(config[key])
    if config.get("PASSWORD"):
        connect["password"] = str(config["PASSWORD"])
    with psycopg.connect(autocommit=True, **connect) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def setup_django(url: str) -> None:
    """Point Django at ``url`` and build the public schema (shared apps). Output is
    line-buffered so progress shows when piped."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    # Per-tenant INFO/WARNING log lines would bury the output; LOG_LEVEL=INFO shows them.
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)


def migration_count() -> int:
    from django.db.migrations.loader import MigrationLoader

    return len(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> str:
    return (
        f"p50 {percentile(values, 50):8.1f} ms  p95 {percentile(values, 95):8.1f} ms  "
        f"min {min(values):8.1f} ms  max {max(values):8.1f} ms  "
        f"mean {statistics.fmean(values):8.1f} ms  (n={len(values)})"
    )


def _client_env() -> dict[str, str]:
    """libpq environment for pg_dump/psql, from Django's connection settings."""
    from django.db import connection

    config = connection.settings_dict
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if config.get(key):
            env[variable] = str(config[key])
    return env


def _client_binaries() -> tuple[str, str] | None:
    """pg_dump and psql at least as new as the server: PATH first, then pgserver's."""
    from django.db import connection

    server_major = connection.pg_version // 10000
    for directory in _binary_directories():
        pg_dump = shutil.which("pg_dump", path=directory)
        psql = shutil.which("psql", path=directory)
        if not pg_dump or not psql:
            continue
        version = subprocess.run(
            [pg_dump, "--version"], capture_output=True, text=True, check=False
        ).stdout
        match = re.search(r"\(PostgreSQL\)\s+(\d+)", version)
        if match and int(match.group(1)) >= server_major:
            return pg_dump, psql
    return None


def _binary_directories() -> Iterator[str | None]:
    yield None  # PATH
    try:
        import pgserver  # the embedded server's binaries; imported only if PATH has none
    except ImportError:
        return
    yield str(Path(pgserver.__file__).parent / "pginstall" / "bin")


def fast_fill_pool(count: int, progress_every: int = 50) -> bool:
    """Bench-only setup shortcut: add ``count`` pool schemas that are byte-for-byte restores
    of the template (pg_dump once, then per schema: rename the template to the pool name and
    restore the dump as the new template). Same content as ``fill_schema_pool``'s clones, but
    its cost does not grow with the number of schemas in the database. False (nothing done)
    when no suitable pg_dump/psql is found."""
    from django.conf import settings
    from django.db import connection

    from tenants.models import PooledSchema
    from tenants.schemas_sql import quoted
    from tenants.services import ensure_template_schema

    binaries = _client_binaries()
    if binaries is None:
        return False
    pg_dump, psql = binaries
    ensure_template_schema()
    connection.close()  # nothing of ours is open while psql renames the template
    env = _client_env()
    template = settings.SOUK_TEMPLATE_SCHEMA
    dump = subprocess.run(
        [pg_dump, "--schema", template, "--no-owner", "--no-privileges"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    started = time.perf_counter()
    for start in range(0, count, progress_every):
        names = [f"pool_{uuid.uuid4().hex[:16]}" for _ in range(min(progress_every, count - start))]
        script = "".join(
            f"ALTER SCHEMA {quoted(template)} RENAME TO {quoted(name)};\n{dump}\n" for name in names
        )
        subprocess.run(
            [psql, "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "--output", os.devnull],
            input=script,
            env=env,
            text=True,
            check=True,
        )
        PooledSchema.objects.bulk_create(PooledSchema(schema_name=name) for name in names)
        print(
            f"  setup: {start + len(names)}/{count} pool schemas restored "
            f"({time.perf_counter() - started:.0f} s)"
        )
    return True


# --- serving and load (bench/auth.py, bench/web.py, bench/storefront.py) ----------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    url: str, *, redis_url: str, workers: int = 2, env: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """gunicorn on a free loopback port with the benchmark settings (``env`` adds to or
    overrides the server's environment); returns once /healthz answers. Stop it with
    ``stop_gunicorn``."""
    import http.client

    port = free_port()
    server_env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        **(env or {}),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "core.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=server_env,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not come up")


def stop_gunicorn(server: subprocess.Popen[bytes]) -> None:
    import signal

    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=15)


def load(
    port: int,
    path: str | Sequence[str],
    *,
    host: str,
    headers: dict[str, str] | None = None,
    seconds: float,
    connections: int,
) -> tuple[float, list[float]]:
    """Requests per second and per-request latencies (ms) over keep-alive connections from
    ``connections`` threads; any non-200 answer stops the benchmark. Several paths are taken
    in turn (each thread from its own offset)."""
    import http.client
    import threading

    stop = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures: list[str] = []

    paths = [path] if isinstance(path, str) else list(path)

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        turn = index * 7
        while time.perf_counter() < stop:
            target = paths[turn % len(paths)]
            turn += 1
            started = time.perf_counter()
            connection.request("GET", target, headers={"Host": host, **(headers or {})})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(f"{target}: {response.status}")
                return
            latencies[index].append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"requests failed: {failures[:3]}")
    flat = [value for chunk in latencies for value in chunk]
    return len(flat) / (time.perf_counter() - started), flat
