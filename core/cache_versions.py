"""Version counters that invalidate families of cached responses at once (per tenant: the
cache's key function prefixes the schema). Bumped by the services that change what a family
shows, before and again after their transaction commits, so a response cached by a request
that raced the commit cannot outlive it."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

CATALOG = "catalog"


def current_version(family: str) -> int:
    version = cache.get(f"version:{family}")
    if version is None:
        cache.add(f"version:{family}", 1, None)
        version = cache.get(f"version:{family}", 1)
    return int(version)


def bump(family: str) -> None:
    _increment(family)
    transaction.on_commit(lambda: _increment(family))


def _increment(family: str) -> None:
    try:
        cache.incr(f"version:{family}")
    except ValueError:  # never set (or evicted): any new value differs from what was cached
        cache.set(f"version:{family}", current_version(family) + 1, None)
