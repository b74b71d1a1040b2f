"""The seller's side of a course: its details (level, language, what you will learn), its
sections and lessons (added, edited, moved, removed), the lessons' rules (free preview,
required, minimum time, drip, prerequisite) and their downloadable resources.

Everything takes the acting ``seller_id``: another seller's course, section, lesson or
resource is not found, exactly like one that does not exist. A course belongs to one of the
seller's catalogue products of type ``course``; its details are created the first time they
are set. Sections are numbered 1..n in the course, lessons 1..n in their section; the course
order is (section, lesson). A prerequisite is always an earlier lesson of the same course,
so a change that would put one after the lesson needing it is refused (which also rules out
cycles). Every change to the lessons recomputes the course's duration."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from typing import IO

import nh3
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils.html import escape, linebreaks

from core.catalog.models import Product
from core.errors import ErrorKind
from core.uploads import checked_content_type
from modules.courses.errors import CourseError, CourseErrorCode, invalid, not_found
from modules.courses.manifest import COURSE, manifest
from modules.courses.models import Course, Lesson, LessonKind, Quiz, Resource, Section
from modules.courses.services.durations import recompute_course_duration
from tenants.selectors import current_tenant_row

ERROR = CourseErrorCode.INVALID_COURSE
MAX_TITLE = 200
MAX_BODY = 200_000
MAX_OUTCOMES = 5000
MAX_MIN_SECONDS = 24 * 3600
MAX_DRIP_DAYS = 3650
MAX_SECTIONS = 200
MAX_LESSONS_PER_SECTION = 200
READING_WORDS_PER_MINUTE = 200
LEVELS = ("", "Beginner", "Intermediate", "Advanced", "All levels")
# A complete tag (``<p>``, ``</em>``, ``<a href=...>``): without one, the body is plain text,
# so "if a < b" or "<b line" stays what was typed.
MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(\s[^<>]*)?/?>")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
# Rich text a text lesson may hold (nh3 strips everything else, scripts and handlers first).
BODY_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "em", "b", "i", "u", "s", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "img", "figure", "figcaption", "hr", "table",
    "thead", "tbody", "tr", "th", "td", "sub", "sup",
}  # fmt: skip
BODY_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}}


@dataclass(frozen=True)
class CourseDetails:
    level: str = ""
    language: str = "en"
    outcomes: str = ""  # "What you will learn", one per line
    issues_certificate: bool = True


@dataclass(frozen=True)
class LessonData:
    title: str
    body: str = ""
    is_preview: bool = False
    is_required: bool = True
    min_seconds: int = 0
    drip_days: int | None = None
    drip_date: date | None = None
    prerequisite_id: int | None = None


# -- reading -----------------------------------------------------------------------------


def sellers_course_products(seller_id: int) -> list[Product]:
    """The seller's catalogue products of type ``course``, newest first."""
    return list(
        Product.objects.filter(seller_id=seller_id, product_type=COURSE).order_by("-id")[:200]
    )


def course_product(*, seller_id: int, product_id: int) -> Product:
    product = Product.objects.filter(
        pk=product_id, seller_id=seller_id, product_type=COURSE
    ).first()
    if product is None:
        raise not_found()
    return product


def sellers_course(*, seller_id: int, course_id: int, lock: bool = False) -> Course:
    courses = Course.objects.select_for_update() if lock else Course.objects
    found = (
        courses.filter(pk=course_id, product__seller_id=seller_id).select_related("product").first()
    )
    if found is None:
        raise not_found()
    return found


def sellers_section(*, seller_id: int, section_id: int) -> Section:
    found = Section.objects.filter(pk=section_id, course__product__seller_id=seller_id).first()
    if found is None:
        raise not_found("No such section.")
    return found


def sellers_lesson(*, seller_id: int, lesson_id: int) -> Lesson:
    found = Lesson.objects.filter(pk=lesson_id, course__product__seller_id=seller_id).first()
    if found is None:
        raise not_found("No such lesson.")
    return found


def sellers_resource(*, seller_id: int, resource_id: int) -> Resource:
    found = (
        Resource.objects.filter(pk=resource_id, lesson__course__product__seller_id=seller_id)
        .select_related("lesson")
        .first()
    )
    if found is None:
        raise not_found("No such resource.")
    return found


def _lock_course(course_id: int) -> Course:
    """Serialise every structural change of one course (positions, prerequisites)."""
    return Course.objects.select_for_update().get(pk=course_id)


def course_order(course_id: int) -> list[Lesson]:
    """The course's lessons in the order a student meets them."""
    return list(
        Lesson.objects.filter(course_id=course_id).order_by(
            "section__position", "section_id", "position", "id"
        )
    )


# -- details -----------------------------------------------------------------------------


def _check_details(data: CourseDetails) -> CourseDetails:
    level = data.level.strip()
    if level not in LEVELS:
        raise invalid(ERROR, "level", "Choose beginner, intermediate, advanced or all levels.")
    language = data.language.strip() or "en"
    if len(language) > 35 or not LANGUAGE.match(language):
        raise invalid(ERROR, "language", "Give a language code such as en, de or pt-BR.")
    outcomes = "\n".join(line.strip() for line in data.outcomes.splitlines() if line.strip())
    if len(outcomes) > MAX_OUTCOMES:
        raise invalid(
            ERROR, "outcomes", f"What you will learn may be at most {MAX_OUTCOMES} characters."
        )
    return CourseDetails(level, language, outcomes, data.issues_certificate)


def save_details(*, product: Product, data: CourseDetails) -> Course:
    """The course details of ``product`` (already the caller's own course product)."""
    checked = _check_details(data)
    course, _ = Course.objects.select_for_update().get_or_create(product=product)
    course.level = checked.level
    course.language = checked.language
    course.outcomes = checked.outcomes
    course.issues_certificate = checked.issues_certificate
    course.save()
    return course


@transaction.atomic
def set_details(*, seller_id: int, product_id: int, data: CourseDetails) -> Course:
    """Create or change the course behind one of the seller's course products."""
    product = course_product(seller_id=seller_id, product_id=product_id)
    return save_details(product=product, data=data)


# -- sections ----------------------------------------------------------------------------


def _title(value: str, what: str) -> str:
    title = " ".join(value.split())
    if not title:
        raise invalid(ERROR, "title", f"Give the {what} a title.")
    if len(title) > MAX_TITLE:
        raise invalid(ERROR, "title", f"A title may be at most {MAX_TITLE} characters.")
    return title


def _renumber_sections(course_id: int) -> None:
    rows = list(Section.objects.filter(course_id=course_id).order_by("position", "id"))
    for position, row in enumerate(rows, start=1):
        row.position = position
    Section.objects.bulk_update(rows, ["position"])


def _renumber_lessons(section_id: int) -> None:
    rows = list(Lesson.objects.filter(section_id=section_id).order_by("position", "id"))
    for position, row in enumerate(rows, start=1):
        row.position = position
    Lesson.objects.bulk_update(rows, ["position"])


@transaction.atomic
def add_section(*, seller_id: int, course_id: int, title: str) -> Section:
    """A new section at the end of the course."""
    clean = _title(title, "section")
    course = sellers_course(seller_id=seller_id, course_id=course_id, lock=True)
    count = Section.objects.filter(course=course).count()
    if count >= MAX_SECTIONS:
        raise invalid(ERROR, "title", f"A course may have at most {MAX_SECTIONS} sections.")
    last = Section.objects.filter(course=course).aggregate(last=Max("position"))["last"] or 0
    return Section.objects.create(course=course, title=clean, position=last + 1)


@transaction.atomic
def rename_section(*, seller_id: int, section_id: int, title: str) -> Section:
    clean = _title(title, "section")
    section = sellers_section(seller_id=seller_id, section_id=section_id)
    section.title = clean
    section.save(update_fields=["title"])
    return section


@transaction.atomic
def remove_section(*, seller_id: int, section_id: int) -> Course:
    """The section goes with its lessons (their videos, quizzes and resources)."""
    section = sellers_section(seller_id=seller_id, section_id=section_id)
    course = _lock_course(section.course_id)
    resources = list(Resource.objects.filter(lesson__section=section))
    section.delete()
    _renumber_sections(course.pk)
    _forget_files(resources)
    recompute_course_duration(course_id=course.pk)
    return course


@transaction.atomic
def step_section(*, seller_id: int, section_id: int, up: bool) -> Section:
    """One place up or down (the builder's buttons, without JavaScript)."""
    section = sellers_section(seller_id=seller_id, section_id=section_id)
    _lock_course(section.course_id)
    rows = list(Section.objects.filter(course_id=section.course_id).order_by("position", "id"))
    index = next(i for i, row in enumerate(rows) if row.pk == section.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
        _check_prerequisites_in_order(
            [lesson for row in rows for lesson in _lessons_of(row.pk)], field="order"
        )
    for position, row in enumerate(rows, start=1):
        row.position = position
    Section.objects.bulk_update(rows, ["position"])
    section.refresh_from_db()
    return section


def _lessons_of(section_id: int) -> list[Lesson]:
    return list(Lesson.objects.filter(section_id=section_id).order_by("position", "id"))


# -- the whole order ---------------------------------------------------------------------


@transaction.atomic
def reorder(*, seller_id: int, course_id: int, layout: list[tuple[int, list[int]]]) -> Course:
    """The course laid out as ``layout``: [(section id, [lesson id, ...]), ...] in order.
    It must name each of the course's sections and lessons exactly once; a lesson may move
    to another section. Refused (nothing changes) if a prerequisite would come after the
    lesson needing it."""
    course = sellers_course(seller_id=seller_id, course_id=course_id, lock=True)
    sections = {row.pk: row for row in Section.objects.filter(course=course)}
    lessons = {row.pk: row for row in Lesson.objects.filter(course=course)}
    section_ids = [section_id for section_id, _ in layout]
    lesson_ids = [lesson_id for _, ids in layout for lesson_id in ids]
    if sorted(section_ids) != sorted(sections):
        raise invalid(ERROR, "sections", "List each of the course's sections exactly once.")
    if sorted(lesson_ids) != sorted(lessons):
        raise invalid(ERROR, "lessons", "List each of the course's lessons exactly once.")
    ordered: list[Lesson] = []
    for section_position, (section_id, ids) in enumerate(layout, start=1):
        sections[section_id].position = section_position
        for lesson_position, lesson_id in enumerate(ids, start=1):
            lesson = lessons[lesson_id]
            lesson.section_id = section_id
            lesson.position = lesson_position
            ordered.append(lesson)
    _check_prerequisites_in_order(ordered, field="lessons")
    Section.objects.bulk_update(list(sections.values()), ["position"])
    Lesson.objects.bulk_update(ordered, ["section", "position"])
    return course


def _check_prerequisites_in_order(ordered: list[Lesson], *, field: str) -> None:
    seen: set[int] = set()
    for lesson in ordered:
        if lesson.prerequisite_id is not None and lesson.prerequisite_id not in seen:
            before = next(
                (row.title for row in ordered if row.pk == lesson.prerequisite_id), "its lesson"
            )
            raise invalid(
                ERROR,
                field,
                f"“{lesson.title}” needs “{before}” first, so it cannot come before it. "
                "Move it later or change its prerequisite.",
            )
        seen.add(lesson.pk)


# -- lessons -----------------------------------------------------------------------------


@transaction.atomic
def add_lesson(*, seller_id: int, section_id: int, title: str, kind: str) -> Lesson:
    """A new lesson at the end of the section; a quiz lesson gets its quiz (default rules,
    no questions yet)."""
    clean = _title(title, "lesson")
    if kind not in LessonKind.values:
        raise invalid(ERROR, "kind", "Choose video, text or quiz.")
    section = sellers_section(seller_id=seller_id, section_id=section_id)
    _lock_course(section.course_id)
    if Lesson.objects.filter(section=section).count() >= MAX_LESSONS_PER_SECTION:
        raise invalid(
            ERROR, "title", f"A section may have at most {MAX_LESSONS_PER_SECTION} lessons."
        )
    last = Lesson.objects.filter(section=section).aggregate(last=Max("position"))["last"] or 0
    lesson = Lesson.objects.create(
        course_id=section.course_id,
        section=section,
        title=clean,
        kind=kind,
        position=last + 1,
    )
    if kind == LessonKind.QUIZ:
        Quiz.objects.create(lesson=lesson)
    recompute_course_duration(course_id=section.course_id)
    return lesson


def clean_body(body: str) -> str:
    """Sanitised HTML: markup is cleaned by nh3 (no scripts, handlers or styles); plain text
    becomes paragraphs."""
    if not MARKUP.search(body):
        body = linebreaks(escape(body)) if body.strip() else ""
    return nh3.clean(
        body,
        tags=BODY_TAGS,
        attributes=BODY_ATTRIBUTES,
        url_schemes={"https", "http", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def reading_seconds(body_html: str, min_seconds: int = 0) -> int:
    """A text lesson's duration: its words at 200 a minute, at least its minimum time."""
    words = len(nh3.clean(body_html, tags=set()).split())
    return max(math.ceil(words * 60 / READING_WORDS_PER_MINUTE), min_seconds)


def _check_lesson(lesson: Lesson, data: LessonData) -> None:
    if len(data.body) > MAX_BODY:
        raise invalid(ERROR, "body", f"A lesson may be at most {MAX_BODY} characters.")
    if not 0 <= data.min_seconds <= MAX_MIN_SECONDS:
        raise invalid(ERROR, "min_seconds", "Give between 0 seconds and 24 hours.")
    if data.drip_days is not None and data.drip_date is not None:
        raise invalid(
            ERROR,
            "drip_date",
            "Release the lesson some days after enrolment or on a date, not both.",
        )
    if data.drip_days is not None and not 0 <= data.drip_days <= MAX_DRIP_DAYS:
        raise invalid(ERROR, "drip_days", f"Give between 0 and {MAX_DRIP_DAYS} days.")
    if data.prerequisite_id is None:
        return
    if data.prerequisite_id == lesson.pk:
        raise invalid(ERROR, "prerequisite_id", "A lesson cannot be its own prerequisite.")
    ordered = course_order(lesson.course_id)
    earlier = []
    for row in ordered:
        if row.pk == lesson.pk:
            break
        earlier.append(row.pk)
    if data.prerequisite_id not in earlier:
        raise invalid(
            ERROR, "prerequisite_id", "Choose an earlier lesson of this course as the prerequisite."
        )
    # Earlier lessons cannot depend on this one (they would be out of order), but walk the
    # chain anyway: a cycle would lock students out for good.
    by_id = {row.pk: row for row in ordered}
    step: int | None = data.prerequisite_id
    hops = 0
    while step is not None and hops <= len(ordered):
        if step == lesson.pk:
            raise invalid(
                ERROR, "prerequisite_id", "These prerequisites would go round in a circle."
            )
        step = by_id[step].prerequisite_id if step in by_id else None
        hops += 1


@transaction.atomic
def update_lesson(*, seller_id: int, lesson_id: int, data: LessonData) -> Lesson:
    """A lesson's title, content and rules (its kind stays what it was made as)."""
    title = _title(data.title, "lesson")
    lesson = sellers_lesson(seller_id=seller_id, lesson_id=lesson_id)
    _lock_course(lesson.course_id)
    _check_lesson(lesson, data)
    lesson.title = title
    lesson.body = clean_body(data.body)
    lesson.is_preview = data.is_preview
    lesson.is_required = data.is_required
    lesson.min_seconds = data.min_seconds
    lesson.drip_days = data.drip_days
    lesson.drip_date = data.drip_date
    lesson.prerequisite_id = data.prerequisite_id
    if lesson.kind == LessonKind.TEXT:
        lesson.duration_seconds = reading_seconds(lesson.body, lesson.min_seconds)
    lesson.save()
    recompute_course_duration(course_id=lesson.course_id)
    return lesson


@transaction.atomic
def move_lesson(*, seller_id: int, lesson_id: int, section_id: int, position: int) -> Lesson:
    """The lesson at ``position`` (1-based, clamped) of ``section_id`` of the same course."""
    lesson = sellers_lesson(seller_id=seller_id, lesson_id=lesson_id)
    _lock_course(lesson.course_id)
    target = Section.objects.filter(pk=section_id, course_id=lesson.course_id).first()
    if target is None:
        raise invalid(ERROR, "section_id", "Choose a section of this course.")
    layout = _layout(lesson.course_id)
    for _, ids in layout:
        if lesson.pk in ids:
            ids.remove(lesson.pk)
    destination = next(ids for sid, ids in layout if sid == target.pk)
    destination.insert(max(0, min(position - 1, len(destination))), lesson.pk)
    reorder(seller_id=seller_id, course_id=lesson.course_id, layout=layout)
    lesson.refresh_from_db()
    return lesson


@transaction.atomic
def step_lesson(*, seller_id: int, lesson_id: int, up: bool) -> Lesson:
    """One place up or down; at a section's edge it crosses into the neighbouring section
    (last of the one above, first of the one below)."""
    lesson = sellers_lesson(seller_id=seller_id, lesson_id=lesson_id)
    _lock_course(lesson.course_id)
    layout = _layout(lesson.course_id)
    index = next(i for i, (_, ids) in enumerate(layout) if lesson.pk in ids)
    ids = layout[index][1]
    at = ids.index(lesson.pk)
    if up and at > 0:
        ids[at - 1], ids[at] = ids[at], ids[at - 1]
    elif not up and at < len(ids) - 1:
        ids[at + 1], ids[at] = ids[at], ids[at + 1]
    elif up and index > 0:
        ids.remove(lesson.pk)
        layout[index - 1][1].append(lesson.pk)
    elif not up and index < len(layout) - 1:
        ids.remove(lesson.pk)
        layout[index + 1][1].insert(0, lesson.pk)
    reorder(seller_id=seller_id, course_id=lesson.course_id, layout=layout)
    lesson.refresh_from_db()
    return lesson


def _layout(course_id: int) -> list[tuple[int, list[int]]]:
    layout: list[tuple[int, list[int]]] = [
        (section_id, [])
        for section_id in Section.objects.filter(course_id=course_id)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    ]
    by_section = dict(layout)
    for lesson in course_order(course_id):
        by_section[lesson.section_id].append(lesson.pk)
    return layout


@transaction.atomic
def remove_lesson(*, seller_id: int, lesson_id: int) -> Course:
    """The lesson goes with its videos, quiz and resources; lessons that needed it first
    no longer do."""
    lesson = sellers_lesson(seller_id=seller_id, lesson_id=lesson_id)
    course = _lock_course(lesson.course_id)
    resources = list(lesson.resources.all())
    section_id = lesson.section_id
    lesson.delete()
    _renumber_lessons(section_id)
    _forget_files(resources)
    recompute_course_duration(course_id=course.pk)
    return course


# -- resources ---------------------------------------------------------------------------


def _forget_files(resources: list[Resource]) -> None:
    """Delete stored files once the rows are gone for good (after commit)."""
    stored = [(row.content.storage, row.content.name) for row in resources if row.content.name]

    def delete() -> None:
        for storage, name in stored:
            if name:
                storage.delete(name)

    if stored:
        transaction.on_commit(delete)


@transaction.atomic
def add_resource(
    *, seller_id: int, lesson_id: int, title: str, name: str, stream: IO[bytes], size: int
) -> Resource:
    """A downloadable file of the lesson, judged by its content (``core.uploads``) within the
    operator's size limit."""
    lesson = sellers_lesson(seller_id=seller_id, lesson_id=lesson_id)
    clean_title = " ".join(title.split()) or name.rsplit("/", 1)[-1][:MAX_TITLE]
    if len(clean_title) > MAX_TITLE:
        raise invalid(ERROR, "title", f"A title may be at most {MAX_TITLE} characters.")
    limit_mb = manifest.settings_for(current_tenant_row()).max_resource_mb
    if size <= 0:
        raise invalid(ERROR, "file", f"{name}: this file is empty.")
    if size > limit_mb * 1024 * 1024:
        raise CourseError(
            ERROR,
            f"{name}: a resource may be at most {limit_mb} MB.",
            details={"field": "file", "max_bytes": limit_mb * 1024 * 1024},
            kind=ErrorKind.TOO_LARGE,
        )
    content_type = checked_content_type(name, stream, verb="shared")
    last = lesson.resources.aggregate(last=Max("position"))["last"] or 0
    resource = Resource(
        lesson=lesson,
        title=clean_title,
        original_name=name[:255],
        content_type=content_type,
        size=size,
        position=last + 1,
    )
    resource.content.save(resource.key, File(stream), save=False)
    resource.save()
    return resource


@transaction.atomic
def remove_resource(*, seller_id: int, resource_id: int) -> Resource:
    resource = sellers_resource(seller_id=seller_id, resource_id=resource_id)
    lesson_id = resource.lesson_id
    resource.delete()
    rows = list(Resource.objects.filter(lesson_id=lesson_id).order_by("position", "id"))
    for position, row in enumerate(rows, start=1):
        row.position = position
    Resource.objects.bulk_update(rows, ["position"])
    _forget_files([resource])
    return resource
