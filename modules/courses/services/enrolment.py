"""Enrolment: granted by the fulfil hook for a paid order line of a course and revoked on a
full refund or a lost chargeback; a seller may also enrol someone on their own course for
free. Both hooks are idempotent (commerce calls them again after a crash).

A buyer who comes back after a refund (a second purchase) picks up their revoked enrolment:
it is reopened for the new line with its progress, passed quizzes and drip clock intact."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from core.commerce.models import OrderLine
from modules.courses.errors import CourseErrorCode, invalid, not_found, refused
from modules.courses.models import Course, Enrolment


def _open(*, course: Course, buyer_id: int, line: OrderLine | None, now: datetime) -> Enrolment:
    """The buyer's live enrolment on ``course``: theirs already, their latest revoked one
    reopened, or a new one."""
    live = Enrolment.objects.filter(
        course=course, buyer_id=buyer_id, revoked_at__isnull=True
    ).first()
    if live is not None and live.via_pass_id is not None and line is not None:
        # On the course through a membership and now bought outright: the place is the
        # buyer's own from here on (the membership's end no longer closes it).
        live.via_pass = None
        live.order_line = line
        live.save(update_fields=["via_pass", "order_line"])
        return live
    if live is not None:  # already on the course (bought twice): keep the first enrolment
        return live
    revoked = (
        Enrolment.objects.select_for_update()
        .filter(course=course, buyer_id=buyer_id, revoked_at__isnull=False)
        .order_by("-revoked_at", "-id")
        .first()
    )
    if revoked is not None:
        revoked.revoked_at = None
        revoked.revoked_reason = ""
        revoked.order_line = line
        revoked.via_pass = None
        revoked.save(update_fields=["revoked_at", "revoked_reason", "order_line", "via_pass"])
        return revoked
    return Enrolment.objects.create(
        course=course, buyer_id=buyer_id, order_line=line, enrolled_at=now
    )


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
    with transaction.atomic():
        return _open(
            course=course, buyer_id=line.order.buyer_id, line=line, now=now or timezone.now()
        )


def unenrol_for_line(*, line_id: int, reason: str, now: datetime | None = None) -> bool:
    """The revoke hook's work (idempotent): True when the course closed now."""
    updated = Enrolment.objects.filter(order_line_id=line_id, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now(), revoked_reason=reason[:200]
    )
    return updated > 0


def enrol_manually(
    *, seller_id: int, course_id: int, email: str, now: datetime | None = None
) -> Enrolment:
    """A seller gives a place on their own course for free to a user of the marketplace
    (idempotent: a user already enrolled keeps their enrolment). Another seller's course is
    not found."""
    course = Course.objects.filter(pk=course_id, product__seller_id=seller_id).first()
    if course is None:
        raise not_found()
    buyer = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if buyer is None:
        raise invalid(
            CourseErrorCode.INVALID_COURSE, "email", "No one with that e-mail address here."
        )
    with transaction.atomic():
        return _open(course=course, buyer_id=buyer.pk, line=None, now=now or timezone.now())


def unenrol_manually(
    *, seller_id: int, enrolment_id: int, reason: str, now: datetime | None = None
) -> Enrolment:
    """The seller takes back a free place they gave; a paid place closes only through a
    refund."""
    enrolment = Enrolment.objects.filter(
        pk=enrolment_id, course__product__seller_id=seller_id, revoked_at__isnull=True
    ).first()
    if enrolment is None:
        raise not_found("No such enrolment.")
    if enrolment.order_line_id is not None:
        raise refused(
            CourseErrorCode.NOT_ENROLLED, "A paid place closes only when the order is refunded."
        )
    enrolment.revoked_at = now or timezone.now()
    enrolment.revoked_reason = (reason or "Removed by the seller.")[:200]
    enrolment.save(update_fields=["revoked_at", "revoked_reason"])
    return enrolment
