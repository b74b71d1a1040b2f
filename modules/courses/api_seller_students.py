"""Seller API (mounted into ``api_seller.router`` at ``/api/v1/courses/seller/``, behind the
manifest's permissions): a course's students with their progress and certificates, its
questions (reply as the instructor), its announcements (send to every live enrolment), and
revoking a certificate with a reason. Another seller's course, question or certificate is
not found."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from core.accounts.principal import principal_of
from core.schemas import StrictSchema
from core.sellers.auth import authorised_seller
from modules.courses.api_certificates import (
    AnnouncementOut,
    CertificateOut,
    ReplyIn,
    ReplyOut,
    ThreadOut,
    certificate_dict,
)
from modules.courses.services import certificates, engagement

router = Router(tags=["courses"])


class StudentOut(Schema):
    enrolment_id: int
    name: str
    email: str
    enrolled_at: datetime
    progress_percent: int
    last_active_at: datetime | None
    completed_at: datetime | None
    is_live: bool
    certificate_id: int | None
    certificate_code: str
    certificate_revoked_at: datetime | None


class StudentsOut(Schema):
    course_id: int
    students: list[StudentOut]
    progress_buckets: list[str]
    progress_distribution: list[int]


class AnnouncementIn(StrictSchema):
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=5000)


class AnnouncementSentOut(Schema):
    announcement: AnnouncementOut
    students_told: int


class RevokeIn(StrictSchema):
    reason: str = Field(..., max_length=300)


@router.get(
    "/courses/{course_id}/students",
    response=StudentsOut,
    summary="A course's students: progress, last activity, completion, certificate",
)
def students(request: HttpRequest, course_id: int) -> dict[str, Any]:
    seller = authorised_seller(request)
    rows = engagement.students(seller_id=seller.pk, course_id=course_id)
    return {
        "course_id": course_id,
        "students": rows,
        "progress_buckets": list(engagement.PROGRESS_BUCKETS),
        "progress_distribution": engagement.progress_distribution(rows),
    }


@router.get(
    "/courses/{course_id}/questions",
    response=list[ThreadOut],
    summary="A course's lesson questions, unanswered first",
)
def questions(request: HttpRequest, course_id: int, unanswered: bool = False) -> list[Any]:
    seller = authorised_seller(request)
    return engagement.seller_threads(
        seller_id=seller.pk, course_id=course_id, unanswered_only=unanswered
    )


@router.post(
    "/questions/{question_id}/replies",
    response={201: ReplyOut},
    summary="Reply to a student's question as the instructor",
)
def reply(request: HttpRequest, question_id: int, payload: ReplyIn) -> Status[Any]:
    seller = authorised_seller(request)
    user = principal_of(request).user
    created = engagement.reply_as_seller(
        seller_id=seller.pk, user_id=user.pk, question_id=question_id, body=payload.body
    )
    return Status(
        201,
        {
            "id": created.pk,
            "author_name": engagement.display_name(created.author),
            "body": created.body,
            "is_instructor": True,
            "created_at": created.created_at,
        },
    )


@router.get(
    "/courses/{course_id}/announcements",
    response=list[AnnouncementOut],
    summary="A course's announcements, newest first",
)
def announcements(request: HttpRequest, course_id: int) -> list[Any]:
    seller = authorised_seller(request)
    return engagement.announcements_of_course(seller_id=seller.pk, course_id=course_id)


@router.post(
    "/courses/{course_id}/announcements",
    response={201: AnnouncementSentOut},
    summary="Send an announcement to every current student of the course",
)
def announce(request: HttpRequest, course_id: int, payload: AnnouncementIn) -> Status[Any]:
    seller = authorised_seller(request)
    announcement, told = engagement.announce(
        seller_id=seller.pk,
        author_id=principal_of(request).user.pk,
        course_id=course_id,
        title=payload.title,
        body=payload.body,
    )
    return Status(201, {"announcement": announcement, "students_told": told})


@router.post(
    "/certificates/{certificate_id}/revoke",
    response=CertificateOut,
    summary="Revoke a certificate of your course, with a reason",
)
def revoke(request: HttpRequest, certificate_id: int, payload: RevokeIn) -> dict[str, Any]:
    seller = authorised_seller(request)
    revoked = certificates.revoke(
        seller_id=seller.pk, certificate_id=certificate_id, reason=payload.reason
    )
    return certificate_dict(revoked)
