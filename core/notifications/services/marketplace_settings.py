"""The operator's notification settings of this marketplace."""

from __future__ import annotations

from core.notifications.errors import NotificationError, NotificationErrorCode
from core.notifications.models import MarketplaceNotificationSettings
from core.notifications.push import marketplace_settings
from core.notifications.services.notify import notify


def set_digest_hour(*, hour: int) -> MarketplaceNotificationSettings:
    if not 0 <= hour <= 23:
        raise NotificationError(
            NotificationErrorCode.INVALID_DIGEST_HOUR,
            "The digest hour is a whole hour from 0 to 23.",
            details={"field": "digest_hour"},
        )
    found = marketplace_settings()
    MarketplaceNotificationSettings.objects.filter(pk=found.pk).update(digest_hour=hour)
    found.digest_hour = hour
    return found


def send_test_notification(*, user_id: int) -> int:
    """To the operator who asked, on every channel they have (in-app, e-mail, push, SMS)."""
    return notify(
        user_ids=[user_id],
        type_key="notifications.test",
        title="Test notification",
        body="If you can read this, notifications reach you here.",
        url="/notifications/",
    )
