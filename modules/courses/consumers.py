"""Outbox consumers of the courses module: a membership's subscription ending closes the
places that came through it (idempotent: a redelivered event finds nothing open)."""

from __future__ import annotations

from typing import Any

from core.events import consumer
from modules.courses.services import passes


@consumer("subscription.cancelled")
def end_membership(payload: dict[str, Any]) -> None:
    passes.end_for_subscription(
        subscription_id=int(payload["subscription_id"]),
        buyer_id=int(payload["buyer_id"]),
        product_id=int(payload["product_id"]),
        reason=str(payload.get("reason", "")),
    )
