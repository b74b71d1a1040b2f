"""Asynchronous commit for a hot path's single, low-value write statement.

A write in autocommit waits for its WAL record to reach the disk (an fsync: milliseconds, more
than everything else such a request does). PostgreSQL's asynchronous commit
(``synchronous_commit = off``) returns at once and flushes within ``3 * wal_writer_delay``
(600 ms by default): a crash of the *database server* in that window loses the transaction
cleanly, it never corrupts anything. That is the right trade for a video player's progress
report (the next one, seconds later, carries the same intervals) and a download's log row (at
worst a buyer gets one download more), and never for money, which keeps the default.

The setting is turned off inside the statement itself, for its own transaction only, so it
costs no round trip: the statement names ``ASYNC_COMMIT_CTE`` in its WITH list and requires
``ASYNC_COMMIT_CHECK`` in a WHERE clause it always evaluates (an unreferenced CTE would never
run), with the parameters from ``async_commit_params()``. Inside a caller's transaction the
statement leaves the setting as it is: a money-moving transaction around it is never relaxed.
"""

from __future__ import annotations

from django.db import connection

ASYNC_COMMIT_CTE = (
    "async_commit AS (SELECT set_config('synchronous_commit', "
    "COALESCE(%(synchronous_commit)s, current_setting('synchronous_commit')), true) AS mode)"
)
ASYNC_COMMIT_CHECK = "(SELECT mode FROM async_commit) IS NOT NULL"


def async_commit_params() -> dict[str, str | None]:
    """``off`` when the statement is its own transaction, else the setting unchanged."""
    return {"synchronous_commit": None if connection.in_atomic_block else "off"}
