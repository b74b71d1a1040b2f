"""A course's public outline: its sections and lessons (titles, kinds, durations, which are
free previews), the total duration and the landing page's facts (level, language, what you
will learn). The storefront panel and the public curriculum API read it; nothing in it is
behind the enrolment (no bodies, videos or resources). Three queries: the course with its
product, its sections, its lessons."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.catalog.models import ProductStatus
from modules.courses.errors import not_found
from modules.courses.models import Course, Lesson


@dataclass(frozen=True)
class OutlineLesson:
    id: int
    title: str
    kind: str
    duration_seconds: int
    is_preview: bool

    @property
    def duration_label(self) -> str:
        return clock(self.duration_seconds)


@dataclass
class OutlineSection:
    id: int
    title: str
    lessons: list[OutlineLesson] = field(default_factory=list)

    @property
    def duration_seconds(self) -> int:
        return sum(lesson.duration_seconds for lesson in self.lessons)

    @property
    def duration_label(self) -> str:
        return spoken(self.duration_seconds)


@dataclass(frozen=True)
class Outline:
    course_id: int
    product_id: int
    title: str
    level: str
    language: str
    outcomes: list[str]
    duration_seconds: int
    sections: list[OutlineSection]

    @property
    def lesson_count(self) -> int:
        return sum(len(section.lessons) for section in self.sections)

    @property
    def preview_count(self) -> int:
        return sum(lesson.is_preview for section in self.sections for lesson in section.lessons)

    @property
    def duration_label(self) -> str:
        return spoken(self.duration_seconds)


def clock(seconds: int) -> str:
    """A lesson's length as a player shows it: 4:05, 1:02:03."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def spoken(seconds: int) -> str:
    """A total as people say it: 45 min, 2 h 05 min (rounded up to the minute)."""
    minutes = -(-max(seconds, 0) // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


def outline_of(course: Course) -> Outline:
    sections: dict[int, OutlineSection] = {}
    lessons = (
        Lesson.objects.filter(course=course)
        .select_related("section")
        .order_by("section__position", "section_id", "position", "id")
    )
    for section in course.sections.all().order_by("position", "id"):
        sections[section.pk] = OutlineSection(id=section.pk, title=section.title)
    for lesson in lessons:
        sections[lesson.section_id].lessons.append(
            OutlineLesson(
                id=lesson.pk,
                title=lesson.title,
                kind=lesson.kind,
                duration_seconds=lesson.duration_seconds,
                is_preview=lesson.is_preview,
            )
        )
    return Outline(
        course_id=course.pk,
        product_id=course.product_id,
        title=course.product.name,
        level=course.level,
        language=course.language,
        outcomes=[line.strip() for line in course.outcomes.splitlines() if line.strip()],
        duration_seconds=course.duration_seconds,
        sections=list(sections.values()),
    )


def public_outline(*, course_id: int) -> Outline:
    """The outline of a published course (a draft, hidden or unknown one is not found)."""
    course = (
        Course.objects.filter(pk=course_id, product__status=ProductStatus.PUBLISHED)
        .select_related("product")
        .first()
    )
    if course is None:
        raise not_found()
    return outline_of(course)
