"""A course on the storefront's product page (``/p/<slug>/``, the manifest's
``product_panel``): the curriculum (sections, lesson titles and lengths, free previews to
open from here), the total duration, what you will learn, level and language. A buyer
already enrolled sees "Go to course" (to where they left off) instead of the buy box.

Nothing behind the enrolment is read here: only the outline (``services.curriculum``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language_info

from core.registry.panels import ProductPanel
from modules.courses import storefront_pass
from modules.courses.manifest import COURSE_PASS
from modules.courses.models import Course
from modules.courses.services.access import live_enrolment
from modules.courses.services.curriculum import Outline, outline_of


def learn_url(course_id: int, lesson_id: int) -> str:
    """The learning page of one lesson (``courses:learn``)."""
    try:
        return reverse("courses:learn", args=[course_id, lesson_id])
    except NoReverseMatch:  # the learning pages' part is not mounted (yet)
        return f"/courses/{course_id}/learn/{lesson_id}/"


def language_name(code: str) -> str:
    try:
        return str(get_language_info(code.split("-")[0].lower())["name"])
    except KeyError:
        return code


def _first_lesson_id(outline: Outline) -> int | None:
    for section in outline.sections:
        for lesson in section.lessons:
            return lesson.id
    return None


def panel(request: HttpRequest, product: Any) -> ProductPanel | None:
    """The course's sections of the page (None for a course product not set up yet); a
    membership's page is ``storefront_pass``."""
    if product.product_type == COURSE_PASS:
        return storefront_pass.panel(request, product)
    course = Course.objects.filter(product_id=product.pk).select_related("product").first()
    if course is None:
        return None
    outline = outline_of(course)
    user_id = request.user.pk if request.user.is_authenticated else None
    enrolment = live_enrolment(user_id=user_id, course_id=course.pk)
    sections = [
        {
            "section": section,
            "lessons": [
                {
                    "lesson": lesson,
                    "preview_url": learn_url(course.pk, lesson.id) if lesson.is_preview else "",
                }
                for lesson in section.lessons
            ],
        }
        for section in outline.sections
    ]
    context = {
        "product": product,
        "outline": outline,
        "sections": sections,
        "language": language_name(outline.language),
        "enrolment": enrolment,
    }
    buy_box = None
    if enrolment is not None:
        resume = enrolment.last_lesson_id or _first_lesson_id(outline)
        context["go_url"] = learn_url(course.pk, resume) if resume else reverse("courses:mine")
        buy_box = render_to_string("courses/panel_enrolled.html", context, request=request)
    return ProductPanel(
        buy_box=buy_box,
        sections=render_to_string("courses/panel.html", context, request=request),
    )
