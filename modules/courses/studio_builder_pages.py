"""Seller studio: the seller's courses and the course builder, mounted at ``/studio/courses/``
behind the manifest's permissions (so these views only read the seller).

The builder page shows a course's details and its curriculum. Sections and lessons are
dragged into place (SortableJS posts the whole order over htmx) or moved one place with the
up/down buttons, which are plain forms and work without JavaScript. Each lesson has its
edit page (content, preview, required, minimum time, drip, prerequisite, resources; the
video upload and the quiz editor come from their own parts when they are there). Every
change goes through ``services.builder``; a refusal re-renders the page with the error
beside its field and what was typed kept (200 to htmx, which swaps only successes; 422
otherwise). Another seller's course, section, lesson or resource is 404."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError, ErrorKind
from core.sellers.auth import authorised_seller
from modules.courses.errors import CourseErrorCode, invalid
from modules.courses.models import Course, Lesson, LessonKind, Section
from modules.courses.services import access, builder
from modules.courses.services.curriculum import clock, spoken

VIDEO_FRAGMENT = "courses/studio/_video.html"
DETAIL_FIELDS = ("level", "language", "outcomes")
LESSON_FIELDS = ("title", "body", "min_seconds", "drip_days", "drip_date", "prerequisite_id")


def _field(error: DomainError) -> str:
    details = error.details if isinstance(error.details, dict) else {}
    return str(details.get("field") or "general")


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


@cache
def _video_fragment() -> str | None:
    """The video part's upload fragment, once that part is installed."""
    try:
        get_template(VIDEO_FRAGMENT)
    except TemplateDoesNotExist:
        return None
    return VIDEO_FRAGMENT


def _quiz_editor(lesson: Lesson) -> str | None:
    try:
        return reverse("courses_studio:quiz", args=[lesson.pk])
    except NoReverseMatch:
        return None


# -- the list ----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    products = builder.sellers_course_products(seller.pk)
    courses = {
        row.product_id: row
        for row in Course.objects.filter(product__in=products).prefetch_related("sections")
    }
    lesson_counts: dict[int, int] = dict(
        Lesson.objects.filter(course__in=list(courses.values()))
        .values("course_id")
        .annotate(count=Count("id"))
        .values_list("course_id", "count")
    )
    rows = []
    for product in products:
        course = courses.get(product.pk)
        rows.append(
            {
                "product": product,
                "course": course,
                "sections": len(course.sections.all()) if course else 0,
                "lessons": lesson_counts.get(course.pk, 0) if course else 0,
            }
        )
    return render(request, "courses/studio/home.html", {"seller": seller, "rows": rows})


# -- the builder -------------------------------------------------------------------------


def _details_form(course: Course | None) -> dict[str, Any]:
    if course is None:
        return {"level": "", "language": "en", "outcomes": "", "issues_certificate": True}
    return {
        "level": course.level,
        "language": course.language,
        "outcomes": course.outcomes,
        "issues_certificate": course.issues_certificate,
    }


def _curriculum(course: Course) -> list[dict[str, Any]]:
    sections = list(Section.objects.filter(course=course).order_by("position", "id"))
    lessons = Lesson.objects.filter(course=course).order_by("position", "id")
    by_section: dict[int, list[Lesson]] = {row.pk: [] for row in sections}
    titles: dict[int, str] = {}
    for lesson in lessons:
        by_section[lesson.section_id].append(lesson)
        titles[lesson.pk] = lesson.title
    rows = []
    for index, section in enumerate(sections):
        rows.append(
            {
                "section": section,
                "lessons": [
                    {
                        "lesson": lesson,
                        "prerequisite": titles.get(lesson.prerequisite_id or 0),
                        "duration": clock(lesson.duration_seconds),
                    }
                    for lesson in by_section[section.pk]
                ],
                "is_first": index == 0,
                "is_last": index == len(sections) - 1,
            }
        )
    return rows


def _builder_context(request: HttpRequest, product_id: int, **extra: Any) -> dict[str, Any]:
    seller = authorised_seller(request)
    try:
        product = builder.course_product(seller_id=seller.pk, product_id=product_id)
    except DomainError as error:
        raise Http404(error.message) from None
    course = Course.objects.filter(product=product).first()
    context: dict[str, Any] = {
        "seller": seller,
        "product": product,
        "course": course,
        "levels": [level for level in builder.LEVELS if level],
        "kinds": LessonKind.choices,
        "details_form": _details_form(course),
        "details_errors": {},
        "errors": {},  # {"<form key>": {"<field>": "message"}}
        "forms": {},  # {"<form key>": {"<field>": "typed"}}
        "order_error": "",
        "curriculum": _curriculum(course) if course else [],
    }
    context.update(extra)
    errors, forms = context["errors"], context["forms"]
    context["new_section_errors"] = errors.get("new-section", {})
    context["new_section_form"] = forms.get("new-section", {})
    for row in context["curriculum"]:
        pk = row["section"].pk
        row["rename_errors"] = errors.get(f"{pk}-section", {})
        row["rename_form"] = forms.get(f"{pk}-section", {})
        row["add_errors"] = errors.get(f"new-lesson-{pk}", {})
        row["add_form"] = forms.get(f"new-lesson-{pk}", {})
    if course is not None:
        context["duration_label"] = spoken(course.duration_seconds)
    return context


def _builder_url(product_id: int) -> str:
    return reverse("courses_studio:builder", args=[product_id])


@never_cache
@require_http_methods(["GET", "HEAD"])
def builder_page(request: HttpRequest, product_id: int) -> HttpResponse:
    return render(request, "courses/studio/builder.html", _builder_context(request, product_id))


def _answer(
    request: HttpRequest, product_id: int, *, error: DomainError | None = None, **extra: Any
) -> HttpResponse:
    """After a builder action: the page again (htmx picks the part it swaps) or a redirect."""
    if error is not None and error.kind == ErrorKind.NOT_FOUND:
        raise Http404(error.message)
    if error is None and not _is_htmx(request):
        return HttpResponseRedirect(_builder_url(product_id))
    context = _builder_context(request, product_id, **extra)
    status = 422 if error is not None and not _is_htmx(request) else 200
    return render(request, "courses/studio/builder.html", context, status=status)


@require_POST
def save_details(request: HttpRequest, product_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    form: dict[str, Any] = {name: request.POST.get(name, "") for name in DETAIL_FIELDS}
    form["issues_certificate"] = request.POST.get("issues_certificate") == "on"
    try:
        builder.set_details(
            seller_id=seller.pk, product_id=product_id, data=builder.CourseDetails(**form)
        )
    except DomainError as error:
        return _answer(
            request,
            product_id,
            error=error,
            details_form=form,
            details_errors={_field(error): error.message},
        )
    messages.success(request, "Course details saved.")
    return _answer(request, product_id)


def _course(request: HttpRequest, course_id: int) -> Course:
    try:
        return builder.sellers_course(seller_id=authorised_seller(request).pk, course_id=course_id)
    except DomainError as error:
        raise Http404(error.message) from None


def _section(request: HttpRequest, section_id: int) -> Section:
    try:
        found = builder.sellers_section(
            seller_id=authorised_seller(request).pk, section_id=section_id
        )
    except DomainError as error:
        raise Http404(error.message) from None
    return Section.objects.select_related("course").get(pk=found.pk)


def _lesson(request: HttpRequest, lesson_id: int) -> Lesson:
    try:
        found = builder.sellers_lesson(seller_id=authorised_seller(request).pk, lesson_id=lesson_id)
    except DomainError as error:
        raise Http404(error.message) from None
    return Lesson.objects.select_related("course__product", "section").get(pk=found.pk)


def _failed(
    request: HttpRequest, product_id: int, key: str, error: DomainError, form: dict[str, Any]
) -> HttpResponse:
    return _answer(
        request,
        product_id,
        error=error,
        errors={key: {_field(error): error.message}},
        forms={key: form},
    )


@require_POST
def add_section(request: HttpRequest, course_id: int) -> HttpResponse:
    course = _course(request, course_id)
    form = {"title": request.POST.get("title", "")}
    try:
        builder.add_section(seller_id=authorised_seller(request).pk, course_id=course_id, **form)
    except DomainError as error:
        return _failed(request, course.product_id, "new-section", error, form)
    return _answer(request, course.product_id)


@require_POST
def rename_section(request: HttpRequest, section_id: int) -> HttpResponse:
    section = _section(request, section_id)
    form = {"title": request.POST.get("title", "")}
    try:
        builder.rename_section(
            seller_id=authorised_seller(request).pk, section_id=section_id, **form
        )
    except DomainError as error:
        return _failed(request, section.course.product_id, f"{section_id}-section", error, form)
    return _answer(request, section.course.product_id)


@require_POST
def remove_section(request: HttpRequest, section_id: int) -> HttpResponse:
    section = _section(request, section_id)
    builder.remove_section(seller_id=authorised_seller(request).pk, section_id=section_id)
    messages.success(request, f"Removed the section {section.title}.")
    return _answer(request, section.course.product_id)


@require_POST
def step_section(request: HttpRequest, section_id: int) -> HttpResponse:
    section = _section(request, section_id)
    try:
        builder.step_section(
            seller_id=authorised_seller(request).pk,
            section_id=section_id,
            up=request.POST.get("direction") == "up",
        )
    except DomainError as error:
        return _answer(request, section.course.product_id, error=error, order_error=error.message)
    return _answer(request, section.course.product_id)


@require_POST
def add_lesson(request: HttpRequest, section_id: int) -> HttpResponse:
    section = _section(request, section_id)
    form = {"title": request.POST.get("title", ""), "kind": request.POST.get("kind", "")}
    try:
        builder.add_lesson(seller_id=authorised_seller(request).pk, section_id=section_id, **form)
    except DomainError as error:
        return _failed(request, section.course.product_id, f"new-lesson-{section_id}", error, form)
    return _answer(request, section.course.product_id)


@require_POST
def step_lesson(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _lesson(request, lesson_id)
    try:
        builder.step_lesson(
            seller_id=authorised_seller(request).pk,
            lesson_id=lesson_id,
            up=request.POST.get("direction") == "up",
        )
    except DomainError as error:
        return _answer(request, lesson.course.product_id, error=error, order_error=error.message)
    return _answer(request, lesson.course.product_id)


@require_POST
def remove_lesson(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _lesson(request, lesson_id)
    builder.remove_lesson(seller_id=authorised_seller(request).pk, lesson_id=lesson_id)
    messages.success(request, f"Removed the lesson {lesson.title}.")
    return _answer(request, lesson.course.product_id)


def _layout(items: list[str]) -> list[tuple[int, list[int]]]:
    """``["s3", "l7", "l8", "s4", "l9"]`` (the page's order, top to bottom) as a layout."""
    layout: list[tuple[int, list[int]]] = []
    for item in items:
        kind, number = item[:1], item[1:]
        if not number.isdigit() or kind not in ("s", "l") or (kind == "l" and not layout):
            raise invalid(CourseErrorCode.INVALID_COURSE, "order", "The new order was garbled.")
        if kind == "s":
            layout.append((int(number), []))
        else:
            layout[-1][1].append(int(number))
    return layout


@require_POST
def reorder(request: HttpRequest, course_id: int) -> HttpResponse:
    """The whole order from the drag and drop (every section and lesson once)."""
    course = _course(request, course_id)
    try:
        builder.reorder(
            seller_id=authorised_seller(request).pk,
            course_id=course_id,
            layout=_layout(request.POST.getlist("item")[:10_000]),
        )
    except DomainError as error:
        return _answer(request, course.product_id, error=error, order_error=error.message)
    return _answer(request, course.product_id)


# -- one lesson --------------------------------------------------------------------------


def _lesson_form(lesson: Lesson) -> dict[str, Any]:
    return {
        "title": lesson.title,
        "body": lesson.body,
        "is_preview": lesson.is_preview,
        "is_required": lesson.is_required,
        "min_seconds": str(lesson.min_seconds),
        "drip_days": "" if lesson.drip_days is None else str(lesson.drip_days),
        "drip_date": lesson.drip_date.isoformat() if lesson.drip_date else "",
        "prerequisite_id": str(lesson.prerequisite_id or ""),
    }


def _lesson_context(
    request: HttpRequest, lesson: Lesson, form: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    ordered = builder.course_order(lesson.course_id)
    earlier = []
    for row in ordered:
        if row.pk == lesson.pk:
            break
        earlier.append(row)
    context: dict[str, Any] = {
        "seller": authorised_seller(request),
        "lesson": lesson,
        "course": lesson.course,
        "product": lesson.course.product,
        "form": form or _lesson_form(lesson),
        "errors": {},
        "resource_form": {},
        "resource_errors": {},
        "earlier": earlier,
        "resources": list(lesson.resources.all()),
        "video_fragment": _video_fragment() if lesson.kind == LessonKind.VIDEO else None,
        "quiz_editor": _quiz_editor(lesson) if lesson.kind == LessonKind.QUIZ else None,
        "builder_url": _builder_url(lesson.course.product_id),
        "marketplace_zone": access.marketplace_zone(),
    }
    context.update(extra)
    return context


def _whole_number(value: str, field: str, *, empty: int | None) -> int | None:
    value = value.strip()
    if not value:
        return empty
    if not value.isdigit():
        raise invalid(CourseErrorCode.INVALID_COURSE, field, "Give a whole number.")
    return int(value)


def _date(value: str, field: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(
            CourseErrorCode.INVALID_COURSE, field, "Give a date such as 2027-01-31."
        ) from None


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def lesson_edit(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _lesson(request, lesson_id)
    if request.method != "POST":
        return render(request, "courses/studio/lesson_edit.html", _lesson_context(request, lesson))
    form: dict[str, Any] = {name: request.POST.get(name, "") for name in LESSON_FIELDS}
    form["is_preview"] = request.POST.get("is_preview") == "on"
    form["is_required"] = request.POST.get("is_required") == "on"
    try:
        data = builder.LessonData(
            title=form["title"],
            body=form["body"],
            is_preview=form["is_preview"],
            is_required=form["is_required"],
            min_seconds=_whole_number(form["min_seconds"], "min_seconds", empty=0) or 0,
            drip_days=_whole_number(form["drip_days"], "drip_days", empty=None),
            drip_date=_date(form["drip_date"], "drip_date"),
            prerequisite_id=_whole_number(form["prerequisite_id"], "prerequisite_id", empty=None),
        )
        builder.update_lesson(
            seller_id=authorised_seller(request).pk, lesson_id=lesson_id, data=data
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        context = _lesson_context(request, lesson, form, errors={_field(error): error.message})
        return render(request, "courses/studio/lesson_edit.html", context, status=422)
    messages.success(request, f"Saved {form['title'].strip()}.")
    return HttpResponseRedirect(reverse("courses_studio:lesson_edit", args=[lesson_id]))


@require_POST
def add_resource(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _lesson(request, lesson_id)
    form = {"title": request.POST.get("title", "")}
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise invalid(CourseErrorCode.INVALID_COURSE, "file", "Choose the file to upload.")
        builder.add_resource(
            seller_id=authorised_seller(request).pk,
            lesson_id=lesson_id,
            title=form["title"],
            name=upload.name or "upload",
            stream=upload,
            size=upload.size or 0,
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        context = _lesson_context(
            request,
            lesson,
            resource_form=form,
            resource_errors={_field(error): error.message},
        )
        return render(request, "courses/studio/lesson_edit.html", context, status=422)
    messages.success(request, "Resource added.")
    return HttpResponseRedirect(reverse("courses_studio:lesson_edit", args=[lesson_id]))


@require_POST
def remove_resource(request: HttpRequest, resource_id: int) -> HttpResponse:
    try:
        removed = builder.remove_resource(
            seller_id=authorised_seller(request).pk, resource_id=resource_id
        )
    except DomainError as error:
        raise Http404(error.message) from None
    messages.success(request, f"Removed {removed.title}.")
    return HttpResponseRedirect(reverse("courses_studio:lesson_edit", args=[removed.lesson_id]))
