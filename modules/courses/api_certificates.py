"""Learner API (mounted into ``api.router`` at ``/api/v1/courses/``): the student's
certificates, a lesson's Q&A threads (read, ask, reply) and a course's announcements.
Another student's certificate, a lesson the caller may not open and a course they are not on
are not found; errors come back in the module's envelope (``CourseError``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema, Status

from core.accounts.auth import user_auth
from core.accounts.principal import principal_of
from core.schemas import StrictSchema
from modules.courses.models import Certificate
from modules.courses.services import certificates, engagement

router = Router(tags=["courses"])


class CertificateOut(Schema):
    id: int
    code: str
    student_name: str
    course_title: str
    issued_at: datetime
    revoked_at: datetime | None
    download_url: str | None
    verification_url: str


class ReplyOut(Schema):
    id: int
    author_name: str
    body: str
    is_instructor: bool
    created_at: datetime


class ThreadOut(Schema):
    id: int
    lesson_id: int
    author_name: str
    is_mine: bool
    title: str
    body: str
    created_at: datetime
    answered_at: datetime | None
    replies: list[ReplyOut]


class LessonThreadsOut(Schema):
    lesson_id: int
    role: str | None
    can_post: bool
    threads: list[ThreadOut]


class QuestionIn(StrictSchema):
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=5000)


class ReplyIn(StrictSchema):
    body: str = Field(..., max_length=5000)


class AnnouncementOut(Schema):
    id: int
    title: str
    body: str
    sent_at: datetime


def certificate_dict(certificate: Certificate) -> dict[str, Any]:
    is_live = certificate.revoked_at is None
    return {
        "id": certificate.pk,
        "code": certificate.code,
        "student_name": certificate.student_name,
        "course_title": certificate.course_title,
        "issued_at": certificate.issued_at,
        "revoked_at": certificate.revoked_at,
        "download_url": reverse("courses:certificate_download", args=[certificate.pk])
        if is_live
        else None,
        "verification_url": certificates.verification_url(certificate.code),
    }


@router.get(
    "/certificates", response=list[CertificateOut], auth=user_auth, summary="Your certificates"
)
def my_certificates(request: HttpRequest) -> list[dict[str, Any]]:
    user = principal_of(request).user
    return [certificate_dict(row) for row in certificates.certificates_of_student(user_id=user.pk)]


@router.get(
    "/lessons/{lesson_id}/questions",
    response=LessonThreadsOut,
    auth=user_auth,
    summary="A lesson's questions and their replies",
)
def lesson_questions(request: HttpRequest, lesson_id: int) -> dict[str, Any]:
    user = principal_of(request).user
    found = engagement.lesson_threads(user_id=user.pk, lesson_id=lesson_id)
    return {
        "lesson_id": found.lesson.pk,
        "role": found.role,
        "can_post": found.can_post,
        "threads": found.threads,
    }


@router.post(
    "/lessons/{lesson_id}/questions",
    response={201: ThreadOut},
    auth=user_auth,
    summary="Ask a question under a lesson (enrolled students)",
)
def ask(request: HttpRequest, lesson_id: int, payload: QuestionIn) -> Status[Any]:
    user = principal_of(request).user
    question = engagement.ask(
        user_id=user.pk, lesson_id=lesson_id, title=payload.title, body=payload.body
    )
    found = engagement.lesson_threads(user_id=user.pk, lesson_id=lesson_id)
    return Status(201, next(thread for thread in found.threads if thread.id == question.pk))


@router.post(
    "/questions/{question_id}/replies",
    response={201: ReplyOut},
    auth=user_auth,
    summary="Reply in a lesson's thread (enrolled students; the seller's team as instructor)",
)
def reply(request: HttpRequest, question_id: int, payload: ReplyIn) -> Status[Any]:
    user = principal_of(request).user
    created = engagement.reply(user_id=user.pk, question_id=question_id, body=payload.body)
    return Status(
        201,
        {
            "id": created.pk,
            "author_name": engagement.display_name(user),
            "body": created.body,
            "is_instructor": created.is_instructor,
            "created_at": created.created_at,
        },
    )


@router.get(
    "/announcements/{course_id}",
    response=list[AnnouncementOut],
    auth=user_auth,
    summary="A course's announcements (its students)",
)
def announcements(request: HttpRequest, course_id: int) -> list[Any]:
    user = principal_of(request).user
    _, rows = engagement.announcements_for_student(user_id=user.pk, course_id=course_id)
    return rows
