"""Public API: a published course's curriculum (mounted into ``api.router``, so at
``/api/v1/courses/{course_id}/curriculum``), readable without signing in, like the landing
page. Only the outline: titles, kinds, durations and which lessons are free previews."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from modules.courses.services.curriculum import Outline, public_outline

router = Router(tags=["courses"])


class CurriculumLessonOut(Schema):
    id: int
    title: str
    kind: str
    duration_seconds: int
    is_preview: bool


class CurriculumSectionOut(Schema):
    id: int
    title: str
    duration_seconds: int
    lessons: list[CurriculumLessonOut]


class CourseDetailsOut(Schema):
    """The product spec's ``courseDetails``: how many modules (sections), how long (s)."""

    modules: int
    duration: int


class CurriculumOut(Schema):
    course_id: int
    product_id: int
    title: str
    level: str
    language: str
    outcomes: list[str]
    duration_seconds: int
    lesson_count: int
    course_details: CourseDetailsOut = Field(..., serialization_alias="courseDetails")
    sections: list[CurriculumSectionOut]


def curriculum_dict(outline: Outline) -> dict[str, Any]:
    return {
        "course_id": outline.course_id,
        "product_id": outline.product_id,
        "title": outline.title,
        "level": outline.level,
        "language": outline.language,
        "outcomes": outline.outcomes,
        "duration_seconds": outline.duration_seconds,
        "lesson_count": outline.lesson_count,
        "course_details": {"modules": len(outline.sections), "duration": outline.duration_seconds},
        "sections": [
            {
                "id": section.id,
                "title": section.title,
                "duration_seconds": section.duration_seconds,
                "lessons": [vars(lesson) for lesson in section.lessons],
            }
            for section in outline.sections
        ],
    }


@router.get(
    "/{course_id}/curriculum",
    response=CurriculumOut,
    by_alias=True,
    summary="A published course's curriculum (public)",
)
def curriculum(request: HttpRequest, course_id: int) -> dict[str, Any]:
    return curriculum_dict(public_outline(course_id=course_id))
