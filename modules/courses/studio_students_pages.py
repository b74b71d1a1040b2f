"""The seller's students in the studio (``/studio/courses/students/``, behind the manifest's
permissions, so these views only read the seller): the courses; one course's students with
their progress (a distribution chart and a table, CSV export), the announcements (a form
and the list), the lesson questions to answer, and revoking a certificate with a reason.
Every change goes through the same services as the API; another seller's course is 404."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core import safe_csv
from core.charts import Chart, Series
from core.errors import DomainError, ErrorKind
from core.sellers.auth import authorised_seller
from modules.courses.models import Certificate
from modules.courses.services import certificates, engagement


def _user_id(request: HttpRequest) -> int:
    user_id = request.user.pk
    assert user_id is not None  # the studio guard signed the seller in
    return int(user_id)


def _field(error: DomainError) -> str:
    details = error.details if isinstance(error.details, dict) else {}
    return str(details.get("field") or "general")


@never_cache
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    courses = engagement.seller_courses(seller_id=seller.pk)
    return render(request, "courses/studio/students.html", {"seller": seller, "courses": courses})


def _chart(rows: list[engagement.StudentRow]) -> Chart:
    return Chart(
        id="course-progress",
        title="Students by progress",
        kind="bar",
        labels=list(engagement.PROGRESS_BUCKETS),
        series=[Series("Students", engagement.progress_distribution(rows))],
        description="How far the course's current students have got.",
        empty_message="No students yet.",
    )


def _course_context(
    request: HttpRequest,
    course_id: int,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> dict[str, Any]:
    seller = authorised_seller(request)
    try:
        course = engagement.seller_course(seller_id=seller.pk, course_id=course_id)
    except DomainError as error:
        raise Http404(error.message) from None
    rows = engagement.students(seller_id=seller.pk, course_id=course.pk)
    live = [row for row in rows if row.is_live]
    return {
        "seller": seller,
        "course": course,
        "rows": rows,
        "live_count": len(live),
        "completed_count": sum(1 for row in live if row.completed_at),
        "chart": _chart(rows),
        "announcements": engagement.announcements_of_course(
            seller_id=seller.pk, course_id=course.pk
        ),
        "threads": engagement.seller_threads(seller_id=seller.pk, course_id=course.pk),
        "errors": errors or {},
        "form": form or {},
    }


@never_cache
@require_http_methods(["GET", "HEAD"])
def students(request: HttpRequest, course_id: int) -> HttpResponse:
    return render(request, "courses/studio/students.html", _course_context(request, course_id))


@never_cache
@require_http_methods(["GET", "HEAD"])
def students_csv(request: HttpRequest, course_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    try:
        rows = engagement.students(seller_id=seller.pk, course_id=course_id)
    except DomainError as error:
        raise Http404(error.message) from None
    out = io.StringIO()
    writer = safe_csv.writer(out)
    writer.writerow(
        [
            "name",
            "email",
            "enrolled_at",
            "progress_percent",
            "last_active_at",
            "completed_at",
            "status",
            "certificate_code",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                row.name,
                row.email,
                row.enrolled_at.isoformat(),
                row.progress_percent,
                row.last_active_at.isoformat() if row.last_active_at else "",
                row.completed_at.isoformat() if row.completed_at else "",
                "enrolled" if row.is_live else "refunded",
                row.certificate_code + (" (revoked)" if row.certificate_revoked_at else ""),
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="students-course-{course_id}.csv"'
    return response


@require_POST
def announce(request: HttpRequest, course_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    title = request.POST.get("title", "")[:1000]
    body = request.POST.get("body", "")[:20_000]
    try:
        _, told = engagement.announce(
            seller_id=seller.pk,
            author_id=_user_id(request),
            course_id=course_id,
            title=title,
            body=body,
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        context = _course_context(
            request,
            course_id,
            errors={_field(error): error.message},
            form={"title": title, "body": body},
        )
        return render(request, "courses/studio/students.html", context, status=422)
    messages.success(request, f"Announcement sent to {told} student{'s' if told != 1 else ''}.")
    return HttpResponseRedirect(reverse("courses_studio:students", args=[course_id]) + "#announce")


@require_POST
def reply(request: HttpRequest, question_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    body = request.POST.get("body", "")[:20_000]
    try:
        created = engagement.reply_as_seller(
            seller_id=seller.pk, user_id=_user_id(request), question_id=question_id, body=body
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        messages.error(request, error.message)
        course_id = int(request.POST.get("course_id", "0") or 0)
        return HttpResponseRedirect(reverse("courses_studio:students", args=[course_id]))
    course_id = created.question.lesson.course_id
    messages.success(request, "Reply posted.")
    url = reverse("courses_studio:students", args=[course_id])
    return HttpResponseRedirect(f"{url}#q{question_id}")


@require_POST
def revoke_certificate(request: HttpRequest, certificate_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    reason = request.POST.get("reason", "")[:1000]
    course_id = (
        Certificate.objects.filter(
            pk=certificate_id, enrolment__course__product__seller_id=seller.pk
        )
        .values_list("enrolment__course_id", flat=True)
        .first()
    )
    if course_id is None:
        raise Http404("No such certificate.")
    try:
        revoked = certificates.revoke(
            seller_id=seller.pk, certificate_id=certificate_id, reason=reason
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        messages.error(request, error.message)
    else:
        messages.success(request, f"Certificate {revoked.code} revoked.")
    return HttpResponseRedirect(reverse("courses_studio:students", args=[course_id]))
