"""Learner API: quizzes (mounted into ``api.router``, so under ``/api/v1/courses/``). A quiz's
rules and the student's standing, starting (or resuming) an attempt, its paper (nothing that
tells the answer until it is submitted), submitting, and the student's attempts. Another
student's attempt, a course the user is not enrolled on, and another marketplace answer 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from core.accounts.auth import user_auth
from core.accounts.principal import principal_of
from core.schemas import StrictSchema
from modules.courses.models import Attempt
from modules.courses.services import attempts

router = Router(tags=["courses"], auth=user_auth)


class QuizStateOut(Schema):
    lesson_id: int
    title: str
    pass_percent: int
    question_count: int
    time_limit_minutes: int | None
    attempt_limit: int | None
    attempts_used: int
    attempts_left: int | None
    retry_at: datetime | None
    open_attempt_id: int | None
    passed: bool
    best_percent: int | None


class QuizPaperChoiceOut(Schema):
    id: int
    text: str


class QuizPaperQuestionOut(Schema):
    id: int
    kind: str
    prompt: str
    points: int
    choices: list[QuizPaperChoiceOut]


class QuizFeedbackOut(Schema):
    question_id: int
    prompt: str
    is_right: bool
    explanation: str


class QuizAttemptOut(Schema):
    id: int
    lesson_id: int
    number: int
    started_at: datetime
    deadline_at: datetime | None
    submitted_at: datetime | None
    score_percent: int | None
    passed: bool
    paper: list[QuizPaperQuestionOut]  # only while the attempt is open
    feedback: list[QuizFeedbackOut] | None  # after submitting, as the quiz's policy allows


class QuizAttemptSummaryOut(Schema):
    id: int
    number: int
    started_at: datetime
    submitted_at: datetime | None
    score_percent: int | None
    passed: bool


class QuizAnswerIn(StrictSchema):
    question_id: int
    # single / true_false: one id; multiple: the ids ticked; ordering: every id, in order
    choice_ids: list[int] = Field(default_factory=list, max_length=50)
    text: str = Field("", max_length=attempts.MAX_SHORT_ANSWER)


class QuizSubmitIn(StrictSchema):
    answers: list[QuizAnswerIn] = Field(..., max_length=500)


def _user_id(request: HttpRequest) -> int:
    return int(principal_of(request).user.pk)


def attempt_dict(attempt: Attempt) -> dict[str, Any]:
    is_open = attempt.submitted_at is None
    return {
        "id": attempt.pk,
        "lesson_id": attempt.quiz.lesson_id,
        "number": attempt.number,
        "started_at": attempt.started_at,
        "deadline_at": attempt.deadline_at,
        "submitted_at": attempt.submitted_at,
        "score_percent": attempt.score_percent,
        "passed": attempt.passed,
        "paper": attempts.paper_of(attempt) if is_open else [],
        "feedback": None if is_open else attempts.feedback_of(attempt),
    }


@router.get(
    "/quizzes/{lesson_id}", response=QuizStateOut, summary="A quiz's rules and your standing"
)
def quiz_state(request: HttpRequest, lesson_id: int) -> dict[str, Any]:
    found = attempts.state(user_id=_user_id(request), lesson_id=lesson_id)
    return {
        "lesson_id": found.lesson.pk,
        "title": found.lesson.title,
        "pass_percent": found.quiz.pass_percent,
        "question_count": found.question_count,
        "time_limit_minutes": found.quiz.time_limit_minutes,
        "attempt_limit": found.quiz.attempt_limit,
        "attempts_used": found.attempts_used,
        "attempts_left": found.attempts_left,
        "retry_at": found.retry_at,
        "open_attempt_id": found.open_attempt.pk if found.open_attempt else None,
        "passed": found.passed,
        "best_percent": found.best_percent,
    }


@router.post(
    "/quizzes/{lesson_id}/attempts",
    response=QuizAttemptOut,
    summary="Start an attempt (or resume the open one): its paper",
)
def start_attempt(request: HttpRequest, lesson_id: int) -> dict[str, Any]:
    return attempt_dict(attempts.start(user_id=_user_id(request), lesson_id=lesson_id))


@router.get(
    "/quizzes/{lesson_id}/attempts",
    response=list[QuizAttemptSummaryOut],
    summary="Your attempts at a quiz, newest first",
)
def my_attempts(request: HttpRequest, lesson_id: int) -> list[Attempt]:
    return attempts.attempts_of(user_id=_user_id(request), lesson_id=lesson_id)


@router.get(
    "/quiz-attempts/{attempt_id}",
    response=QuizAttemptOut,
    summary="One of your attempts: the paper while open, the result and feedback after",
)
def get_attempt(request: HttpRequest, attempt_id: int) -> dict[str, Any]:
    return attempt_dict(attempts.attempt_of(user_id=_user_id(request), attempt_id=attempt_id))


@router.post(
    "/quiz-attempts/{attempt_id}/submit",
    response=QuizAttemptOut,
    summary="Submit your answers: graded on the server",
)
def submit_attempt(request: HttpRequest, attempt_id: int, payload: QuizSubmitIn) -> dict[str, Any]:
    answers = [
        attempts.Answer(question_id=a.question_id, choice_ids=a.choice_ids, text=a.text)
        for a in payload.answers
    ]
    done = attempts.submit(user_id=_user_id(request), attempt_id=attempt_id, answers=answers)
    return attempt_dict(done)
