"""The module's fulfilment hooks (``manifest.fulfil`` / ``manifest.revoke``). Commerce calls
them inside its transaction with the order line locked, once per line (and again after a
crash, so both are idempotent)."""

from __future__ import annotations

from core.commerce.models import OrderLine
from core.registry.manifest import OrderLineLike
from modules.courses.manifest import COURSE_PASS
from modules.courses.services.enrolment import enrol_for_line, unenrol_for_line
from modules.courses.services.passes import enrol_for_pass_line, revoke_for_pass_line

REFUNDED = "The order was refunded."


def fulfil(order_line: OrderLineLike) -> None:
    """A paid line of a course: the buyer is enrolled. A paid line of a membership (its first
    checkout or a renewal): the buyer is enrolled in every course it includes."""
    line = OrderLine.objects.select_related("order", "product").get(pk=order_line.pk)
    if line.product is not None and line.product.product_type == COURSE_PASS:
        enrol_for_pass_line(line=line)
    else:
        enrol_for_line(line_id=int(line.pk))


def revoke(order_line: OrderLineLike) -> None:
    """The line was refunded in full (or a chargeback lost): the course closes at once, or
    every course the membership line opened (unless another live subscription to the same
    pass carries them)."""
    line = OrderLine.objects.select_related("order", "product").get(pk=order_line.pk)
    if line.product is not None and line.product.product_type == COURSE_PASS:
        revoke_for_pass_line(line=line, reason=REFUNDED)
    else:
        unenrol_for_line(line_id=int(line.pk), reason=REFUNDED)
