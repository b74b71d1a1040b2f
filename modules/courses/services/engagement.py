"""A course's conversation and its seller's view of the students.

Q&A: each lesson has threads. A student with a live enrolment asks and replies; the course's
seller (the owner or a teammate) replies as the instructor. A preview lesson's threads can be
read by anyone, the others only by enrolled students and the instructor. The asker is told of
each reply by someone else (``courses.reply``), the seller of each new question
(``courses.question``).

Announcements go to every live enrolment of the course (not refunded ones) with one
notification insert for all of them (``courses.announcement``).

The student list: every enrolment of a seller's course with its progress, last activity,
completion and certificate, and the progress distribution for the chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q
from django.urls import reverse
from django.utils import timezone

from core.accounts.models import User
from core.notifications.services.notify import notify
from core.sellers.models import Seller, TeamMember, TeamPermission
from modules.courses.errors import CourseErrorCode, invalid, not_found, refused
from modules.courses.models import (
    Announcement,
    Certificate,
    Course,
    Enrolment,
    Lesson,
    LessonQuestion,
    LessonReply,
)
from modules.courses.services.access import live_enrolment

QUESTION_ASKED = "courses.question"
REPLY_POSTED = "courses.reply"
ANNOUNCEMENT = "courses.announcement"
TITLE_MAX = 200
BODY_MAX = 5000
THREADS_SHOWN = 50
PROGRESS_BUCKETS = ("0-24 %", "25-49 %", "50-74 %", "75-99 %", "100 %")


def display_name(user: User) -> str:
    return user.full_name.strip() or user.email.split("@", 1)[0]


def _clean(value: str, field_name: str, limit: int, label: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise invalid(CourseErrorCode.INVALID_MESSAGE, field_name, f"Write {label}.")
    if len(cleaned) > limit:
        raise invalid(CourseErrorCode.INVALID_MESSAGE, field_name, f"At most {limit} characters.")
    return cleaned


def _is(condition: Q) -> ExpressionWrapper[Q]:
    """A condition as a boolean column to order by (False first)."""
    return ExpressionWrapper(condition, output_field=BooleanField())


# --- who is who --------------------------------------------------------------------------------


def is_instructor(*, user_id: int | None, seller_id: int) -> bool:
    """The seller's owner, or a teammate allowed to manage products."""
    if user_id is None:
        return False
    if Seller.objects.filter(pk=seller_id, owner_id=user_id).exists():
        return True
    permissions = (
        TeamMember.objects.filter(seller_id=seller_id, user_id=user_id)
        .values_list("permissions", flat=True)
        .first()
    )
    return permissions is not None and TeamPermission.MANAGE_PRODUCTS in permissions


def instructor_ids(seller_id: int) -> list[int]:
    owner = list(Seller.objects.filter(pk=seller_id).values_list("owner_id", flat=True))
    team = [
        user_id
        for user_id, permissions in TeamMember.objects.filter(seller_id=seller_id).values_list(
            "user_id", "permissions"
        )
        if TeamPermission.MANAGE_PRODUCTS in (permissions or [])
    ]
    return owner + team


def _lesson(lesson_id: int) -> Lesson:
    lesson = Lesson.objects.select_related("course__product").filter(pk=lesson_id).first()
    if lesson is None:
        raise not_found("No such lesson.")
    return lesson


def lesson_of_question(question_id: int) -> int:
    found = (
        LessonQuestion.objects.filter(pk=question_id).values_list("lesson_id", flat=True).first()
    )
    if found is None:
        raise not_found("No such question.")
    return int(found)


def _role(user_id: int | None, lesson: Lesson) -> str | None:
    """ "instructor", "student" (a live enrolment) or None."""
    if is_instructor(user_id=user_id, seller_id=lesson.course.product.seller_id):
        return "instructor"
    if live_enrolment(user_id=user_id, course_id=lesson.course_id) is not None:
        return "student"
    return None


# --- reading threads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyView:
    id: int
    author_name: str
    body: str
    is_instructor: bool
    created_at: datetime


@dataclass(frozen=True)
class ThreadView:
    id: int
    lesson_id: int
    author_name: str
    is_mine: bool
    title: str
    body: str
    created_at: datetime
    answered_at: datetime | None
    replies: list[ReplyView] = field(default_factory=list)


@dataclass(frozen=True)
class LessonThreads:
    lesson: Lesson
    role: str | None  # "instructor", "student" or None (reading a preview lesson)
    threads: list[ThreadView]

    @property
    def can_post(self) -> bool:
        return self.role is not None


def _thread_view(question: LessonQuestion, user_id: int | None) -> ThreadView:
    return ThreadView(
        id=question.pk,
        lesson_id=question.lesson_id,
        author_name=display_name(question.author),
        is_mine=question.author_id == user_id,
        title=question.title,
        body=question.body,
        created_at=question.created_at,
        answered_at=question.answered_at,
        replies=[
            ReplyView(
                id=reply.pk,
                author_name=display_name(reply.author),
                body=reply.body,
                is_instructor=reply.is_instructor,
                created_at=reply.created_at,
            )
            for reply in question.replies.all()
        ],
    )


def lesson_threads(*, user_id: int | None, lesson_id: int) -> LessonThreads:
    """The lesson's threads, newest first, for someone who may read them: anyone on a preview
    lesson, else an enrolled student or the instructor (anyone else: not found)."""
    lesson = _lesson(lesson_id)
    role = _role(user_id, lesson)
    if role is None and not lesson.is_preview:
        raise not_found("No such lesson.")
    questions = (
        LessonQuestion.objects.filter(lesson=lesson)
        .select_related("author")
        .prefetch_related(
            Prefetch("replies", queryset=LessonReply.objects.select_related("author"))
        )[:THREADS_SHOWN]
    )
    return LessonThreads(lesson, role, [_thread_view(q, user_id) for q in questions])


# --- writing -----------------------------------------------------------------------------------


def ask(
    *, user_id: int, lesson_id: int, title: str, body: str, now: datetime | None = None
) -> LessonQuestion:
    """An enrolled student's question under a lesson; the seller's team is told."""
    lesson = _lesson(lesson_id)
    role = _role(user_id, lesson)
    if role is None:
        if lesson.is_preview:
            raise refused(CourseErrorCode.NOT_ENROLLED, "Enrol on the course to ask questions.")
        raise not_found("No such lesson.")
    title = _clean(title, "title", TITLE_MAX, "a short title")
    body = _clean(body, "body", BODY_MAX, "your question")
    with transaction.atomic():
        question = LessonQuestion.objects.create(
            lesson=lesson,
            author_id=user_id,
            title=title,
            body=body,
            created_at=now or timezone.now(),
        )
        seller_id = lesson.course.product.seller_id
        notify(
            user_ids=[uid for uid in instructor_ids(seller_id) if uid != user_id],
            type_key=QUESTION_ASKED,
            title=f"New question on {lesson.title}: {title}",
            body=body[:500],
            url=reverse("courses_studio:questions", args=[lesson.course_id]),
            data={"question_id": question.pk, "lesson_id": lesson.pk},
            dedupe_key=f"courses.question:{question.pk}",
        )
    return question


def reply(*, user_id: int, question_id: int, body: str, now: datetime | None = None) -> LessonReply:
    """A reply in a thread: the instructor's (the seller's team) or an enrolled student's.
    The asker is told when someone else replies."""
    question = (
        LessonQuestion.objects.select_related("lesson__course__product")
        .filter(pk=question_id)
        .first()
    )
    if question is None:
        raise not_found("No such question.")
    role = _role(user_id, question.lesson)
    if role is None:
        raise not_found("No such question.")
    return _write_reply(question, user_id, body, role == "instructor", now or timezone.now())


def reply_as_seller(
    *, seller_id: int, user_id: int, question_id: int, body: str, now: datetime | None = None
) -> LessonReply:
    """The seller API's reply: a question under one of the seller's own courses only."""
    question = (
        LessonQuestion.objects.select_related("lesson__course__product")
        .filter(pk=question_id, lesson__course__product__seller_id=seller_id)
        .first()
    )
    if question is None:
        raise not_found("No such question.")
    return _write_reply(question, user_id, body, True, now or timezone.now())


def _write_reply(
    question: LessonQuestion, user_id: int, body: str, as_instructor: bool, now: datetime
) -> LessonReply:
    body = _clean(body, "body", BODY_MAX, "a reply")
    with transaction.atomic():
        created = LessonReply.objects.create(
            question=question,
            author_id=user_id,
            body=body,
            is_instructor=as_instructor,
            created_at=now,
        )
        if as_instructor and question.answered_at is None:
            LessonQuestion.objects.filter(pk=question.pk, answered_at__isnull=True).update(
                answered_at=now
            )
        if question.author_id != user_id:
            notify(
                user_ids=[question.author_id],
                type_key=REPLY_POSTED,
                title=f"New reply to your question: {question.title}",
                body=body[:500],
                url=reverse("courses:lesson_questions", args=[question.lesson_id]),
                data={"question_id": question.pk, "reply_id": created.pk},
                dedupe_key=f"courses.reply:{created.pk}",
            )
    return created


# --- the seller's side -------------------------------------------------------------------------


def seller_course(*, seller_id: int, course_id: int) -> Course:
    course = (
        Course.objects.select_related("product")
        .filter(pk=course_id, product__seller_id=seller_id)
        .first()
    )
    if course is None:
        raise not_found()
    return course


def seller_courses(*, seller_id: int) -> list[Course]:
    return list(
        Course.objects.select_related("product")
        .filter(product__seller_id=seller_id)
        .order_by("product__name", "pk")
    )


def seller_threads(
    *, seller_id: int, course_id: int, unanswered_only: bool = False
) -> list[ThreadView]:
    """The course's threads, unanswered first, then newest."""
    course = seller_course(seller_id=seller_id, course_id=course_id)
    questions = LessonQuestion.objects.filter(lesson__course=course)
    if unanswered_only:
        questions = questions.filter(answered_at__isnull=True)
    ordered = (
        questions.select_related("author")
        .prefetch_related(
            Prefetch("replies", queryset=LessonReply.objects.select_related("author"))
        )
        .annotate(
            is_answered=ExpressionWrapper(Q(answered_at__isnull=False), output_field=BooleanField())
        )
        .order_by("is_answered", "-created_at", "-pk")[:THREADS_SHOWN]
    )
    return [_thread_view(question, None) for question in ordered]


def announce(
    *,
    seller_id: int,
    author_id: int,
    course_id: int,
    title: str,
    body: str,
    now: datetime | None = None,
) -> tuple[Announcement, int]:
    """The announcement and how many students were told: every live enrolment of the
    course (refunded ones are not), in one notification insert."""
    course = seller_course(seller_id=seller_id, course_id=course_id)
    title = _clean(title, "title", TITLE_MAX, "a title")
    body = _clean(body, "body", BODY_MAX, "the announcement")
    with transaction.atomic():
        announcement = Announcement.objects.create(
            course=course,
            author_id=author_id,
            title=title,
            body=body,
            sent_at=now or timezone.now(),
        )
        students = Enrolment.objects.filter(course=course, revoked_at__isnull=True).values_list(
            "buyer_id", flat=True
        )
        told = notify(
            user_ids=list(students),
            type_key=ANNOUNCEMENT,
            title=f"{course.product.name}: {title}"[:200],
            body=body[:1000],
            url=reverse("courses:announcements", args=[course.pk]),
            data={"announcement_id": announcement.pk, "course_id": course.pk},
            dedupe_key=f"courses.announcement:{announcement.pk}",
        )
    return announcement, told


def announcements_of_course(*, seller_id: int, course_id: int) -> list[Announcement]:
    course = seller_course(seller_id=seller_id, course_id=course_id)
    return list(course.announcements.all()[:50])


def announcements_for_student(*, user_id: int, course_id: int) -> tuple[Course, list[Announcement]]:
    """A student's view of the course's announcements (a live enrolment only)."""
    if live_enrolment(user_id=user_id, course_id=course_id) is None:
        raise not_found()
    course = Course.objects.select_related("product").get(pk=course_id)
    return course, list(course.announcements.all()[:50])


@dataclass(frozen=True)
class StudentRow:
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


def students(*, seller_id: int, course_id: int) -> list[StudentRow]:
    """Every enrolment of the seller's course, live ones first, most recent first (one
    query)."""
    course = seller_course(seller_id=seller_id, course_id=course_id)
    enrolments = (
        Enrolment.objects.filter(course=course)
        .select_related("buyer", "certificate")
        .annotate(
            is_refunded=ExpressionWrapper(Q(revoked_at__isnull=False), output_field=BooleanField())
        )
        .order_by("is_refunded", "-enrolled_at", "-pk")
    )
    rows = []
    for enrolment in enrolments:
        certificate: Certificate | None = getattr(enrolment, "certificate", None)
        rows.append(
            StudentRow(
                enrolment_id=enrolment.pk,
                name=display_name(enrolment.buyer),
                email=enrolment.buyer.email,
                enrolled_at=enrolment.enrolled_at,
                progress_percent=enrolment.progress_percent,
                last_active_at=enrolment.last_active_at,
                completed_at=enrolment.completed_at,
                is_live=enrolment.revoked_at is None,
                certificate_id=certificate.pk if certificate else None,
                certificate_code=certificate.code if certificate else "",
                certificate_revoked_at=certificate.revoked_at if certificate else None,
            )
        )
    return rows


def progress_distribution(rows: list[StudentRow]) -> list[int]:
    """Live students per progress bucket (``PROGRESS_BUCKETS``)."""
    counts = [0] * len(PROGRESS_BUCKETS)
    for row in rows:
        if not row.is_live:
            continue
        percent = row.progress_percent
        index = 4 if percent >= 100 else min(3, percent // 25)
        counts[index] += 1
    return counts
