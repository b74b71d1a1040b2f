"""The bell's unread count: one query on the partial index, cached per user in this schema
until a notification is written or read (so most pages ask the cache, not the database)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from core.notifications.models import Notification
from core.schema import current_schema_name

TTL = 300


def _key(user_id: int) -> str:
    return f"notifications:unread:{current_schema_name()}:{user_id}"


def unread_count(user_id: int) -> int:
    """Exactly one indexed COUNT, no cache: the API's figure."""
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def cached_unread_count(user_id: int) -> int:
    key = _key(user_id)
    count = cache.get(key)
    if count is None:
        count = unread_count(user_id)
        cache.set(key, count, TTL)
    return int(count)


def forget(user_id: int) -> None:
    """Called on write: the next bell asks the database again."""
    key = _key(user_id)
    cache.delete(key)
    # Again after commit: a page rendered meanwhile may have cached the old figure.
    transaction.on_commit(lambda: cache.delete(key))
