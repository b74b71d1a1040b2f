"""Outbox consumers: the channels beyond in-app, once per (notification, channel)."""

from __future__ import annotations

from typing import Any

from core.events import consumer
from core.notifications import delivery
from core.notifications.services.notify import CREATED_EVENT


@consumer(CREATED_EVENT)
def deliver_new_notifications(payload: dict[str, Any]) -> None:
    delivery.plan(payload["ids"])
