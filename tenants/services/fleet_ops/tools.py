"""PostgreSQL's client tools run against the database Django uses."""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from psycopg.conninfo import make_conninfo


class FleetOperationError(Exception):
    """A fleet operation cannot run (a missing tool, a damaged archive); the message says
    what to do."""


# --- PostgreSQL client tools -------------------------------------------------------------------


def _server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        return int(cursor.fetchone()[0]) // 10000


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore no older than the server (pg_dump refuses newer servers): the
    one on PATH (shutil.which), else Debian's versioned directory, else the embedded server's
    (pgserver)."""
    return _find_tool(name, _server_major())


@functools.cache
def _find_tool(name: str, major: int) -> str:
    candidates = [shutil.which(name), f"/usr/lib/postgresql/{major}/bin/{name}"]
    embedded = importlib.util.find_spec("pgserver")
    if embedded is not None and embedded.origin:
        candidates.append(str(Path(embedded.origin).parent / "pginstall" / "bin" / name))
    found = []
    for candidate in dict.fromkeys(c for c in candidates if c):
        if not os.access(candidate, os.X_OK):
            continue
        version = subprocess.run([candidate, "--version"], capture_output=True, text=True)
        match = re.search(r"\)\s+(\d+)", version.stdout)
        tool_major = int(match.group(1)) if match else 0
        found.append(f"{candidate} ({tool_major})")
        if tool_major >= major:
            return candidate
    raise FleetOperationError(
        f"{name} for PostgreSQL {major} or newer was not found (looked on PATH with "
        f"shutil.which, in /usr/lib/postgresql/{major}/bin and in pgserver; found: "
        f"{', '.join(found) or 'none'}). Install the client tools, e.g. "
        f"`apt-get install postgresql-client-{major}`."
    )


def _connection_options(database: str | None = None) -> dict[str, str]:
    db = connection.settings_dict
    options = {
        "host": str(db.get("HOST") or ""),
        "port": str(db.get("PORT") or ""),
        "user": str(db.get("USER") or ""),
        "password": str(db.get("PASSWORD") or ""),
        "dbname": database or str(db["NAME"]),
        "sslmode": str((db.get("OPTIONS") or {}).get("sslmode") or ""),
    }
    return {key: value for key, value in options.items() if value}


def _run(tool: str, *args: str, database: str | None = None) -> None:
    options = _connection_options(database)
    env = {**os.environ, **{f"PG{key.upper()}": value for key, value in options.items()}}
    env["PGDATABASE"] = options["dbname"]
    result = subprocess.run([pg_tool(tool), *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise FleetOperationError(f"{tool} failed: {result.stderr.strip()[-2000:]}")


@contextmanager
def _session(database: str | None = None) -> Iterator[psycopg.Connection[Any]]:
    """A connection of its own (autocommit), apart from Django's and its transaction."""
    conninfo = make_conninfo(**_connection_options(database))
    with psycopg.connect(conninfo, autocommit=True) as session:
        yield session


# --- what a tenant is made of --------------------------------------------------------------------


def souk_version() -> str:
    try:
        return importlib.metadata.version("souk")
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        pyproject = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text())
        return str(pyproject["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"
