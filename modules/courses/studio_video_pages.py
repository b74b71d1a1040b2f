"""Seller studio: a video lesson's uploads (included by the course builder's lesson page as
``courses/studio/_video.html``, context ``lesson``). The fragment shows the current video,
the uploads being processed with a progress bar (it polls itself every 2 s while one is
waiting or processing), failures with their reason and a "Try again" button, and the upload
form (htmx; a plain form without JavaScript). Mounted behind the manifest's permissions, so
these views only read the seller; another seller's lesson or video is 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core.errors import DomainError, ErrorKind
from core.sellers.auth import authorised_seller
from modules.courses.models import Lesson
from modules.courses.services import video as videos

FRAGMENT = "courses/studio/_video.html"


def _lesson(request: HttpRequest, lesson_id: int) -> Lesson:
    seller = authorised_seller(request)
    lesson = Lesson.objects.filter(pk=lesson_id, course__product__seller_id=seller.pk).first()
    if lesson is None:
        raise Http404("No such lesson.")
    return lesson


def _fragment(
    request: HttpRequest, lesson: Lesson, *, error: str = "", status: int = 200
) -> HttpResponse:
    response = render(request, FRAGMENT, {"lesson": lesson, "video_error": error}, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def _back(request: HttpRequest, lesson: Lesson) -> HttpResponse:
    """After a plain (non-htmx) form: the lesson's page, or this part's own status page."""
    try:
        return HttpResponseRedirect(reverse("courses_studio:lesson_edit", args=[lesson.pk]))
    except NoReverseMatch:
        return HttpResponseRedirect(reverse("courses_studio:video_status", args=[lesson.pk]))


def _refusal(request: HttpRequest) -> int:
    """htmx swaps only successes: the fragment with the reason is a 200 to it, 422 else."""
    return 200 if request.headers.get("HX-Request") else 422


@never_cache
@require_safe
def status(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """The fragment (htmx polls it while a video is processing)."""
    return _fragment(request, _lesson(request, lesson_id))


@require_POST
def upload(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _lesson(request, lesson_id)
    file = request.FILES.get("file")
    if file is None:
        return _fragment(
            request, lesson, error="Choose a video file to upload.", status=_refusal(request)
        )
    try:
        videos.upload_video(
            seller_id=authorised_seller(request).pk,
            lesson_id=lesson.pk,
            name=file.name or "upload",
            stream=file,
            size=file.size or 0,
        )
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        return _fragment(request, lesson, error=error.message, status=_refusal(request))
    if request.headers.get("HX-Request"):
        return _fragment(request, lesson)
    return _back(request, lesson)


@require_POST
def retry(request: HttpRequest, video_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    try:
        video = videos.retry_video(seller_id=seller.pk, video_id=video_id)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        found = Lesson.objects.filter(
            videos__pk=video_id, course__product__seller_id=seller.pk
        ).first()
        if found is None:
            raise Http404(error.message) from None
        return _fragment(request, found, error=error.message, status=_refusal(request))
    lesson = _lesson(request, video.lesson_id)
    if request.headers.get("HX-Request"):
        return _fragment(request, lesson)
    return _back(request, lesson)
