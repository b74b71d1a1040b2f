"""Outbox consumers of the licensing module: disputes suspend and reinstate licences, and
subscriptions extend and end theirs. Each is idempotent (the services no-op when a licence is
already where the event would put it), so a redelivered event changes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.events import consumer
from modules.licensing.services import issue, lifecycle


def _moment(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _line_id(payload: dict[str, Any]) -> int | None:
    value = payload.get("first_order_line_id")
    return int(value) if value is not None else None


@consumer("order.disputed")
def suspend_disputed(payload: dict[str, Any]) -> None:
    lifecycle.suspend_for_dispute(order_id=int(payload["order_id"]))


@consumer("order.dispute_closed")
def reinstate_won(payload: dict[str, Any]) -> None:
    """Won: reinstated. Lost: they stay suspended until the chargeback's refund revokes them
    (the revoke hook)."""
    if payload.get("is_won"):
        lifecycle.reinstate_after_dispute(order_id=int(payload["order_id"]))


@consumer("subscription.created")
def link_subscription(payload: dict[str, Any]) -> None:
    line_id = _line_id(payload)
    if line_id is not None:
        issue.link_subscription(
            subscription_id=int(payload["subscription_id"]),
            first_order_line_id=line_id,
            current_period_end=_moment(payload["current_period_end"]),
        )


@consumer("subscription.renewed")
def extend_renewed(payload: dict[str, Any]) -> None:
    issue.extend_for_subscription(
        subscription_id=int(payload["subscription_id"]),
        first_order_line_id=_line_id(payload),
        current_period_end=_moment(payload["current_period_end"]),
    )


@consumer("subscription.cancelled")
def end_cancelled(payload: dict[str, Any]) -> None:
    """Ended by the buyer at the period end, by an operator, or by failed dunning: the
    licences expire with it; refunded: revoked."""
    issue.end_for_subscription(
        subscription_id=int(payload["subscription_id"]),
        first_order_line_id=_line_id(payload),
        reason=str(payload.get("reason", "")),
        ended_at=_moment(payload.get("ended_at") or payload["current_period_end"]),
        current_period_end=_moment(payload["current_period_end"]),
    )
