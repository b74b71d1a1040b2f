"""``notify``: write each user's in-app notification in the caller's transaction, hand the
other channels to the outbox, and push ``notification.new`` to the users' sockets after
commit."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from core import events
from core.notifications import unread
from core.notifications.errors import NotificationError, NotificationErrorCode
from core.notifications.models import Notification
from core.notifications.types import find_type
from core.realtime.topics import publish_to_user

CREATED_EVENT = "notifications.created"


def notify(
    *,
    user_ids: Iterable[int],
    type_key: str,
    title: str,
    body: str = "",
    url: str = "",
    data: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> int:
    """Returns how many notifications were written (a ``dedupe_key`` already used for a user
    writes nothing for them again; an id that is no user of this marketplace gets nothing).
    Raises on an unknown ``type_key``."""
    if find_type(type_key) is None:
        raise NotificationError(
            NotificationErrorCode.UNKNOWN_TYPE,
            f"No notification type {type_key!r} is declared (core or a module manifest).",
        )
    recipients = list(dict.fromkeys(int(user_id) for user_id in user_ids))
    if not recipients:
        return 0
    title = title[:200]
    url = url[:500]
    written = _insert(recipients, type_key, title, body, url, data or {}, dedupe_key)
    if not written:
        return 0
    events.emit(CREATED_EVENT, {"ids": [notification_id for notification_id, _ in written]})
    counts = dict(
        Notification.objects.filter(
            user_id__in=[user_id for _, user_id in written], read_at__isnull=True
        )
        .values_list("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )
    for notification_id, user_id in written:
        unread.forget(user_id)
        publish_to_user(
            user_id,
            "notification.new",
            {
                "id": notification_id,
                "title": title,
                "url": url,
                "unread_count": counts.get(user_id, 0),
            },
        )
    return len(written)


def _insert(
    user_ids: list[int],
    type_key: str,
    title: str,
    body: str,
    url: str,
    data: dict[str, Any],
    dedupe_key: str | None,
) -> list[tuple[int, int]]:
    """One INSERT for every recipient who is a user of this marketplace (an id from anywhere
    else writes nothing); ON CONFLICT skips the users this ``dedupe_key`` already reached, and
    RETURNING says which rows were written (bulk_create cannot say that)."""
    table = Notification._meta.db_table
    users = get_user_model()._meta.db_table
    sql = (
        f'INSERT INTO "{table}" (user_id, type_key, title, body, url, data, created_at, '
        "read_at, dedupe_key) "
        f'SELECT u.id, %s, %s, %s, %s, %s::jsonb, %s, NULL, %s FROM "{users}" u '
        "WHERE u.id = ANY(%s) ORDER BY u.id ON CONFLICT DO NOTHING RETURNING id, user_id"
    )
    # The application's clock, as every other timestamp (tests and the demo move it).
    now = timezone.now()
    params: list[Any] = [
        type_key,
        title,
        body,
        url,
        json.dumps(data, default=str),
        now,
        dedupe_key,
        user_ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted((int(row[0]), int(row[1])) for row in cursor.fetchall())
