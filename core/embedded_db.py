"""``python -m core.embedded_db``: start (or reuse) an embedded PostgreSQL under var/ with
pgserver and print its DATABASE_URL. Used by `make demo` / `make test` when DATABASE_URL is
unset; a fresh machine needs nothing but Python."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote

DATABASE = "souk"


def ensure_embedded_database(data_dir: Path) -> str:
    import pgserver  # a dependency of the project; imported late to keep this module light
    import psycopg

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(  # type: ignore[attr-defined]
        str(data_dir), cleanup_mode=None
    )  # keep running after exit
    socket_dir = str(data_dir)
    admin_url = f"postgresql://postgres@{quote(socket_dir, safe='')}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')
    del server
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{DATABASE}"


def main() -> None:
    base = Path(os.environ.get("SOUK_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
    try:
        print(ensure_embedded_database(base / "pgdata"))
    except Exception as exc:  # tell make what failed, not a traceback
        print(f"could not start the embedded PostgreSQL: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
