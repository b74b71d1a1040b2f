"""One WebSocket of a signed-in user on one marketplace (see ``gate.py`` for how it got in).

The socket hears its user's group at once, and a topic's group (a conversation, a dispute)
after subscribing to it, which the topic's ``can_join`` allows or not, in the socket's own
schema. Group names are built from that schema, never from what the client sends, so there is
no name a client could forge to reach another marketplace's groups.

Frames from the client (JSON objects):
  {"type": "subscribe", "topic": "conversation", "id": 12}
  {"type": "unsubscribe", "topic": "conversation", "id": 12}
  {"type": "client_event", "topic": "conversation", "id": 12, "event": "chat.typing", "data": {}}
  {"type": "ping"}
Frames to the client: {"type": "<event>", "data": {...}}, {"type": "subscribed", ...},
{"type": "unsubscribed", ...}, {"type": "pong"} and {"type": "error", "code", "message"}.

Limits per socket: frame size, frames per second (a token bucket), subscriptions. The user's
standing (active, session still signed in) is checked on every subscribe and every couple of
minutes; a socket whose user was suspended or signed out, or whose marketplace was suspended,
is closed (code 4401)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django_tenants.utils import schema_context

from core.realtime.errors import RealtimeErrorCode
from core.realtime.gate import CLOSE_BAD_TICKET, SocketScope, is_marketplace_serving
from core.realtime.services.tickets import is_socket_user_valid
from core.realtime.topics import Topic, find_topic, group_name, user_group

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 4096
# Frames a socket may send: a burst, then this many per second.
FRAMES_PER_SECOND = 10.0
FRAME_BURST = 20.0
MAX_SUBSCRIPTIONS = 50
# Frames larger than this end the socket instead of earning an error frame.
CLOSE_FRAME_BYTES = 64 * 1024
CLOSE_TOO_LARGE = 1009
REVALIDATE_SECONDS = 120.0
MAX_OBJECT_ID = 2**63 - 1


class RealtimeConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        socket: SocketScope = self.scope["souk"]
        self.schema = socket.schema
        self.user = socket.user
        self.subscriptions: dict[tuple[str, int], str] = {}
        self.tokens = FRAME_BURST
        self.refilled_at = time.monotonic()
        self.own_group = user_group(self.schema, self.user.user_id)
        await self.channel_layer.group_add(self.own_group, self.channel_name)
        await self.accept()
        self.watch: asyncio.Task[None] | None = asyncio.ensure_future(self._watch_standing())

    async def disconnect(self, code: int) -> None:
        watch = getattr(self, "watch", None)
        if watch is not None:
            watch.cancel()
        if not hasattr(self, "own_group"):
            return
        for group in [self.own_group, *self.subscriptions.values()]:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the membership expires in the layer anyway
                logger.warning("leaving %s failed", group, exc_info=True)
        self.subscriptions.clear()

    # --- frames from the client ------------------------------------------------------------

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if not self._take_token():
            await self.error(RealtimeErrorCode.RATE_LIMITED, "Too many frames; slow down.")
            return
        if text_data is None:
            await self.error(RealtimeErrorCode.BAD_FRAME, "Frames are JSON text.")
            return
        size = len(text_data.encode())
        if size > CLOSE_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_LARGE)
            return
        if size > MAX_FRAME_BYTES:
            await self.error(
                RealtimeErrorCode.FRAME_TOO_LARGE, f"Frames are at most {MAX_FRAME_BYTES} bytes."
            )
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            content = None
        if not isinstance(content, dict):
            await self.error(RealtimeErrorCode.BAD_FRAME, "A frame is a JSON object.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        kind = content.get("type")
        if kind == "subscribe":
            await self.subscribe(content)
        elif kind == "unsubscribe":
            await self.unsubscribe(content)
        elif kind == "client_event":
            await self.client_event(content)
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.error(RealtimeErrorCode.BAD_FRAME, "Unknown frame type.")

    async def subscribe(self, content: dict[str, Any]) -> None:
        target = await self._target(content)
        if target is None:
            return
        topic, object_id = target
        key = (topic.name, object_id)
        if key not in self.subscriptions:
            if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
                await self.error(
                    RealtimeErrorCode.TOO_MANY_SUBSCRIPTIONS,
                    f"A socket follows at most {MAX_SUBSCRIPTIONS} topics.",
                )
                return
            verdict = await database_sync_to_async(self._may_join)(topic, object_id)
            if verdict is None:
                await self._end_for_standing()
                return
            if not verdict:
                # The same answer whether the object does not exist or is someone else's.
                await self.error(RealtimeErrorCode.NOT_ALLOWED, "You cannot follow this.")
                return
            group = group_name(self.schema, topic.name, object_id)
            await self.channel_layer.group_add(group, self.channel_name)
            self.subscriptions[key] = group
        await self.send_json({"type": "subscribed", "topic": topic.name, "id": object_id})

    async def unsubscribe(self, content: dict[str, Any]) -> None:
        target = await self._target(content)
        if target is None:
            return
        topic, object_id = target
        group = self.subscriptions.pop((topic.name, object_id), None)
        if group is not None:
            await self.channel_layer.group_discard(group, self.channel_name)
        await self.send_json({"type": "unsubscribed", "topic": topic.name, "id": object_id})

    async def client_event(self, content: dict[str, Any]) -> None:
        target = await self._target(content)
        if target is None:
            return
        topic, object_id = target
        event = content.get("event")
        if not isinstance(event, str) or event not in topic.relayed_client_events:
            await self.error(
                RealtimeErrorCode.EVENT_NOT_RELAYED, "This event is not accepted from clients."
            )
            return
        group = self.subscriptions.get((topic.name, object_id))
        if group is None:
            await self.error(RealtimeErrorCode.NOT_SUBSCRIBED, "Subscribe to the topic first.")
            return
        data = content.get("data", {})
        if not isinstance(data, dict):
            await self.error(RealtimeErrorCode.BAD_FRAME, "An event's data is a JSON object.")
            return
        # Who sent it is the socket's user, whatever the data claims.
        payload = {
            **data,
            "topic": topic.name,
            "id": object_id,
            "user_id": self.user.user_id,
            "user_name": self.user.name,
        }
        try:
            await self.channel_layer.group_send(
                group,
                {"type": "relay", "event": event, "data": payload, "sender": self.channel_name},
            )
        except Exception:  # Redis busy or away: this event is lost, the socket lives on
            logger.warning("relaying %s to %s failed", event, group, exc_info=True)
            await self.error(RealtimeErrorCode.UNAVAILABLE, "Could not relay; try again.")

    # --- messages from the channel layer ---------------------------------------------------

    async def relay(self, message: dict[str, Any]) -> None:
        """A published event (``topics.publish_to_*``) or a relayed client event."""
        if message.get("sender") == self.channel_name:
            return  # the sender already knows
        await self.send_json({"type": message["event"], "data": message.get("data", {})})

    # --- helpers ---------------------------------------------------------------------------

    async def error(self, code: RealtimeErrorCode, message: str) -> None:
        await self.send_json({"type": "error", "code": str(code), "message": message})

    def _take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(FRAME_BURST, self.tokens + (now - self.refilled_at) * FRAMES_PER_SECOND)
        self.refilled_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def _target(self, content: dict[str, Any]) -> tuple[Topic, int] | None:
        name = content.get("topic")
        topic = find_topic(name) if isinstance(name, str) else None
        if topic is None:
            await self.error(RealtimeErrorCode.UNKNOWN_TOPIC, "No such topic.")
            return None
        object_id = content.get("id")
        if (
            not isinstance(object_id, int)
            or isinstance(object_id, bool)
            or not 0 < object_id <= MAX_OBJECT_ID
        ):
            await self.error(RealtimeErrorCode.BAD_FRAME, "A topic's id is a positive integer.")
            return None
        return topic, object_id

    def _may_join(self, topic: Topic, object_id: int) -> bool | None:
        """None when the socket's user may no longer use it at all. Runs in a worker thread,
        whose connection is set to this socket's schema here (the schema is per thread)."""
        with schema_context(self.schema):
            if not self._is_standing():
                return None
            try:
                return bool(topic.can_join(self.user.user_id, object_id))
            except Exception:
                logger.exception("can_join of topic %s failed", topic.name)
                return False

    def _is_still_valid(self) -> bool:
        with schema_context(self.schema):
            return self._is_standing()

    def _is_standing(self) -> bool:
        """The marketplace is not suspended, the user still active and signed in."""
        return is_marketplace_serving(self.schema) and is_socket_user_valid(
            user_id=self.user.user_id, session_key=self.user.session_key
        )

    async def _watch_standing(self) -> None:
        while True:
            await asyncio.sleep(REVALIDATE_SECONDS)
            try:
                is_valid = await database_sync_to_async(self._is_still_valid)()
            except Exception:
                logger.warning("socket standing check failed", exc_info=True)
                continue
            if not is_valid:
                await self._end_for_standing()
                return

    async def _end_for_standing(self) -> None:
        await self.send_json(
            {"type": "error", "code": "signed_out", "message": "Your session has ended."}
        )
        await self.close(code=CLOSE_BAD_TICKET)
