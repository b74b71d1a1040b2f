"""Who may open what: a live enrolment opens the course's released lessons; preview lessons
are open to everyone. Every page, playlist, segment, key and resource asks here."""

from __future__ import annotations

from modules.courses.models import Enrolment, Lesson


def live_enrolment(*, user_id: int | None, course_id: int) -> Enrolment | None:
    if user_id is None:
        return None
    return Enrolment.objects.filter(
        course_id=course_id, buyer_id=user_id, revoked_at__isnull=True
    ).first()


def can_open(*, user_id: int | None, lesson: Lesson) -> bool:
    """Preview lessons: anyone; others: a live enrolment (drip and prerequisites are checked
    by ``services.progress`` on top of this)."""
    if lesson.is_preview:
        return True
    return live_enrolment(user_id=user_id, course_id=lesson.course_id) is not None
