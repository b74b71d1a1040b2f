"""The learner's pages: "My courses" (every live enrolment, newest activity first)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from modules.courses.models import Enrolment


@require_GET
@never_cache
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    enrolments = (
        Enrolment.objects.filter(buyer_id=request.user.pk, revoked_at__isnull=True)
        .select_related("course__product")
        .order_by("-last_active_at", "-enrolled_at")
    )
    return render(request, "courses/mine.html", {"enrolments": enrolments})
