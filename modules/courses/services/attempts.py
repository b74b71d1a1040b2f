"""Taking a quiz: starting (or resuming) an attempt, the paper a student sees, and grading on
the server when it is submitted.

An attempt's paper is drawn when it starts and never changes: ``questions_per_attempt``
questions picked at random from the bank (in the bank's order), options shuffled when the quiz
says so, ordering items always shuffled. The paper a student sees carries nothing that tells
the answer (no ``is_correct``, no accepted answers, no explanation).

Time limits: an attempt has a deadline; a submission that arrives later than the deadline plus
``GRACE`` is **refused** (``quiz_attempt_closed``) and the attempt is closed as submitted at
its deadline with no answers, scoring 0, so it counts against the attempt limit. The same
happens to an expired attempt when the student comes back to the quiz. (Grading late answers
"as if on time" would make the limit meaningless; the grace covers a slow network.)

Only a live enrolment takes quizzes; anyone else (another buyer, a refunded one) gets
"not found". Passing marks the quiz lesson complete and asks ``services.progress`` (when it
exists) to recompute the course's percentage."""

from __future__ import annotations

import importlib
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import ErrorKind
from modules.courses.errors import CourseError, CourseErrorCode, invalid, not_found, refused
from modules.courses.models import (
    Attempt,
    Enrolment,
    FeedbackPolicy,
    Lesson,
    LessonKind,
    LessonProgress,
    Question,
    QuestionKind,
    Quiz,
)
from modules.courses.services.access import can_open, lesson_state, live_enrolment

GRACE = timedelta(seconds=60)
MAX_SHORT_ANSWER = 200


@dataclass(frozen=True)
class PaperChoice:
    id: int
    text: str


@dataclass(frozen=True)
class PaperQuestion:
    """A question as the student sees it: nothing here tells the answer."""

    id: int
    kind: str
    prompt: str
    points: int
    choices: list[PaperChoice]


@dataclass(frozen=True)
class Answer:
    """What the student gave: option ids (single/true-false: one; multiple: a set; ordering:
    every item in their order) or the text of a short answer."""

    question_id: int
    choice_ids: list[int] = field(default_factory=list)
    text: str = ""


@dataclass(frozen=True)
class QuestionFeedback:
    question_id: int
    prompt: str
    is_right: bool
    explanation: str


@dataclass(frozen=True)
class QuizState:
    """What the start screen shows."""

    lesson: Lesson
    quiz: Quiz
    enrolment: Enrolment
    question_count: int  # on one paper
    attempts_used: int
    attempts_left: int | None  # None: unlimited
    retry_at: datetime | None  # cooldown: no new attempt before this
    open_attempt: Attempt | None
    passed: bool
    best_percent: int | None
    attempts: list[Attempt]


def normalise(text: str) -> str:
    """Short answers compare after this: accents stripped, case folded, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def _quiz_lesson(
    *, user_id: int, lesson_id: int, now: datetime | None = None
) -> tuple[Lesson, Quiz, Enrolment]:
    """The quiz lesson, its quiz and the student's live enrolment. Not enrolled (or no such
    quiz): not found. Enrolled but locked by drip or a prerequisite: refused, with the reason
    the course outline gives."""
    lesson = (
        Lesson.objects.select_related("quiz", "course")
        .filter(pk=lesson_id, kind=LessonKind.QUIZ)
        .first()
    )
    quiz = getattr(lesson, "quiz", None) if lesson is not None else None
    enrolment = (
        live_enrolment(user_id=user_id, course_id=lesson.course_id) if lesson is not None else None
    )
    # A preview quiz opens for everyone, but only an enrolment keeps attempts.
    if lesson is None or quiz is None or enrolment is None:
        raise not_found("No such quiz.")
    if not can_open(user_id=user_id, lesson=lesson, now=now):
        locked = lesson_state(enrolment=enrolment, lesson=lesson, now=now)
        raise refused(CourseErrorCode.LESSON_LOCKED, locked.reason or "This quiz is locked.")
    return lesson, quiz, enrolment


def _paper_size(quiz: Quiz, bank: int) -> int:
    if quiz.questions_per_attempt is None:
        return bank
    return min(quiz.questions_per_attempt, bank)


def _retry_at(quiz: Quiz, attempts: list[Attempt]) -> datetime | None:
    submitted = [a.submitted_at for a in attempts if a.submitted_at is not None]
    if not quiz.cooldown_minutes or not submitted:
        return None
    return max(submitted) + timedelta(minutes=quiz.cooldown_minutes)


def _close_expired(attempt: Attempt, now: datetime) -> bool:
    """An open attempt past its deadline and grace closes unanswered at its deadline."""
    if attempt.submitted_at is not None or attempt.deadline_at is None:
        return False
    if now <= attempt.deadline_at + GRACE:
        return False
    attempt.submitted_at = attempt.deadline_at
    attempt.answers = {}
    attempt.results = {str(entry["question"]): False for entry in attempt.paper}
    attempt.score_percent = 0
    attempt.passed = False
    attempt.save(update_fields=["submitted_at", "answers", "results", "score_percent", "passed"])
    return True


def state(*, user_id: int, lesson_id: int, now: datetime | None = None) -> QuizState:
    now = now or timezone.now()
    lesson, quiz, enrolment = _quiz_lesson(user_id=user_id, lesson_id=lesson_id, now=now)
    attempts = list(Attempt.objects.filter(quiz=quiz, enrolment=enrolment).order_by("number"))
    open_attempt = next((a for a in attempts if a.submitted_at is None), None)
    if open_attempt is not None and _close_expired(open_attempt, now):
        open_attempt = None
    used = len([a for a in attempts if a.submitted_at is not None])
    retry_at = _retry_at(quiz, attempts)
    scores = [a.score_percent for a in attempts if a.score_percent is not None]
    return QuizState(
        lesson=lesson,
        quiz=quiz,
        enrolment=enrolment,
        question_count=_paper_size(quiz, quiz.questions.count()),
        attempts_used=used,
        attempts_left=None if quiz.attempt_limit is None else max(quiz.attempt_limit - used, 0),
        retry_at=retry_at if retry_at is not None and retry_at > now else None,
        open_attempt=open_attempt,
        passed=any(a.passed for a in attempts),
        best_percent=max(scores) if scores else None,
        attempts=attempts,
    )


def _draw_paper(quiz: Quiz, rng: random.Random) -> list[dict[str, Any]]:
    bank = list(quiz.questions.prefetch_related("choices"))
    size = _paper_size(quiz, len(bank))
    chosen = {q.pk for q in rng.sample(bank, size)}
    paper: list[dict[str, Any]] = []
    for question in bank:
        if question.pk not in chosen:
            continue
        ids = [c.pk for c in question.choices.all()]
        if question.kind == QuestionKind.ORDERING and len(ids) > 1:
            shown = ids[:]
            while shown == ids:  # never show the answer as the starting order
                rng.shuffle(shown)
            ids = shown
        elif quiz.shuffle_choices and question.kind in (
            QuestionKind.SINGLE,
            QuestionKind.MULTIPLE,
        ):
            rng.shuffle(ids)
        paper.append({"question": question.pk, "choices": ids})
    return paper


def start(
    *,
    user_id: int,
    lesson_id: int,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Attempt:
    """The open attempt (resumed), or a new one when the limit and cooldown allow."""
    now = now or timezone.now()
    with transaction.atomic():
        _, quiz, enrolment = _quiz_lesson(user_id=user_id, lesson_id=lesson_id, now=now)
        # One writer per student and quiz: two tabs pressing "Start" get the same attempt.
        Enrolment.objects.select_for_update().filter(pk=enrolment.pk).first()
        found = state(user_id=user_id, lesson_id=lesson_id, now=now)
        if found.open_attempt is not None:
            return found.open_attempt
        if not quiz.questions.exists():
            raise refused(CourseErrorCode.INVALID_QUIZ, "This quiz has no questions yet.")
        if found.attempts_left == 0:
            raise refused(CourseErrorCode.ATTEMPT_LIMIT, "You have used every attempt.")
        if found.retry_at is not None:
            raise CourseError(
                CourseErrorCode.COOLDOWN,
                f"You can try again at {found.retry_at:%H:%M} UTC.",
                details={"retry_at": found.retry_at.isoformat()},
                kind=ErrorKind.CONFLICT,
            )
        deadline = (
            now + timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None
        )
        return Attempt.objects.create(
            quiz=quiz,
            enrolment=enrolment,
            number=len(found.attempts) + 1,
            started_at=now,
            deadline_at=deadline,
            paper=_draw_paper(quiz, rng or random.SystemRandom()),
        )


def attempt_of(*, user_id: int, attempt_id: int) -> Attempt:
    """The student's own attempt through a live enrolment, or not found."""
    attempt = (
        Attempt.objects.select_related("quiz__lesson", "enrolment")
        .filter(pk=attempt_id, enrolment__buyer_id=user_id, enrolment__revoked_at__isnull=True)
        .first()
    )
    if attempt is None:
        raise not_found("No such attempt.")
    return attempt


def paper_of(attempt: Attempt) -> list[PaperQuestion]:
    """The paper as shown: the drawn questions and options in their fixed order, and nothing
    about which answer is right. A question or option the seller removed since is left out."""
    ids = [int(entry["question"]) for entry in attempt.paper]
    questions = {q.pk: q for q in Question.objects.filter(pk__in=ids).prefetch_related("choices")}
    shown: list[PaperQuestion] = []
    for entry in attempt.paper:
        question = questions.get(int(entry["question"]))
        if question is None:
            continue
        texts = {c.pk: c.text for c in question.choices.all()}
        shown.append(
            PaperQuestion(
                id=question.pk,
                kind=question.kind,
                prompt=question.prompt,
                points=question.points,
                choices=[PaperChoice(i, texts[i]) for i in entry["choices"] if i in texts],
            )
        )
    return shown


def _is_right(question: Question, answer: Answer | None) -> bool:
    if answer is None:
        return False
    choices = list(question.choices.all())
    if question.kind == QuestionKind.SHORT:
        given = normalise(answer.text)
        return bool(given) and given in {normalise(a) for a in question.accepted_answers}
    if question.kind == QuestionKind.ORDERING:
        return answer.choice_ids == [c.pk for c in choices]
    right = {c.pk for c in choices if c.is_correct}
    given_set = set(answer.choice_ids)
    if question.kind in (QuestionKind.SINGLE, QuestionKind.TRUE_FALSE):
        return len(answer.choice_ids) == 1 and given_set == right
    return given_set == right and len(given_set) == len(answer.choice_ids)


def _check_answers(attempt: Attempt, answers: list[Answer]) -> dict[int, Answer]:
    on_paper = {int(entry["question"]): entry["choices"] for entry in attempt.paper}
    given: dict[int, Answer] = {}
    for answer in answers:
        field_name = f"answers.{answer.question_id}"
        if answer.question_id not in on_paper:
            raise invalid(CourseErrorCode.INVALID_ANSWER, field_name, "Not on your paper.")
        if answer.question_id in given:
            raise invalid(CourseErrorCode.INVALID_ANSWER, field_name, "Answered twice.")
        if any(i not in on_paper[answer.question_id] for i in answer.choice_ids):
            raise invalid(CourseErrorCode.INVALID_ANSWER, field_name, "Not one of the options.")
        if len(answer.text) > MAX_SHORT_ANSWER:
            raise invalid(CourseErrorCode.INVALID_ANSWER, field_name, "Keep the answer short.")
        given[answer.question_id] = answer
    return given


def _grade(attempt: Attempt, given: dict[int, Answer]) -> tuple[dict[str, bool], int]:
    ids = [int(entry["question"]) for entry in attempt.paper]
    questions = Question.objects.filter(pk__in=ids).prefetch_related("choices")
    results: dict[str, bool] = {}
    earned = total = 0
    for question in questions:
        is_right = _is_right(question, given.get(question.pk))
        results[str(question.pk)] = is_right
        total += question.points
        earned += question.points if is_right else 0
    # Floor, so that "passed" (exact: earned/total >= pass) and the percent shown agree.
    return results, (earned * 100 // total if total else 0)


def submit(
    *, user_id: int, attempt_id: int, answers: list[Answer], now: datetime | None = None
) -> Attempt:
    now = now or timezone.now()
    too_late = False
    with transaction.atomic():
        found = attempt_of(user_id=user_id, attempt_id=attempt_id)
        attempt = (
            Attempt.objects.select_for_update().select_related("quiz__lesson").get(pk=found.pk)
        )
        if attempt.submitted_at is not None:
            raise refused(CourseErrorCode.ATTEMPT_CLOSED, "This attempt is already submitted.")
        given = _check_answers(attempt, answers)
        too_late = _close_expired(attempt, now)
        if not too_late:
            results, percent = _grade(attempt, given)
            attempt.answers = {
                str(qid): {"choices": a.choice_ids, "text": a.text} for qid, a in given.items()
            }
            attempt.results = results
            attempt.score_percent = percent
            attempt.passed = percent >= attempt.quiz.pass_percent
            attempt.submitted_at = now
            attempt.save()
            if attempt.passed:
                _complete_lesson(attempt, now)
                _refresh_course(attempt.enrolment_id, now)
    if too_late:
        raise refused(
            CourseErrorCode.ATTEMPT_CLOSED,
            "Time was up: the attempt closed at its deadline and these answers were not graded.",
        )
    return attempt


def _complete_lesson(attempt: Attempt, now: datetime) -> None:
    progress, _ = LessonProgress.objects.get_or_create(
        enrolment_id=attempt.enrolment_id, lesson_id=attempt.quiz.lesson_id
    )
    if progress.completed_at is None:
        progress.completed_at = now
        progress.save(update_fields=["completed_at", "updated_at"])


def _refresh_course(enrolment_id: int, now: datetime) -> None:
    """The course's percent (and completion, and its certificate) is ``services.progress``'s
    work, another part of the course module: imported lazily (it may import this module) and
    skipped while it is not there."""
    try:
        progress = importlib.import_module("modules.courses.services.progress")
    except ImportError:
        return
    refresh = getattr(progress, "refresh_course", None)
    if callable(refresh):
        refresh(enrolment_id=enrolment_id, now=now)


def feedback_of(attempt: Attempt) -> list[QuestionFeedback] | None:
    """Per question right or wrong with the explanation, as the quiz's policy allows; None
    when the student sees only the score (or not yet: after_pass before a pass)."""
    if attempt.submitted_at is None:
        return None
    policy = attempt.quiz.feedback
    if policy == FeedbackPolicy.NEVER:
        return None
    if (
        policy == FeedbackPolicy.AFTER_PASS
        and not Attempt.objects.filter(
            quiz_id=attempt.quiz_id, enrolment_id=attempt.enrolment_id, passed=True
        ).exists()
    ):
        return None
    ids = [int(entry["question"]) for entry in attempt.paper]
    questions = {q.pk: q for q in Question.objects.filter(pk__in=ids)}
    return [
        QuestionFeedback(
            question_id=qid,
            prompt=questions[qid].prompt,
            is_right=bool(attempt.results.get(str(qid))),
            explanation=questions[qid].explanation,
        )
        for qid in ids
        if qid in questions
    ]


def attempts_of(*, user_id: int, lesson_id: int) -> list[Attempt]:
    _, quiz, enrolment = _quiz_lesson(user_id=user_id, lesson_id=lesson_id)
    return list(Attempt.objects.filter(quiz=quiz, enrolment=enrolment).order_by("-number")[:100])
