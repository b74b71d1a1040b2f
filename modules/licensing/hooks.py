"""The module's fulfilment hooks (``manifest.fulfil`` / ``manifest.revoke``). Commerce calls
them inside its transaction with the order line locked, once per line (and again after a
crash, so both are idempotent): see ``services/issue.py`` for what a line is issued."""

from __future__ import annotations

from core.registry.manifest import OrderLineLike
from modules.licensing.services.issue import issue_for_line, revoke_for_line


def fulfil(order_line: OrderLineLike) -> None:
    """Issue the paid line's licences (per seat, or one pooled licence), or extend the
    subscription's for a renewal order; ``license.issued`` per new licence."""
    issue_for_line(line_id=int(order_line.pk))


def revoke(order_line: OrderLineLike) -> None:
    """The line was refunded in full: its licences are revoked (``license.revoked``)."""
    revoke_for_line(line_id=int(order_line.pk))
