"""A hot path's statement prepared on the server (``core.prepared``): prepared after a few
uses, it still reads each marketplace's own tables when the connection moves between their
schemas (PostgreSQL re-parses on a new search_path), and it is counted like any statement."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.catalog.services.categories import create_category
from core.prepared import fetch_one
from tests.concurrency import run_together

FIRST_CATEGORY = "SELECT name FROM catalog_category WHERE name LIKE %(like)s ORDER BY id LIMIT 1"


def _prepared_here() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql")
        return int(cursor.fetchone()[0])


def test_a_prepared_statement_reads_each_marketplaces_own_tables(tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        create_category(name="Alpha tools")
    with schema_context(tenant_b.schema_name):
        create_category(name="Beta tools")

    with schema_context(tenant_a.schema_name):
        first = [fetch_one(FIRST_CATEGORY, {"like": "%tools"}) for _ in range(8)]
        prepared = _prepared_here()
    with schema_context(tenant_b.schema_name):
        beta = [fetch_one(FIRST_CATEGORY, {"like": "%tools"}) for _ in range(3)]
    with schema_context(tenant_a.schema_name):
        alpha_again = fetch_one(FIRST_CATEGORY, {"like": "%tools"})

    assert prepared >= 1  # prepared on the server
    assert set(first) == {("Alpha tools",)}
    assert set(beta) == {("Beta tools",)}
    assert alpha_again == ("Alpha tools",)


def test_a_prepared_statement_is_counted_like_any_other(tenant_a):
    with schema_context(tenant_a.schema_name), CaptureQueriesContext(connection) as captured:
        row = fetch_one("SELECT %(n)s::int + 1", {"n": 41})

    assert row == (42,)
    [logged] = [q["sql"] for q in captured if "search_path" not in q["sql"]]
    assert "::int + 1" in logged


def test_a_connection_outside_a_transaction_plans_its_prepared_statements_once(db):
    """Outside any transaction (a request's autocommit) the connection is set to generic
    plans the first time it prepares a statement; PostgreSQL then stops re-planning it."""

    def in_its_own_connection() -> tuple[Any, ...]:
        try:
            rows = [fetch_one("SELECT %(n)s::int * 2", {"n": n}) for n in range(8)]
            with connection.cursor() as cursor:
                cursor.execute("SHOW plan_cache_mode")
                mode = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
                    " WHERE statement LIKE '%%::int * 2%%'"
                )
                plans = cursor.fetchone()
            return rows, mode, plans
        finally:
            connection.close()

    [(rows, mode, plans)] = run_together([in_its_own_connection])

    assert rows == [(n * 2,) for n in range(8)]
    assert mode == "force_generic_plan"
    assert plans == (8, 0)  # planned once, generically; never per execution
