"""Learner API: progress (mounted into ``api.router``, so at ``/api/v1/courses/``).

``POST /progress`` is the player's report (the hot path: one SQL statement besides signing
in); ``/progress/reading`` and ``/progress/complete`` are a text lesson's time on page and
its "mark complete"; ``GET /enrolments`` and ``GET /{course_id}/outline`` are "My courses"
and the curriculum with each lesson's state. A lesson of a course the caller is not on (or
no longer on, or of another marketplace) is 404; a locked one is 409."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from core.accounts.auth import user_auth
from core.accounts.principal import principal_of
from modules.courses.errors import not_found
from modules.courses.models import Enrolment
from modules.courses.services import access, progress

router = Router(tags=["courses"])

Interval = Annotated[list[float], Field(min_length=2, max_length=2)]
MAX_BOUND = 7 * 24 * 3600.0  # no lesson is a week long


class WatchIn(Schema):
    lesson_id: int
    intervals: list[Interval] = Field(..., max_length=progress.MAX_INTERVALS)
    position: float = Field(0.0, ge=0, le=MAX_BOUND)


class ReadingIn(Schema):
    lesson_id: int
    seconds: int = Field(..., ge=0, le=progress.MAX_SECONDS_PER_REPORT)


class LessonIn(Schema):
    lesson_id: int


class ProgressOut(Schema):
    lesson_id: int
    watched_seconds: int
    position_seconds: int
    seconds_on_page: int
    is_complete: bool
    course_percent: int


class EnrolmentOut(Schema):
    id: int
    course_id: int
    title: str
    progress_percent: int
    enrolled_at: datetime
    completed_at: datetime | None
    last_lesson_id: int | None
    last_active_at: datetime | None


class LessonStateOut(Schema):
    lesson_id: int
    section_id: int
    title: str
    kind: str
    state: str
    reason: str
    opens_at: datetime | None


class OutlineOut(Schema):
    course_id: int
    progress_percent: int
    completed_at: datetime | None
    lessons: list[LessonStateOut]


def _out(reported: progress.Reported) -> dict[str, Any]:
    return {
        "lesson_id": reported.lesson_id,
        "watched_seconds": reported.watched_seconds,
        "position_seconds": reported.position_seconds,
        "seconds_on_page": reported.seconds_on_page,
        "is_complete": reported.is_complete,
        "course_percent": reported.course_percent,
    }


@router.post(
    "/progress",
    response=ProgressOut,
    auth=user_auth,
    summary="Report what the player played (seconds) and where it is",
)
def report_watched(request: HttpRequest, payload: WatchIn) -> dict[str, Any]:
    for interval in payload.intervals:  # bounded like the position
        if any(bound > MAX_BOUND for bound in interval):
            interval[:] = [min(bound, MAX_BOUND) for bound in interval]
    return _out(
        progress.report_watched(
            user_id=principal_of(request).user.pk,
            lesson_id=payload.lesson_id,
            intervals=payload.intervals,
            position=payload.position,
        )
    )


@router.post(
    "/progress/reading",
    response=ProgressOut,
    auth=user_auth,
    summary="Report seconds a text lesson was open and visible",
)
def report_reading(request: HttpRequest, payload: ReadingIn) -> dict[str, Any]:
    return _out(
        progress.report_reading(
            user_id=principal_of(request).user.pk,
            lesson_id=payload.lesson_id,
            seconds=payload.seconds,
        )
    )


@router.post(
    "/progress/complete",
    response=ProgressOut,
    auth=user_auth,
    summary="Mark a text lesson complete",
)
def mark_complete(request: HttpRequest, payload: LessonIn) -> dict[str, Any]:
    return _out(
        progress.mark_complete(user_id=principal_of(request).user.pk, lesson_id=payload.lesson_id)
    )


@router.get(
    "/enrolments",
    response=list[EnrolmentOut],
    auth=user_auth,
    summary="Your courses, the latest active first",
)
def my_enrolments(request: HttpRequest) -> list[dict[str, Any]]:
    enrolments = (
        Enrolment.objects.filter(buyer_id=principal_of(request).user.pk, revoked_at__isnull=True)
        .select_related("course__product")
        .order_by("-last_active_at", "-enrolled_at", "-id")
    )
    return [
        {
            "id": enrolment.pk,
            "course_id": enrolment.course_id,
            "title": enrolment.course.product.name,
            "progress_percent": enrolment.progress_percent,
            "enrolled_at": enrolment.enrolled_at,
            "completed_at": enrolment.completed_at,
            "last_lesson_id": enrolment.last_lesson_id,
            "last_active_at": enrolment.last_active_at,
        }
        for enrolment in enrolments
    ]


@router.get(
    "/{course_id}/outline",
    response=OutlineOut,
    auth=user_auth,
    summary="The curriculum with each lesson's state (open, locked and why, done)",
)
def outline(request: HttpRequest, course_id: int) -> dict[str, Any]:
    enrolment = access.live_enrolment(user_id=principal_of(request).user.pk, course_id=course_id)
    if enrolment is None:
        raise not_found()
    lessons = access.course_lessons(course_id)
    states = access.outline(course_id=course_id, enrolment=enrolment, lessons=lessons)
    return {
        "course_id": course_id,
        "progress_percent": enrolment.progress_percent,
        "completed_at": enrolment.completed_at,
        "lessons": [
            {
                "lesson_id": lesson.pk,
                "section_id": lesson.section_id,
                "title": lesson.title,
                "kind": lesson.kind,
                "state": states[lesson.pk].state,
                "reason": states[lesson.pk].reason,
                "opens_at": states[lesson.pk].opens_at,
            }
            for lesson in lessons
        ],
    }
