"""The WebSocket side of ``core.asgi``: the gate (host, origin, ticket) then the consumer."""

from typing import Any

from core.realtime.consumer import RealtimeConsumer
from core.realtime.gate import TenantSocketGate

websocket_application: Any = TenantSocketGate(RealtimeConsumer.as_asgi())
