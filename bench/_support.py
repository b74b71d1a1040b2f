"""Shared by the benchmarks: a throw-away database made from scratch, Django set up on it, and
small timing helpers. Nothing here is imported by the project."""

from __future__ import annotations

import os
import statistics
import sys
from collections.abc import Sequence
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
