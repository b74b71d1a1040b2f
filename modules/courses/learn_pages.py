"""The learner's pages: "My courses" (every live enrolment, latest activity first, each with
its progress and a button back to where the student left off) and the learning page of one
lesson (the player, a text lesson's body with its time-on-page reporter and "mark complete",
or the way to the quiz; the curriculum sidebar with each lesson's state; the lesson's
resources). A course the user is not (or no longer) on is 404, except its preview lessons; a
locked lesson shows why and when it opens. Where the module is off, the registry's guard
answers 404 first."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, ErrorKind
from core.storage import private_file_url
from modules.courses.manifest import manifest
from modules.courses.models import Enrolment, Lesson, LessonKind, LessonProgress, Resource, Video
from modules.courses.services import access, progress

PROGRESS_URL = "/api/v1/courses/progress"
READING_EVERY = 15  # seconds between a text lesson page's time-on-page reports
PLAYER_TEMPLATE = "courses/_player.html"
QA_TEMPLATE = "courses/_qa.html"


def _user_id(request: HttpRequest) -> int:
    user_id = request.user.pk  # login_required ran first
    if user_id is None:
        raise Http404("Sign in first.")
    return int(user_id)


def _has_template(name: str) -> bool:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def quiz_url(lesson_id: int) -> str:
    """The quiz page (``courses:quiz``), or its path where that page is not mounted yet."""
    try:
        return reverse("courses:quiz", args=[lesson_id])
    except NoReverseMatch:
        return f"/courses/quiz/{lesson_id}/"


def learn_url(course_id: int, lesson_id: int) -> str:
    return reverse("courses:learn", args=[course_id, lesson_id])


@require_GET
@never_cache
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """Cards of the live enrolments; "Continue" opens the last lesson (or the first)."""
    enrolments = list(
        Enrolment.objects.filter(buyer_id=_user_id(request), revoked_at__isnull=True)
        .select_related("course__product__seller", "last_lesson", "via_pass__product")
        .order_by("-last_active_at", "-enrolled_at", "-id")
    )
    starting = {e.course_id for e in enrolments if e.last_lesson_id is None}
    first_lessons: dict[int, int] = {}
    if starting:  # one query for every course not started yet
        for course_id, first_id in (
            Lesson.objects.filter(course_id__in=starting)
            .order_by("course_id", "section__position", "section_id", "position", "id")
            .distinct("course_id")
            .values_list("course_id", "id")
        ):
            first_lessons[course_id] = first_id
    cards = []
    for enrolment in enrolments:
        resume_id = enrolment.last_lesson_id or first_lessons.get(enrolment.course_id)
        cards.append(
            {
                "enrolment": enrolment,
                "title": enrolment.course.product.name,
                "teacher": enrolment.course.product.seller.business_name,
                "percent": enrolment.progress_percent,
                "continue_url": learn_url(enrolment.course_id, resume_id) if resume_id else "",
                "last_lesson": enrolment.last_lesson,
                "is_started": enrolment.last_lesson_id is not None,
            }
        )
    return render(request, "courses/mine.html", {"module": manifest, "cards": cards})


def _lesson_of(course_id: int, lesson_id: int) -> Lesson:
    lesson = (
        Lesson.objects.select_related("course__product", "section")
        .filter(pk=lesson_id, course_id=course_id)
        .first()
    )
    if lesson is None:
        raise Http404("No such lesson.")
    return lesson


def _learning(request: HttpRequest, course_id: int, lesson_id: int) -> dict[str, Any]:
    """Everything the page and its partials show; 404 unless the user is on the course (or
    the lesson is a preview)."""
    lesson = _lesson_of(course_id, lesson_id)
    enrolment = access.live_enrolment(user_id=_user_id(request), course_id=course_id)
    if enrolment is None and not lesson.is_preview:
        raise Http404("No such lesson among your courses.")
    lessons = access.course_lessons(course_id)
    states = access.outline(course_id=course_id, enrolment=enrolment, lessons=lessons)
    sections: list[dict[str, Any]] = []
    for item in lessons:
        if not sections or sections[-1]["section"].pk != item.section_id:
            sections.append({"section": item.section, "lessons": []})
        sections[-1]["lessons"].append(
            {"lesson": item, "state": states[item.pk], "url": learn_url(course_id, item.pk)}
        )
    position = [item.pk for item in lessons].index(lesson.pk)
    state = states[lesson.pk]
    record = (
        LessonProgress.objects.filter(enrolment=enrolment, lesson=lesson).first()
        if enrolment is not None
        else None
    )
    return {
        "module": manifest,
        "course": lesson.course,
        "title": lesson.course.product.name,
        "lesson": lesson,
        "enrolment": enrolment,
        "state": state,
        "record": record,
        "sections": sections,
        "done_count": sum(1 for s in states.values() if s.state == access.DONE),
        "lesson_count": len(lessons),
        "previous_url": learn_url(course_id, lessons[position - 1].pk) if position else "",
        "next_url": (
            learn_url(course_id, lessons[position + 1].pk) if position + 1 < len(lessons) else ""
        ),
    }


@require_GET
@never_cache
@login_required
def learn(request: HttpRequest, course_id: int, lesson_id: int) -> HttpResponse:
    return _learn_page(request, course_id, lesson_id)


def _learn_page(request: HttpRequest, course_id: int, lesson_id: int) -> HttpResponse:
    context = _learning(request, course_id, lesson_id)
    lesson: Lesson = context["lesson"]
    context["marketplace_zone"] = access.marketplace_zone()  # dates open at its midnight
    if context["state"].is_open:
        if lesson.kind == LessonKind.VIDEO:
            context["video"] = Video.objects.filter(
                lesson=lesson, is_current=True, status="ready"
            ).first()
            context["has_player"] = _has_template(PLAYER_TEMPLATE)
            context["progress_url"] = PROGRESS_URL if context["enrolment"] else ""
            context["start_at"] = context["record"].position_seconds if context["record"] else 0
        elif lesson.kind == LessonKind.QUIZ:
            context["quiz_url"] = quiz_url(lesson.pk)
        context["reading_every"] = READING_EVERY
        context["resources"] = list(lesson.resources.all())
        context["has_qa"] = context["enrolment"] is not None and _has_template(QA_TEMPLATE)
    return render(request, "courses/learn.html", context)


@require_POST
@login_required
def complete(request: HttpRequest, course_id: int, lesson_id: int) -> HttpResponse:
    """ "Mark complete" on a text lesson (htmx swaps the panel and the sidebar; without htmx,
    back to the page)."""
    _lesson_of(course_id, lesson_id)
    try:
        progress.mark_complete(user_id=_user_id(request), lesson_id=lesson_id)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from error
        return HttpResponse(error.message, status=409, content_type="text/plain")
    if request.headers.get("HX-Request") != "true":
        return HttpResponseRedirect(learn_url(course_id, lesson_id))
    # htmx picks the lesson's panel and the sidebar out of the page (hx-select, -oob).
    return _learn_page(request, course_id, lesson_id)


@require_POST
@login_required
def reading(request: HttpRequest, course_id: int, lesson_id: int) -> HttpResponse:
    """The text lesson's page was open another ``READING_EVERY`` seconds (posted by htmx on
    a timer: the CSP allows no inline script). 204; a refusal is 404/409 and counts
    nothing."""
    _lesson_of(course_id, lesson_id)
    try:
        progress.report_reading(
            user_id=_user_id(request), lesson_id=lesson_id, seconds=READING_EVERY
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from error
        return HttpResponse(error.message, status=409, content_type="text/plain")
    return HttpResponse(status=204)


@require_GET
@never_cache
@login_required
def resource(request: HttpRequest, course_id: int, key: str) -> HttpResponseBase:
    """A lesson's downloadable file, for whoever may open the lesson."""
    item = (
        Resource.objects.select_related("lesson")
        .filter(key=key, lesson__course_id=course_id)
        .first()
    )
    if item is None or not access.can_open(user_id=_user_id(request), lesson=item.lesson):
        raise Http404("No such file.")
    url = private_file_url(
        item.content, download_name=item.original_name, content_type=item.content_type
    )
    if url is not None:
        return HttpResponseRedirect(url)
    return FileResponse(
        item.content.open("rb"),
        as_attachment=True,
        filename=item.original_name,
        content_type=item.content_type,
    )
