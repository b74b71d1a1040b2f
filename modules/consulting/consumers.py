"""The module's outbox consumers (registered by importing this module in the app's
``ready()``): a booking, a move and a cancellation (``services.booking.emit_change``) notify
the buyer and the consultant, the e-mails carrying the invite (``notices``). Idempotent: a
replayed event writes no notification twice, so sends nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.events import consumer
from modules.consulting import notices


def _notifier(event: str) -> Callable[[dict[str, Any]], None]:
    def send(payload: dict[str, Any]) -> None:
        notices.notify_change(event, payload)

    send.__name__ = send.__qualname__ = f"notify_{event.replace('.', '_')}"
    return send


for _event in notices.CHANGES:
    consumer(_event)(_notifier(_event))
