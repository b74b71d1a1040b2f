"""The module's fulfilment hooks (``manifest.fulfil`` / ``manifest.revoke``). Commerce calls
them inside its transaction with the order line locked, once per line (and again after a
crash, so both are idempotent)."""

from __future__ import annotations

from core.registry.manifest import OrderLineLike
from modules.gigs.services.orders import create_order_for_line, line_refunded


def fulfil(order_line: OrderLineLike) -> None:
    """A paid gig line becomes a gig order waiting for the buyer's requirements."""
    create_order_for_line(line_id=int(order_line.pk))


def revoke(order_line: OrderLineLike) -> None:
    """The line was refunded in full: its open gig order is cancelled."""
    line_refunded(line_id=int(order_line.pk))
