"""The module's outbox consumers: gig events become webhooks to the order's seller (the
types are declared in the manifest) and notifications to whoever has to act next.

Registered by importing this module in the app's ``ready()``. Idempotent: webhook
deliveries are one per endpoint and event id, notifications one per user and dedupe key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.events import consumer
from core.integrations.services.webhooks import webhook_publisher
from core.notifications.services.notify import notify
from core.sellers.models import Seller
from modules.gigs.manifest import manifest


def seller_audience(payload: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(payload["seller_id"]): payload}


for _event in manifest.webhook_events:
    consumer(_event)(webhook_publisher(_event, seller_audience))


@dataclass(frozen=True)
class Notice:
    type_key: str
    to_seller: bool
    title: Callable[[dict[str, Any]], str]
    # What makes two events the same notice (a reminder number, a delivery number).
    dedupe: Callable[[dict[str, Any]], str] = lambda payload: ""


NOTICES: dict[str, Notice] = {
    "gig.order_placed": Notice("gigs.order_placed", True, lambda p: f"New gig order: {p['title']}"),
    "gig.requirements_needed": Notice(
        "gigs.requirements_needed",
        False,
        lambda p: f"Send your requirements for {p['title']} so the work can start",
        lambda p: str(p.get("reminder", "")),
    ),
    "gig.requirements_submitted": Notice(
        "gigs.requirements_submitted", True, lambda p: f"Requirements in: {p['title']}"
    ),
    "gig.delivered": Notice(
        "gigs.delivered",
        False,
        lambda p: f"Your order {p['title']} was delivered",
        lambda p: str(p.get("delivery_number", "")),
    ),
    "gig.revision_requested": Notice(
        "gigs.revision_requested",
        True,
        lambda p: f"Revision requested: {p['title']}",
        lambda p: str(p.get("revision_number", "")),
    ),
    "gig.very_late": Notice(
        "gigs.very_late",
        False,
        lambda p: f"{p['title']} is very late: you may cancel it for a full refund",
    ),
    "gig.auto_accept_soon": Notice(
        "gigs.auto_accept_soon",
        False,
        lambda p: f"{p['title']} will be accepted for you in {p['hours']} hours",
        lambda p: f"{p.get('delivery_number')}:{p.get('hours')}",
    ),
    "gig.milestone_completed": Notice(
        "gigs.milestone_completed",
        True,
        lambda p: f"Milestone {p['milestone_number']} accepted: {p['title']}",
        lambda p: str(p.get("milestone_number", "")),
    ),
    "gig.cancellation_requested": Notice(
        "gigs.cancellation_requested",
        True,  # ...or the buyer, when the seller asked (``_is_to_seller``)
        lambda p: f"Cancellation asked: {p['title']}",
        lambda p: str(p.get("requested_at", "")),
    ),
    "gig.completed": Notice("gigs.completed", True, lambda p: f"Order completed: {p['title']}"),
    "gig.cancelled": Notice("gigs.cancelled", True, lambda p: f"Order cancelled: {p['title']}"),
}


def _is_to_seller(notice: Notice, payload: dict[str, Any]) -> bool:
    """A request by one party is for the other one."""
    by = payload.get("by")
    return by == "buyer" if by in ("buyer", "seller") else notice.to_seller


def _notifier(event: str, notice: Notice) -> Callable[[dict[str, Any]], None]:
    def send(payload: dict[str, Any]) -> None:
        if _is_to_seller(notice, payload):
            owner_id = Seller.objects.values_list("owner_id", flat=True).get(
                pk=payload["seller_id"]
            )
            user_ids = [int(owner_id)]
        else:
            user_ids = [int(payload["buyer_id"])]
        notify(
            user_ids=user_ids,
            type_key=notice.type_key,
            title=notice.title(payload),
            data={"order_id": payload["order_id"]},
            dedupe_key=f"{event}:{payload['order_id']}:{notice.dedupe(payload)}",
        )

    send.__name__ = send.__qualname__ = f"notify_{event.replace('.', '_')}"
    return send


for _event, _notice in NOTICES.items():
    consumer(_event)(_notifier(_event, _notice))
