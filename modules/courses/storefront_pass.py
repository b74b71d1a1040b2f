"""A membership on the storefront's product page: the courses it includes (title, lessons,
length, a link to each) and a buy box offering its plans (core's add-to-cart form with a plan
choice). A subscriber sees "Go to my courses" instead."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from core.commerce.forms import plan_choices
from core.registry.panels import ProductPanel
from modules.courses.models import CoursePass, Enrolment
from modules.courses.services.passes import included_courses


def panel(request: HttpRequest, product: Any) -> ProductPanel | None:
    course_pass = CoursePass.objects.filter(product_id=product.pk).select_related("product").first()
    if course_pass is None:  # not set up yet: nothing to sell
        return ProductPanel(buy_box=render_to_string("courses/pass_unready.html"), sections=None)
    courses = list(
        included_courses(course_pass)
        .select_related("product")
        .annotate(lesson_count=Count("lessons"))
        .order_by("product__name", "pk")
    )
    user_id = request.user.pk if request.user.is_authenticated else None
    is_member = (
        user_id is not None
        and Enrolment.objects.filter(
            via_pass=course_pass, buyer_id=user_id, revoked_at__isnull=True
        ).exists()
    )
    plans = plan_choices(product.pk)
    context = {
        # Only plans are offered: a membership is a subscription, never a one-off purchase.
        "product": {"id": product.pk, "name": product.name, "slug": product.slug},
        "course_pass": course_pass,
        "courses": courses,
        "plans": plans,
        "is_member": is_member,
        "mine_url": reverse("courses:mine"),
    }
    return ProductPanel(
        buy_box=render_to_string("courses/pass_buy.html", context, request=request),
        sections=render_to_string("courses/pass_panel.html", context, request=request),
    )
