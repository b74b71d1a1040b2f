"""Beta's deadline: when a widget's follow-up falls due, the seller is pinged by webhook
(``beta.pinged``, declared in the manifest). The delivery's event id is the deadline's key, so
a handler run again after a worker died adds no second delivery."""

from __future__ import annotations

from core.deadlines.registry import DueDeadline, deadline_handler
from core.integrations.services.webhooks import emit_webhook


@deadline_handler("beta.follow_up")
def follow_up(deadline: DueDeadline) -> None:
    emit_webhook(
        seller=int(deadline.payload["seller_id"]),
        event="beta.pinged",
        payload={"service_id": deadline.payload["product_id"], "by": "souk"},
        event_id=f"beta.follow_up:{deadline.key}",
    )
