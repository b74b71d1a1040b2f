"""Reads shared by the API and the pages: one query each, by index, whatever the history."""

from __future__ import annotations

from core.notifications.models import Notification

PAGE = 20
MAX_PAGE = 50


def notifications_page(
    *, user_id: int, before: int | None = None, limit: int = PAGE
) -> tuple[list[Notification], int | None]:
    """Newest first, keyset on the id (``id < before``); the next cursor or None. One query:
    ``limit + 1`` rows tell whether there is more."""
    limit = max(1, min(limit, MAX_PAGE))
    rows = Notification.objects.filter(user_id=user_id)
    if before is not None:
        rows = rows.filter(id__lt=before)
    found = list(
        rows.order_by("-id").only(
            "id", "type_key", "title", "body", "url", "data", "created_at", "read_at", "user_id"
        )[: limit + 1]
    )
    next_cursor = found[limit - 1].pk if len(found) > limit else None
    return found[:limit], next_cursor
