"""Enrolment: one per paid order line of a course, granted by the fulfil hook and revoked on
a full refund or a lost chargeback. A buyer enrolled again (a second purchase after a
refund) gets a new enrolment; progress belongs to the enrolment."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from core.commerce.models import OrderLine
from modules.courses.models import Course, Enrolment


def enrol_for_line(*, line_id: int, now: datetime | None = None) -> Enrolment | None:
    """The fulfil hook's work (idempotent): the paid line's enrolment; None for a line whose
    product is not a course."""
    line = OrderLine.objects.select_related("order").get(pk=line_id)
    course = Course.objects.filter(product_id=line.product_id).first()
    if course is None:
        return None
    existing = Enrolment.objects.filter(order_line=line).first()
    if existing is not None:
        return existing
    live = Enrolment.objects.filter(
        course=course, buyer_id=line.order.buyer_id, revoked_at__isnull=True
    ).first()
    if live is not None:  # already on the course (bought twice): keep the first enrolment
        return live
    return Enrolment.objects.create(
        course=course,
        buyer_id=line.order.buyer_id,
        order_line=line,
        enrolled_at=now or timezone.now(),
    )


def unenrol_for_line(*, line_id: int, reason: str, now: datetime | None = None) -> bool:
    """The revoke hook's work (idempotent): True when the course closed now."""
    updated = Enrolment.objects.filter(order_line_id=line_id, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now(), revoked_reason=reason[:200]
    )
    return updated > 0
