from __future__ import annotations

from datetime import datetime, time
from typing import Any

from ninja import Field, Schema

HOUR_MINUTE = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class NotificationOut(Schema):
    id: int
    type_key: str
    title: str
    body: str
    url: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: int | None = Field(
        None, description="Pass as ?cursor= for the next (older) page; null at the end."
    )


class UnreadCountOut(Schema):
    unread_count: int


class MarkedOut(Schema):
    marked: int
    unread_count: int


class ChannelChoiceOut(Schema):
    channel: str
    is_on: bool
    is_locked: bool


class TypePreferenceOut(Schema):
    key: str
    label: str
    is_critical: bool
    channels: list[ChannelChoiceOut]


class PreferencesOut(Schema):
    types: list[TypePreferenceOut]
    time_zone: str
    quiet_start: time | None
    quiet_end: time | None
    is_daily_digest: bool
    phone_number: str


class PreferencesIn(Schema):
    channels: dict[str, dict[str, bool]] | None = Field(
        None, description='{"orders.paid": {"email": false, "push": true}}'
    )
    time_zone: str | None = Field(None, max_length=64)
    quiet_start: str | None = Field(None, max_length=5, pattern=HOUR_MINUTE, examples=["22:00"])
    quiet_end: str | None = Field(None, max_length=5, pattern=HOUR_MINUTE, examples=["07:00"])
    clear_quiet_hours: bool = False
    is_daily_digest: bool | None = None
    phone_number: str | None = Field(None, max_length=20)


class PushKeysIn(Schema):
    p256dh: str = Field(..., max_length=200)
    auth: str = Field(..., max_length=100)


class PushSubscriptionIn(Schema):
    endpoint: str = Field(..., max_length=1000)
    keys: PushKeysIn


class PushUnsubscribeIn(Schema):
    endpoint: str = Field(..., max_length=1000)


class PushSubscriptionOut(Schema):
    id: int
    endpoint: str


class VapidKeyOut(Schema):
    public_key: str = Field(..., description="applicationServerKey for pushManager.subscribe")
