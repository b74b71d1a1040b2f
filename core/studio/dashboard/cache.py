"""The seller dashboard's cache: one entry per tenant (the cache key function prefixes the
schema), seller, period and currency, stamped with

- the seller's dashboard version, bumped by the outbox consumers of the events that change
  the figures (``order.paid``, ``refund.created``, ``escrow.released``, disputes) and by the
  analytics flush (every seller of the tenant: ``analytics`` family);
- the seller's ledger watermark (their newest journal line, one index-only lookup), which
  also moves for the bookings that emit no event (a line fulfilled, a payout paid).

A stale figure can therefore live at most until the next booking or event, never past it."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db import connection

from core import cache_versions

ANALYTICS = "analytics"
TTL_SECONDS = 15 * 60


def _family(seller_id: int) -> str:
    return f"dashboard:seller:{seller_id}"


def bump_sellers(seller_ids: Iterable[int]) -> None:
    for seller_id in sorted(set(seller_ids)):
        cache_versions.bump(_family(seller_id))


def bump_analytics() -> None:
    cache_versions.bump(ANALYTICS)


def ledger_watermark(seller_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(entry_id) FROM payments_journalline WHERE seller_id = %s", [seller_id]
        )
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0


def stamp(seller_id: int) -> str:
    return ".".join(
        str(part)
        for part in (
            cache_versions.current_version(_family(seller_id)),
            cache_versions.current_version(ANALYTICS),
            ledger_watermark(seller_id),
        )
    )


def cached_key(seller_id: int, *parts: object) -> str:
    return ":".join(["dashboard", str(seller_id), stamp(seller_id), *(str(p) for p in parts)])


def get(key: str) -> object | None:
    found: object | None = cache.get(key)
    return found


def put(key: str, value: object) -> None:
    cache.set(key, value, TTL_SECONDS)
