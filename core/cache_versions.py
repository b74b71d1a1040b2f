"""Version counters that invalidate families of cached responses at once (per tenant: the
cache's key function prefixes the schema). Bumped by the services that change what a family
shows, before and again after their transaction commits, so a response cached by a request
that raced the commit cannot outlive it."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import schema_context

from core.schema import current_schema_name

CATALOG = "catalog"
# What storefront pages show beyond the catalogue: branding, seller profiles, legal pages.
STOREFRONT = "storefront"


def current_version(family: str) -> int:
    version = cache.get(f"version:{family}")
    if version is None:
        cache.add(f"version:{family}", 1, None)
        version = cache.get(f"version:{family}", 1)
    return int(version)


def bump(family: str) -> None:
    _increment(family)
    schema = current_schema_name()
    transaction.on_commit(lambda: _increment_in(schema, family))


def _increment_in(schema: str, family: str) -> None:
    """After the commit, in the schema the change was made in (the callback may run after the
    caller left a ``schema_context``)."""
    if current_schema_name() == schema:
        _increment(family)
        return
    with schema_context(schema):
        _increment(family)


def _increment(family: str) -> None:
    try:
        cache.incr(f"version:{family}")
    except ValueError:  # never set (or evicted): any new value differs from what was cached
        cache.set(f"version:{family}", current_version(family) + 1, None)
