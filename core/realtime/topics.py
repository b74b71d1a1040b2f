"""Topics a socket may subscribe to, registered by the apps that own them (a conversation by
``core.conversations``, a dispute by ``core.disputes``), and the group names of a schema.

A topic's ``can_join(user_id, object_id)`` runs synchronously in the socket's tenant schema
and answers whether that user may hear that object; the consumer calls it before joining.
Clients name only a topic and an object id, never a group: group names are built here from
the socket's own schema, so a forged name cannot reach another marketplace."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from core.schema import current_schema_name

logger = logging.getLogger(__name__)

CanJoin = Callable[[int, int], bool]
TOPIC_NAME = re.compile(r"^[a-z][a-z_]{1,30}$")


@dataclass(frozen=True)
class Topic:
    name: str
    can_join: CanJoin
    # Client events a subscriber may send to the topic's group (e.g. ``chat.typing``); the
    # consumer relays them with the sender's id, nothing else is accepted from clients.
    relayed_client_events: tuple[str, ...] = ()


_topics: dict[str, Topic] = {}


def register_topic(
    name: str, can_join: CanJoin, *, relayed_client_events: tuple[str, ...] = ()
) -> None:
    if not TOPIC_NAME.match(name):
        raise ValueError(f"Topic names are lower-case words: {name!r}")
    existing = _topics.get(name)
    if existing is not None and existing.can_join is not can_join:
        raise ValueError(f"Topic {name!r} is registered twice.")
    _topics[name] = Topic(name, can_join, relayed_client_events)


def find_topic(name: str) -> Topic | None:
    return _topics.get(name)


def group_name(schema: str, topic: str, object_id: int) -> str:
    return f"t.{schema}.{topic}.{int(object_id)}"


def user_group(schema: str, user_id: int) -> str:
    return group_name(schema, "user", user_id)


def publish_to_user(user_id: int, event: str, data: dict[str, Any]) -> None:
    """Push ``event`` to every open socket of the user on this marketplace, after commit."""
    _publish(user_group(current_schema_name(), user_id), event, data)


def publish_to_topic(topic: str, object_id: int, event: str, data: dict[str, Any]) -> None:
    """Push ``event`` to every socket subscribed to the object on this marketplace."""
    _publish(group_name(current_schema_name(), topic, object_id), event, data)


def _publish(group: str, event: str, data: dict[str, Any]) -> None:
    message = {"type": "relay", "event": event, "data": data}

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # a push is a hint; the page still shows the truth on reload
            logger.warning("real-time push to %s failed", group, exc_info=True)

    transaction.on_commit(send, robust=True)
