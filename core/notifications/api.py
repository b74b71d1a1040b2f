"""``/api/v1/notifications``: the signed-in user's notifications, preferences and push
subscriptions (``user_auth`` on the router; every lookup is by the user's own id)."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from core.accounts.models import TokenScope
from core.accounts.principal import principal_of, require_scope
from core.notifications import push
from core.notifications.models import Preferences
from core.notifications.schemas import (
    MarkedOut,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    PushSubscriptionIn,
    PushSubscriptionOut,
    PushUnsubscribeIn,
    UnreadCountOut,
    VapidKeyOut,
)
from core.notifications.selectors import MAX_PAGE, PAGE, notifications_page
from core.notifications.services import reading
from core.notifications.services.preferences import matrix, preferences_for, update_preferences
from core.notifications.unread import fresh_unread_count

notifications_router = Router()


def _user_id(request: HttpRequest, scope: TokenScope = TokenScope.READ) -> int:
    principal = principal_of(request)
    require_scope(principal, scope)
    return int(principal.user.pk)


class PageQuery(Schema):
    cursor: int | None = Field(None, ge=1, le=2**63 - 1, description="next_cursor of a page")
    limit: int = Field(PAGE, ge=1, le=MAX_PAGE)


@notifications_router.get("", response=NotificationPage, summary="My notifications, newest first")
def list_notifications(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    items, next_cursor = notifications_page(
        user_id=_user_id(request), before=query.cursor, limit=query.limit
    )
    return {"items": items, "next_cursor": next_cursor}


@notifications_router.get("/unread-count", response=UnreadCountOut)
def get_unread_count(request: HttpRequest) -> dict[str, int]:
    return {"unread_count": fresh_unread_count(_user_id(request))}


@notifications_router.post("/read-all", response=MarkedOut, summary="Mark all read")
def read_all(request: HttpRequest) -> dict[str, int]:
    return {
        "marked": reading.mark_all_read(user_id=_user_id(request, TokenScope.WRITE)),
        "unread_count": 0,
    }


@notifications_router.post("/{notification_id}/read", response=NotificationOut)
def read_one(request: HttpRequest, notification_id: int) -> Any:
    return reading.mark_read(
        user_id=_user_id(request, TokenScope.WRITE), notification_id=notification_id
    )


def _clock(value: str | None) -> time | None:
    """ "22:00" (the schema checked the form) as a time."""
    return time.fromisoformat(value) if value else None


def _preferences_out(preferences: Preferences) -> dict[str, Any]:
    return {
        "types": matrix(preferences),
        "time_zone": preferences.time_zone,
        "quiet_start": preferences.quiet_start,
        "quiet_end": preferences.quiet_end,
        "is_daily_digest": preferences.is_daily_digest,
        "phone_number": preferences.phone_number,
    }


@notifications_router.get("/preferences", response=PreferencesOut)
def get_preferences(request: HttpRequest) -> dict[str, Any]:
    return _preferences_out(preferences_for(_user_id(request)))


@notifications_router.put(
    "/preferences",
    response=PreferencesOut,
    summary="Change preferences (a critical type's channels cannot be switched off)",
)
def put_preferences(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    preferences = update_preferences(
        user_id=_user_id(request, TokenScope.WRITE),
        channels=payload.channels,
        time_zone=payload.time_zone,
        quiet_start=_clock(payload.quiet_start),
        quiet_end=_clock(payload.quiet_end),
        clear_quiet_hours=payload.clear_quiet_hours,
        is_daily_digest=payload.is_daily_digest,
        phone_number=payload.phone_number,
    )
    return _preferences_out(preferences)


@notifications_router.get("/push/vapid-public-key", response=VapidKeyOut)
def get_vapid_public_key(request: HttpRequest) -> dict[str, str]:
    _user_id(request)
    return {"public_key": push.vapid_public_key()}


@notifications_router.post("/push/subscriptions", response={201: PushSubscriptionOut})
def register_push_subscription(request: HttpRequest, payload: PushSubscriptionIn) -> Any:
    subscription = push.subscribe(
        user_id=_user_id(request, TokenScope.WRITE),
        endpoint=payload.endpoint,
        p256dh=payload.keys.p256dh,
        auth=payload.keys.auth,
        user_agent=request.headers.get("User-Agent", ""),
    )
    return Status(201, subscription)


@notifications_router.post("/push/subscriptions/delete", response={204: None})
def unregister_push_subscription(request: HttpRequest, payload: PushUnsubscribeIn) -> Any:
    push.unsubscribe(user_id=_user_id(request, TokenScope.WRITE), endpoint=payload.endpoint)
    return Status(204, None)
