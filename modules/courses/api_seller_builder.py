"""Seller API: the course builder (mounted into ``api_seller.router``, so at
``/api/v1/courses/seller/`` behind the manifest's permissions). A course's details, its
sections and lessons (added, changed, moved, removed), the whole order at once (what the
studio's drag and drop sends), and a lesson's downloadable resources. Another seller's
course, section, lesson or resource answers 404 like one that does not exist."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from core.schemas import StrictSchema
from core.sellers.auth import authorised_seller
from modules.courses.models import Course, Lesson, Section
from modules.courses.services import builder

router = Router(tags=["courses"])


class ProductOut(Schema):
    id: int
    name: str
    course_id: int | None


class DetailsIn(StrictSchema):
    level: str = Field("", max_length=20)
    language: str = Field("en", max_length=35)
    outcomes: str = Field("", max_length=builder.MAX_OUTCOMES)
    issues_certificate: bool = True


class ResourceOut(Schema):
    id: int
    title: str
    original_name: str
    content_type: str
    size: int
    position: int


class LessonOut(Schema):
    id: int
    section_id: int
    title: str
    kind: str
    position: int
    body: str
    is_preview: bool
    is_required: bool
    min_seconds: int
    duration_seconds: int
    drip_days: int | None
    drip_date: date | None
    prerequisite_id: int | None
    resources: list[ResourceOut]


class SectionOut(Schema):
    id: int
    title: str
    position: int
    lessons: list[LessonOut]


class CourseOut(Schema):
    id: int
    product_id: int
    level: str
    language: str
    outcomes: str
    issues_certificate: bool
    duration_seconds: int
    sections: list[SectionOut]


class TitleIn(StrictSchema):
    title: str = Field(..., max_length=builder.MAX_TITLE)


class NewLessonIn(StrictSchema):
    title: str = Field(..., max_length=builder.MAX_TITLE)
    kind: str = Field(..., max_length=8)


class LessonIn(StrictSchema):
    title: str = Field(..., max_length=builder.MAX_TITLE)
    body: str = Field("", max_length=builder.MAX_BODY)
    is_preview: bool = False
    is_required: bool = True
    min_seconds: int = 0
    drip_days: int | None = None
    drip_date: date | None = None
    prerequisite_id: int | None = None


class MoveIn(StrictSchema):
    section_id: int
    position: int = Field(..., ge=1)


class SectionOrderIn(StrictSchema):
    id: int
    lessons: list[int] = Field(..., max_length=builder.MAX_LESSONS_PER_SECTION)


class OrderIn(StrictSchema):
    sections: list[SectionOrderIn] = Field(..., max_length=builder.MAX_SECTIONS)


def _lesson_dict(lesson: Lesson) -> dict[str, Any]:
    return {
        "id": lesson.pk,
        "section_id": lesson.section_id,
        "title": lesson.title,
        "kind": lesson.kind,
        "position": lesson.position,
        "body": lesson.body,
        "is_preview": lesson.is_preview,
        "is_required": lesson.is_required,
        "min_seconds": lesson.min_seconds,
        "duration_seconds": lesson.duration_seconds,
        "drip_days": lesson.drip_days,
        "drip_date": lesson.drip_date,
        "prerequisite_id": lesson.prerequisite_id,
        "resources": list(lesson.resources.all()),
    }


def course_dict(course: Course) -> dict[str, Any]:
    """The course as the builder sees it: four queries whatever its size."""
    course.refresh_from_db(fields=["duration_seconds"])
    sections = list(Section.objects.filter(course=course).order_by("position", "id"))
    lessons = (
        Lesson.objects.filter(course=course)
        .prefetch_related("resources")
        .order_by("position", "id")
    )
    by_section: dict[int, list[dict[str, Any]]] = {row.pk: [] for row in sections}
    for lesson in lessons:
        by_section[lesson.section_id].append(_lesson_dict(lesson))
    return {
        "id": course.pk,
        "product_id": course.product_id,
        "level": course.level,
        "language": course.language,
        "outcomes": course.outcomes,
        "issues_certificate": course.issues_certificate,
        "duration_seconds": course.duration_seconds,
        "sections": [
            {
                "id": row.pk,
                "title": row.title,
                "position": row.position,
                "lessons": by_section[row.pk],
            }
            for row in sections
        ],
    }


def _section_dict(section: Section) -> dict[str, Any]:
    lessons = section.lessons.prefetch_related("resources").order_by("position", "id")
    return {
        "id": section.pk,
        "title": section.title,
        "position": section.position,
        "lessons": [_lesson_dict(lesson) for lesson in lessons],
    }


@router.get("/products", response=list[ProductOut], summary="Your course products")
def list_products(request: HttpRequest) -> list[dict[str, Any]]:
    seller = authorised_seller(request)
    rows = builder.sellers_course_products(seller.pk)
    courses = dict(Course.objects.filter(product__in=rows).values_list("product_id", "pk"))
    return [{"id": row.pk, "name": row.name, "course_id": courses.get(row.pk)} for row in rows]


@router.put(
    "/products/{product_id}/course",
    response=CourseOut,
    summary="Set a course product's details (creates its course the first time)",
)
def put_details(request: HttpRequest, product_id: int, payload: DetailsIn) -> dict[str, Any]:
    course = builder.set_details(
        seller_id=authorised_seller(request).pk,
        product_id=product_id,
        data=builder.CourseDetails(**payload.model_dump()),
    )
    return course_dict(course)


@router.get("/courses/{course_id}", response=CourseOut, summary="A course with its lessons")
def get_course(request: HttpRequest, course_id: int) -> dict[str, Any]:
    course = builder.sellers_course(seller_id=authorised_seller(request).pk, course_id=course_id)
    return course_dict(course)


@router.post(
    "/courses/{course_id}/order",
    response=CourseOut,
    summary="Lay out the whole course: every section once, every lesson once",
)
def put_order(request: HttpRequest, course_id: int, payload: OrderIn) -> dict[str, Any]:
    course = builder.reorder(
        seller_id=authorised_seller(request).pk,
        course_id=course_id,
        layout=[(row.id, list(row.lessons)) for row in payload.sections],
    )
    return course_dict(course)


@router.post(
    "/courses/{course_id}/sections",
    response={201: SectionOut},
    summary="Add a section at the end",
)
def add_section(request: HttpRequest, course_id: int, payload: TitleIn) -> Status[Any]:
    section = builder.add_section(
        seller_id=authorised_seller(request).pk, course_id=course_id, title=payload.title
    )
    return Status(201, _section_dict(section))


@router.patch("/sections/{section_id}", response=SectionOut, summary="Rename a section")
def rename_section(request: HttpRequest, section_id: int, payload: TitleIn) -> dict[str, Any]:
    section = builder.rename_section(
        seller_id=authorised_seller(request).pk, section_id=section_id, title=payload.title
    )
    return _section_dict(section)


@router.delete(
    "/sections/{section_id}",
    response={204: None},
    summary="Remove a section with its lessons",
)
def remove_section(request: HttpRequest, section_id: int) -> Status[None]:
    builder.remove_section(seller_id=authorised_seller(request).pk, section_id=section_id)
    return Status(204, None)


@router.post(
    "/sections/{section_id}/lessons",
    response={201: LessonOut},
    summary="Add a lesson (video, text or quiz) at the end of a section",
)
def add_lesson(request: HttpRequest, section_id: int, payload: NewLessonIn) -> Status[Any]:
    lesson = builder.add_lesson(
        seller_id=authorised_seller(request).pk,
        section_id=section_id,
        title=payload.title,
        kind=payload.kind,
    )
    return Status(201, _lesson_dict(lesson))


@router.get("/lessons/{lesson_id}", response=LessonOut, summary="A lesson")
def get_lesson(request: HttpRequest, lesson_id: int) -> dict[str, Any]:
    lesson = builder.sellers_lesson(seller_id=authorised_seller(request).pk, lesson_id=lesson_id)
    return _lesson_dict(lesson)


@router.put(
    "/lessons/{lesson_id}",
    response=LessonOut,
    summary="Change a lesson's title, content and rules (preview, required, drip, prerequisite)",
)
def put_lesson(request: HttpRequest, lesson_id: int, payload: LessonIn) -> dict[str, Any]:
    lesson = builder.update_lesson(
        seller_id=authorised_seller(request).pk,
        lesson_id=lesson_id,
        data=builder.LessonData(**payload.model_dump()),
    )
    return _lesson_dict(lesson)


@router.post(
    "/lessons/{lesson_id}/move",
    response=LessonOut,
    summary="Move a lesson to a position of a section of the same course",
)
def move_lesson(request: HttpRequest, lesson_id: int, payload: MoveIn) -> dict[str, Any]:
    lesson = builder.move_lesson(
        seller_id=authorised_seller(request).pk,
        lesson_id=lesson_id,
        section_id=payload.section_id,
        position=payload.position,
    )
    return _lesson_dict(lesson)


@router.delete("/lessons/{lesson_id}", response={204: None}, summary="Remove a lesson")
def remove_lesson(request: HttpRequest, lesson_id: int) -> Status[None]:
    builder.remove_lesson(seller_id=authorised_seller(request).pk, lesson_id=lesson_id)
    return Status(204, None)


@router.post(
    "/lessons/{lesson_id}/resources",
    response={201: ResourceOut},
    summary="Attach a downloadable file to a lesson (multipart: file, title)",
)
def add_resource(
    request: HttpRequest,
    lesson_id: int,
    file: File[UploadedFile],
    title: str = Form("", max_length=builder.MAX_TITLE),  # type: ignore[type-arg]
) -> Status[Any]:
    resource = builder.add_resource(
        seller_id=authorised_seller(request).pk,
        lesson_id=lesson_id,
        title=title,
        name=file.name or "upload",
        stream=file,
        size=file.size or 0,
    )
    return Status(201, resource)


@router.delete("/resources/{resource_id}", response={204: None}, summary="Remove a resource")
def remove_resource(request: HttpRequest, resource_id: int) -> Status[None]:
    builder.remove_resource(seller_id=authorised_seller(request).pk, resource_id=resource_id)
    return Status(204, None)
