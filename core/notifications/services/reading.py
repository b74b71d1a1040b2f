"""Marking notifications read: only the owner's, in this marketplace's schema."""

from __future__ import annotations

from django.utils import timezone

from core.notifications import unread
from core.notifications.errors import not_found
from core.notifications.models import Notification


def mark_read(*, user_id: int, notification_id: int) -> Notification:
    """Another user's notification, or one of another marketplace, is not found."""
    notification = Notification.objects.filter(pk=notification_id, user_id=user_id).first()
    if notification is None:
        raise not_found()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
        unread.forget(user_id)
    return notification


def mark_all_read(*, user_id: int) -> int:
    marked = Notification.objects.filter(user_id=user_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    unread.forget(user_id)
    return marked
