"""The module's fulfilment hooks (``manifest.fulfil`` / ``manifest.revoke``). Commerce calls
them inside its transaction with the order line locked, once per line (and again after a
crash, so both are idempotent)."""

from __future__ import annotations

from typing import Protocol

from core.registry.manifest import OrderLineLike
from modules.gigs.services.deliveries import reopen_after_dispute
from modules.gigs.services.orders import create_order_for_line, line_refunded


class DecidedDispute(Protocol):
    """What ``manifest.dispute_resolved`` receives (core.disputes' decided dispute)."""

    order_line_id: int | None
    resolution_note: str


def fulfil(order_line: OrderLineLike) -> None:
    """A paid gig line becomes a gig order waiting for the buyer's requirements."""
    create_order_for_line(line_id=int(order_line.pk))


def revoke(order_line: OrderLineLike) -> None:
    """The line was refunded in full: its open gig order is cancelled."""
    line_refunded(line_id=int(order_line.pk))


def dispute_resolved(dispute: DecidedDispute) -> None:
    """A dispute on a gig line was decided "revision": delivery reopens (or, when the
    decision settled the escrow, the order closes as settled)."""
    if dispute.order_line_id is not None:
        reopen_after_dispute(order_line_id=dispute.order_line_id, note=dispute.resolution_note)
