"""Asynchronous commit (core.async_commit) relaxes only the statement's own transaction:
never the session afterwards, never a caller's transaction around it (money keeps the
durable default)."""

from __future__ import annotations

import psycopg
from django.conf import settings
from django.db import connection

from core.async_commit import ASYNC_COMMIT_CHECK, ASYNC_COMMIT_CTE, async_commit_params

STATEMENT = (
    f"WITH {ASYNC_COMMIT_CTE} SELECT current_setting('synchronous_commit') "
    f"WHERE {ASYNC_COMMIT_CHECK}"
)


def test_a_statement_of_its_own_commits_asynchronously_and_leaves_the_session_durable():
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname="postgres",
        autocommit=True,
    ) as raw:
        during = raw.execute(STATEMENT, {"synchronous_commit": "off"}).fetchone()
        after = raw.execute("SHOW synchronous_commit").fetchone()
    assert during == ("off",)
    assert after == ("on",)


def test_inside_a_callers_transaction_nothing_is_relaxed(db):
    assert connection.in_atomic_block
    params = async_commit_params()
    assert params == {"synchronous_commit": None}
    with connection.cursor() as cursor:
        cursor.execute(STATEMENT, params)
        during = cursor.fetchone()
        cursor.execute("SHOW synchronous_commit")
        after = cursor.fetchone()
    assert during == ("on",)
    assert after == ("on",)
