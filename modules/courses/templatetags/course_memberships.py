"""``{% closed_enrolments user %}`` on "My courses": the places a membership gave that closed
(it ended, was refunded, or the seller took the course out of it) and are not open again,
each with why, so a member is never left wondering where a course went. A course bought and
refunded simply leaves the list, as before. One query."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Exists, OuterRef

from modules.courses.models import Enrolment

register = template.Library()
SHOWN = 50


@register.inclusion_tag("courses/_closed_enrolments.html")
def closed_enrolments(user: Any) -> dict[str, Any]:
    if not getattr(user, "is_authenticated", False):
        return {"closed": []}
    live = Enrolment.objects.filter(
        buyer_id=user.pk, course_id=OuterRef("course_id"), revoked_at__isnull=True
    )
    closed = list(
        Enrolment.objects.filter(buyer_id=user.pk, revoked_at__isnull=False, via_pass__isnull=False)
        .exclude(Exists(live))
        .select_related("course__product", "via_pass__product")
        .order_by("course_id", "-revoked_at", "-id")
        .distinct("course_id")[:SHOWN]
    )
    closed.sort(key=lambda enrolment: enrolment.revoked_at or enrolment.enrolled_at, reverse=True)
    return {"closed": closed}
