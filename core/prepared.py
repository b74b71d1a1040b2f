"""A hot path's one statement, prepared on the database server.

Souk's connections bind parameters on the client (Django's default), so PostgreSQL parses and
plans every statement it receives. For a long statement that runs thousands of times a minute
(a video player's progress report, a download link) parsing and planning cost more than
running it. Run here through psycopg's server-side binding cursor with ``prepare=True``, the
statement is prepared on the connection at its first use and only executed after that
(psycopg keeps a connection's 100 most recent). PostgreSQL re-parses a prepared statement by
itself when ``search_path`` changes, so a connection serving several marketplaces stays
correct (each switch costs one re-parse, as every statement costs now). Poolers must run in
session mode, as tenancy already requires (helm's values say so).

PostgreSQL would still plan such a statement at every execution ("custom plans": with
``plan_cache_mode = auto`` it keeps choosing them for these statements, measured), so a
connection that prepares one is set to ``force_generic_plan``, once. Only statements prepared
here are affected: every other statement is bound on the client and never prepared. The
statements prepared here look rows up by key, which a generic plan does as well.

The statement still goes through Django's cursor wrapper: database errors are Django's, and
it is logged and counted (``CaptureQueriesContext``, the query pins) like any other."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import psycopg
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


class _PreparingCursor(psycopg.Cursor[Any]):
    """Binds on the server and prepares what it executes (the settings make the connections'
    ``prepare_threshold`` so high that nothing else is prepared)."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = True, binary: Any = None
    ) -> Any:
        return super().execute(query, params, prepare=prepare, binary=binary)


class _LoggedAsWritten(CursorDebugWrapper):
    """Logs the statement as written (its placeholders, not its values): a prepared
    statement has no interpolated text for Django to read back."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(sql, params):
            return self._execute_with_wrappers(sql, params, many=False, executor=self._execute)


# The database connections already set to generic plans.
_generic_plans: weakref.WeakSet[Any] = weakref.WeakSet()


def fetch_one(sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The first row of ``sql`` (psycopg placeholders, ``%(name)s``) run with ``params``."""
    with connection.cursor() as django_cursor:  # connects, sets the marketplace's search_path
        database = connection.connection
        # Outside a transaction, so no rollback can undo it behind the set's back.
        if database not in _generic_plans and not connection.in_atomic_block:
            django_cursor.execute("SET plan_cache_mode = force_generic_plan")
            _generic_plans.add(database)
        raw = _PreparingCursor(database)
    connection.validate_thread_sharing()
    wrapper = _LoggedAsWritten if connection.queries_logged else CursorWrapper
    with wrapper(raw, connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None
