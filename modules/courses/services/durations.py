"""A course's length: the sum of its lessons' ``duration_seconds`` (a video's length once it
is ready, a text lesson's reading time). Any service that changes a lesson's duration, adds
or removes a lesson calls ``recompute_course_duration`` in its transaction."""

from __future__ import annotations

from django.db.models import Sum
from django.db.models.functions import Coalesce

from modules.courses.models import Course, Lesson


def recompute_course_duration(*, course_id: int) -> int:
    """``Course.duration_seconds`` set to the sum of its lessons'; returns it."""
    total = int(
        Lesson.objects.filter(course_id=course_id).aggregate(
            total=Coalesce(Sum("duration_seconds"), 0)
        )["total"]
    )
    Course.objects.filter(pk=course_id).update(duration_seconds=total)
    return total
