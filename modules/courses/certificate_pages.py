"""The learner's certificate and Q&A pages, and the public verification page.

- ``/certificates/<code>/`` (the site's root, ``root_urls.py``): anyone may check a code;
  valid, revoked (with the date) or 404 "No certificate with this code". Codes match in any
  case, with or without dashes.
- ``/courses/certificates/``: the student's certificates; ``.../<id>/download/`` their own PDF
  (another student's, or a revoked one, is 404).
- ``/courses/lessons/<id>/questions/``: a lesson's Q&A threads, the whole page or (for htmx)
  the ``courses/_qa.html`` partial the learning page includes; asking and replying post here
  and answer with the partial again.
- ``/courses/announcements/<course id>/``: the course's announcements for its students."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, ErrorKind
from core.storage import private_file_url
from modules.courses.services import certificates, engagement


def _user_id(request: HttpRequest) -> int | None:
    return _signed_in(request) if request.user.is_authenticated else None


def _signed_in(request: HttpRequest) -> int:
    user_id = request.user.pk
    assert user_id is not None  # behind login_required
    return int(user_id)


# --- public verification -----------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def verify(request: HttpRequest, code: str) -> HttpResponse:
    found = certificates.verify(code)
    context = {"found": found, "code": code[:64], "brand": certificates.current_brand()}
    response = render(
        request, "courses/certificate_verify.html", context, status=200 if found else 404
    )
    response["X-Robots-Tag"] = "noindex"
    return response


# --- the student's certificates ----------------------------------------------------------------


@require_GET
@never_cache
@login_required
def mine(request: HttpRequest) -> HttpResponse:
    rows = certificates.certificates_of_student(user_id=_signed_in(request))
    return render(request, "courses/certificate_list.html", {"certificates": rows})


@require_GET
@never_cache
@login_required
def download(request: HttpRequest, certificate_id: int) -> HttpResponseBase:
    try:
        certificate = certificates.certificate_of_student(
            user_id=_signed_in(request), certificate_id=certificate_id
        )
    except DomainError as error:
        raise Http404(error.message) from None
    name = f"certificate-{certificate.code}.pdf"
    signed = private_file_url(certificate.pdf, download_name=name, content_type="application/pdf")
    if signed is not None:
        return HttpResponseRedirect(signed)
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=name,
        content_type="application/pdf",
    )


# --- Q&A ---------------------------------------------------------------------------------------


def _qa_response(
    request: HttpRequest,
    lesson_id: int,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        found = engagement.lesson_threads(user_id=_user_id(request), lesson_id=lesson_id)
    except DomainError as error:
        raise Http404(error.message) from None
    context: dict[str, Any] = {
        "lesson": found.lesson,
        "qa": found,
        "errors": errors or {},
        "form": form or {},
    }
    if request.headers.get("HX-Request"):
        return render(request, "courses/_qa.html", context, status=status)
    return render(request, "courses/certificate_qa_page.html", context, status=status)


def _field(error: DomainError) -> str:
    details = error.details if isinstance(error.details, dict) else {}
    return str(details.get("field") or "general")


@require_GET
@never_cache
def lesson_questions(request: HttpRequest, lesson_id: int) -> HttpResponse:
    return _qa_response(request, lesson_id)


@require_POST
@login_required
def ask(request: HttpRequest, lesson_id: int) -> HttpResponse:
    title = request.POST.get("title", "")[:1000]
    body = request.POST.get("body", "")[:20_000]
    try:
        engagement.ask(user_id=_signed_in(request), lesson_id=lesson_id, title=title, body=body)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        return _qa_response(
            request,
            lesson_id,
            errors={_field(error): error.message},
            form={"title": title, "body": body},
            status=422 if not request.headers.get("HX-Request") else 200,
        )
    if not request.headers.get("HX-Request"):
        return HttpResponseRedirect(reverse("courses:lesson_questions", args=[lesson_id]))
    return _qa_response(request, lesson_id)


@require_POST
@login_required
def reply(request: HttpRequest, question_id: int) -> HttpResponse:
    body = request.POST.get("body", "")[:20_000]
    try:
        created = engagement.reply(user_id=_signed_in(request), question_id=question_id, body=body)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        lesson_id = engagement.lesson_of_question(question_id)
        return _qa_response(
            request,
            lesson_id,
            errors={"general": error.message},
            status=422 if not request.headers.get("HX-Request") else 200,
        )
    lesson_id = engagement.lesson_of_question(created.question_id)
    if not request.headers.get("HX-Request"):
        url = reverse("courses:lesson_questions", args=[lesson_id])
        return HttpResponseRedirect(f"{url}#q{question_id}")
    return _qa_response(request, lesson_id)


# --- announcements -----------------------------------------------------------------------------


@require_GET
@never_cache
@login_required
def announcements(request: HttpRequest, course_id: int) -> HttpResponse:
    try:
        course, rows = engagement.announcements_for_student(
            user_id=_signed_in(request), course_id=course_id
        )
    except DomainError as error:
        raise Http404(error.message) from None
    return render(
        request, "courses/certificate_announcements.html", {"course": course, "announcements": rows}
    )
