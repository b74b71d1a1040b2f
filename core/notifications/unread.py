"""The unread count: one query on the partial index. The header's bell never queries: it
shows the cached figure, or none, and then asks the API (which queries once and caches the
figure until a notification is written or read). So no page costs a query more for it."""

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


def remembered_unread_count(user_id: int) -> int | None:
    """The cached figure, or None (no query)."""
    count = cache.get(_key(user_id))
    return None if count is None else int(count)


def fresh_unread_count(user_id: int) -> int:
    """One query; the figure is cached for the bell."""
    count = unread_count(user_id)
    cache.set(_key(user_id), count, TTL)
    return count


def cached_unread_count(user_id: int) -> int:
    remembered = remembered_unread_count(user_id)
    return fresh_unread_count(user_id) if remembered is None else remembered


def forget(user_id: int) -> None:
    """Called on write: the next bell asks the database again."""
    key = _key(user_id)
    cache.delete(key)
    # Again after commit: a page rendered meanwhile may have cached the old figure.
    transaction.on_commit(lambda: cache.delete(key))
