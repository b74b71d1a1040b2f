"""The module's fulfilment hooks (``manifest.fulfil`` / ``manifest.revoke``). Commerce calls
them inside its transaction with the order line locked, once per line (and again after a
crash, so both are idempotent)."""

from __future__ import annotations

from core.registry.manifest import OrderLineLike
from modules.consulting.services.booking import booking_paid, line_revoked


def fulfil(order_line: OrderLineLike) -> None:
    """A paid consultation line: its held slot becomes a booking."""
    booking_paid(line_id=int(order_line.pk))


def revoke(order_line: OrderLineLike) -> None:
    """The line was refunded in full: its booking leaves the calendar."""
    line_revoked(line_id=int(order_line.pk))
