"""The module's fulfilment hooks (``manifest.fulfil`` / ``manifest.revoke``). Commerce calls
them inside its transaction with the order line locked, once per line (and again after a
crash, so both are idempotent)."""

from __future__ import annotations

from core.registry.manifest import OrderLineLike
from modules.courses.services.enrolment import enrol_for_line, unenrol_for_line


def fulfil(order_line: OrderLineLike) -> None:
    """A paid line of a course: the buyer is enrolled."""
    enrol_for_line(line_id=int(order_line.pk))


def revoke(order_line: OrderLineLike) -> None:
    """The line was refunded in full (or a chargeback lost): the course closes at once."""
    unenrol_for_line(line_id=int(order_line.pk), reason="The order was refunded.")
