"""Moving the counters into the daily aggregates, exactly once.

1. Seal: the live hash is renamed to a batch (atomic in Redis) and the batch id noted in the
   schema's pending set; increments after that start a new live hash.
2. For each pending batch: in one transaction, claim the batch id (``FlushedBatch``, unique)
   and add its counts to ``ProductDailyStats`` / ``TrafficSourceDaily`` (upserts that add).
   A second flusher of the same batch waits on the unique index and then skips it.
3. After the commit, the batch is deleted from Redis. A flush that dies between 2 and 3
   leaves the batch pending; the next flush finds it claimed and only deletes it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db import connection, transaction

from core.analytics import counters
from core.analytics.models import FlushedBatch, ProductDailyStats, TrafficSourceDaily
from core.catalog.models import Product
from core.schema import current_schema_name

FUNNEL_COLUMNS = {
    counters.VIEW: "views",
    counters.ADD_TO_CART: "add_to_carts",
    counters.CHECKOUT_STARTED: "checkouts_started",
    counters.CHECKOUT_COMPLETED: "checkouts_completed",
}


def flush_counters() -> int:
    """Flush this schema's counters; returns how many batches were added (0 when a batch
    was already added by an earlier, interrupted flush)."""
    schema = current_schema_name()
    store = counters.store()
    store.seal(schema, counters.new_batch_id())
    added = 0
    for batch_id in store.pending(schema):
        if _add_batch(batch_id, store.read(schema, batch_id)):
            added += 1
        store.forget(schema, batch_id)
    if added:
        from core.studio.dashboard.cache import bump_analytics

        bump_analytics()
    return added


def _claim(batch_id: str, fields: int) -> bool:
    table = FlushedBatch._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (batch_id, flushed_at, fields) VALUES (%s, now(), %s) "
            "ON CONFLICT (batch_id) DO NOTHING RETURNING id",
            [batch_id, fields],
        )
        return cursor.fetchone() is not None


def _add_batch(batch_id: str, counts: dict[str, int]) -> bool:
    with transaction.atomic():
        if not _claim(batch_id, len(counts)):
            return False
        funnel: dict[tuple[str, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        sources: dict[tuple[str, date, str, str, str, str], int] = defaultdict(int)
        slugs: set[str] = set()
        ids: set[int] = set()
        for raw, count in counts.items():
            kind, day, parts = counters.split_field(raw)
            if kind == counters.SOURCE:
                slug, host, source, medium, campaign = (parts + [""] * 5)[:5]
                sources[(slug, day, host, source, medium, campaign)] += count
                slugs.add(slug)
            elif kind in FUNNEL_COLUMNS:
                reference = parts[0]
                funnel[(reference, day)][FUNNEL_COLUMNS[kind]] += count
                if kind == counters.VIEW:
                    slugs.add(reference)
                elif reference.isdigit():
                    ids.add(int(reference))
        products = _products(slugs, ids)
        _upsert_funnel(funnel, products)
        _upsert_sources(sources, products)
    return True


Known = tuple[int, int, str]  # product id, seller id, product type


def _products(slugs: set[str], ids: set[int]) -> dict[str, Known]:
    """Slugs and ids (as strings) to what a row copies in; gone products are left out."""
    found: dict[str, Known] = {}
    if not slugs and not ids:
        return found
    rows = Product.objects.filter(slug__in=slugs) | Product.objects.filter(pk__in=ids)
    for pk, slug, seller_id, product_type in rows.values_list(
        "pk", "slug", "seller_id", "product_type"
    ):
        found[slug] = found[str(pk)] = (pk, seller_id, product_type)
    return found


def _upsert_funnel(
    funnel: dict[tuple[str, date], dict[str, int]], products: dict[str, Known]
) -> None:
    merged: dict[tuple[int, date], tuple[int, str, dict[str, int]]] = {}
    for (reference, day), columns in funnel.items():
        known = products.get(reference)
        if known is None:
            continue
        pk, seller_id, product_type = known
        _, _, totals = merged.setdefault((pk, day), (seller_id, product_type, defaultdict(int)))
        for column, count in columns.items():
            totals[column] += count
    if not merged:
        return
    names = list(FUNNEL_COLUMNS.values())
    rows: list[list[Any]] = [
        [day, pk, seller_id, product_type, *(totals.get(name, 0) for name in names)]
        for (pk, day), (seller_id, product_type, totals) in sorted(merged.items())
    ]
    table = ProductDailyStats._meta.db_table
    additions = ", ".join(f"{name} = {table}.{name} + EXCLUDED.{name}" for name in names)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (day, product_id, seller_id, product_type, {', '.join(names)}) "
            f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            f"ON CONFLICT (product_id, day) DO UPDATE SET {additions}",
            rows,
        )


def _upsert_sources(
    sources: dict[tuple[str, date, str, str, str, str], int], products: dict[str, Known]
) -> None:
    merged: dict[tuple[int, date, str, str, str, str], tuple[int, int]] = {}
    for (slug, day, *labels), count in sources.items():
        known = products.get(slug)
        if known is None:
            continue
        key = (known[0], day, *labels)
        seller_id, before = merged.get(key, (known[1], 0))  # type: ignore[arg-type]
        merged[key] = (seller_id, before + count)  # type: ignore[index]
    if not merged:
        return
    table = TrafficSourceDaily._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (product_id, day, referrer_host, utm_source, utm_medium, "
            "utm_campaign, seller_id, views) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (product_id, day, referrer_host, utm_source, utm_medium, utm_campaign) "
            f"DO UPDATE SET views = {table}.views + EXCLUDED.views",
            [[*key, seller_id, count] for key, (seller_id, count) in sorted(merged.items())],
        )
