"""Provider chargebacks (``core.commerce.services.payment_events``) into the dispute
timeline, through the outbox."""

from __future__ import annotations

from typing import Any

from core.disputes import services
from core.events import consumer


@consumer("order.disputed")
def chargeback_opened(payload: dict[str, Any]) -> None:
    services.record_chargeback(
        order_id=int(payload["order_id"]),
        event="chargeback_opened",
        provider_event_id=str(payload.get("event_id") or f"opened:{payload['order_id']}"),
        data={
            "provider": payload.get("provider", ""),
            "dispute_reference": str(payload.get("dispute_reference") or ""),
        },
    )


@consumer("order.dispute_closed")
def chargeback_closed(payload: dict[str, Any]) -> None:
    services.record_chargeback(
        order_id=int(payload["order_id"]),
        event="chargeback_closed",
        provider_event_id=str(payload.get("event_id") or f"closed:{payload['order_id']}"),
        data={"provider": payload.get("provider", ""), "is_won": bool(payload.get("is_won"))},
    )
