"""Quiz authoring, for the course's own seller only: a quiz lesson's settings and its bank of
questions (single choice, multiple choice, true/false, short answer, ordering), and the item
analytics of its attempts. Another seller's quiz answers "not found" like one that does not
exist. Every refusal names the field to blame (``details["field"]``) so the studio puts it
beside the input and the API returns it in the one error envelope."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Max

from modules.courses.errors import CourseErrorCode, invalid, not_found
from modules.courses.models import (
    Choice,
    FeedbackPolicy,
    Lesson,
    LessonKind,
    Question,
    QuestionKind,
    Quiz,
)

ERROR = CourseErrorCode.INVALID_QUIZ
MAX_QUESTIONS = 200  # per quiz
MAX_CHOICES = 12  # per question
MAX_ACCEPTED = 20  # accepted short answers per question
TRUE_FALSE = ("True", "False")


@dataclass(frozen=True)
class QuizSettings:
    pass_percent: int = 70
    attempt_limit: int | None = None  # None: unlimited
    cooldown_minutes: int = 0
    time_limit_minutes: int | None = None  # None: untimed
    questions_per_attempt: int | None = None  # None: every question
    shuffle_choices: bool = True
    feedback: str = FeedbackPolicy.AFTER_SUBMIT


@dataclass(frozen=True)
class ChoiceData:
    text: str
    is_correct: bool = False
    id: int | None = None  # an existing choice kept (answers of open attempts still match)


@dataclass(frozen=True)
class QuestionData:
    kind: str
    prompt: str
    explanation: str = ""
    points: int = 1
    # In the right order for ordering questions; "True" and "False" for true/false.
    choices: list[ChoiceData] = field(default_factory=list)
    accepted_answers: list[str] = field(default_factory=list)  # short answers


@dataclass(frozen=True)
class ItemStat:
    question_id: int
    prompt: str
    kind: str
    asked: int  # submitted attempts whose paper held the question
    right: int  # of those, answered right

    @property
    def percent_right(self) -> int:
        return self.right * 100 // self.asked if self.asked else 0


def sellers_quiz_lesson(*, seller_id: int, lesson_id: int) -> Lesson:
    """The seller's quiz lesson, or not found (another seller's, a video lesson, none)."""
    lesson = (
        Lesson.objects.select_related("course__product")
        .filter(pk=lesson_id, kind=LessonKind.QUIZ, course__product__seller_id=seller_id)
        .first()
    )
    if lesson is None:
        raise not_found("No such quiz.")
    return lesson


def quiz_of(*, seller_id: int, lesson_id: int) -> Quiz:
    """The quiz of the seller's quiz lesson, made with the defaults on first use."""
    lesson = sellers_quiz_lesson(seller_id=seller_id, lesson_id=lesson_id)
    quiz, _ = Quiz.objects.get_or_create(lesson=lesson)
    quiz.lesson = lesson
    return quiz


def questions_of(quiz: Quiz) -> list[Question]:
    return list(quiz.questions.prefetch_related("choices"))


def _sellers_question(*, seller_id: int, question_id: int) -> Question:
    question = (
        Question.objects.select_related("quiz__lesson")
        .filter(pk=question_id, quiz__lesson__course__product__seller_id=seller_id)
        .first()
    )
    if question is None:
        raise not_found("No such question.")
    return question


def _whole(value: int | None, name: str, low: int, high: int, *, optional: bool) -> None:
    if value is None:
        if not optional:
            raise invalid(ERROR, name, "Give a whole number.")
        return
    if not low <= value <= high:
        raise invalid(ERROR, name, f"Give a whole number from {low} to {high}.")


def validate_settings(data: QuizSettings) -> None:
    _whole(data.pass_percent, "pass_percent", 0, 100, optional=False)
    _whole(data.attempt_limit, "attempt_limit", 1, 100, optional=True)
    _whole(data.cooldown_minutes, "cooldown_minutes", 0, 60 * 24 * 30, optional=False)
    _whole(data.time_limit_minutes, "time_limit_minutes", 1, 24 * 60, optional=True)
    _whole(data.questions_per_attempt, "questions_per_attempt", 1, MAX_QUESTIONS, optional=True)
    if data.feedback not in FeedbackPolicy.values:
        raise invalid(ERROR, "feedback", "Choose when students see which answers were right.")


def update_settings(*, seller_id: int, lesson_id: int, data: QuizSettings) -> Quiz:
    validate_settings(data)
    with transaction.atomic():
        quiz = quiz_of(seller_id=seller_id, lesson_id=lesson_id)
        for name in QuizSettings.__dataclass_fields__:
            setattr(quiz, name, getattr(data, name))
        quiz.save()
    return quiz


def _clean_text(value: str) -> str:
    return " ".join(value.split())


def validate_question(data: QuestionData) -> QuestionData:
    """The question as it will be stored (texts trimmed), or the first field error."""
    if data.kind not in QuestionKind.values:
        raise invalid(ERROR, "kind", "Choose the kind of question.")
    prompt = data.prompt.strip()
    if not prompt:
        raise invalid(ERROR, "prompt", "Write the question.")
    if len(prompt) > 5000:
        raise invalid(ERROR, "prompt", "Keep the question under 5,000 characters.")
    if len(data.explanation) > 5000:
        raise invalid(ERROR, "explanation", "Keep the explanation under 5,000 characters.")
    _whole(data.points, "points", 1, 100, optional=False)
    choices = [
        ChoiceData(text=_clean_text(c.text), is_correct=c.is_correct, id=c.id)
        for c in data.choices
        if c.text.strip()
    ]
    if len(choices) > MAX_CHOICES:
        raise invalid(ERROR, "choices", f"Give at most {MAX_CHOICES} options.")
    if any(len(c.text) > 500 for c in choices):
        raise invalid(ERROR, "choices", "Keep each option under 500 characters.")
    if len({c.text.casefold() for c in choices}) != len(choices):
        raise invalid(ERROR, "choices", "Two options say the same thing.")
    accepted = [_clean_text(a) for a in data.accepted_answers if a.strip()]
    correct = sum(1 for c in choices if c.is_correct)
    kind = data.kind
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) and len(choices) < 2:
        raise invalid(ERROR, "choices", "Give at least two options.")
    if kind == QuestionKind.SINGLE and correct != 1:
        raise invalid(ERROR, "choices", "Mark exactly one option as the right answer.")
    if kind == QuestionKind.MULTIPLE and correct < 1:
        raise invalid(ERROR, "choices", "Mark at least one option as right.")
    if kind == QuestionKind.TRUE_FALSE and (
        tuple(c.text for c in choices) != TRUE_FALSE or correct != 1
    ):
        raise invalid(ERROR, "choices", 'Give the options "True" and "False", one of them right.')
    if kind == QuestionKind.ORDERING:
        if len(choices) < 2:
            raise invalid(ERROR, "choices", "Give at least two items, in the right order.")
        choices = [ChoiceData(text=c.text, is_correct=False, id=c.id) for c in choices]
    if kind == QuestionKind.SHORT:
        if choices:
            raise invalid(ERROR, "choices", "A short-answer question has no options.")
        if not accepted:
            raise invalid(ERROR, "accepted_answers", "Give at least one accepted answer.")
        if len(accepted) > MAX_ACCEPTED or any(len(a) > 200 for a in accepted):
            raise invalid(
                ERROR, "accepted_answers", f"Give at most {MAX_ACCEPTED} answers of 200 characters."
            )
    else:
        accepted = []
    return QuestionData(
        kind=kind,
        prompt=prompt,
        explanation=data.explanation.strip(),
        points=data.points,
        choices=choices,
        accepted_answers=accepted,
    )


def _write_choices(question: Question, choices: list[ChoiceData]) -> None:
    existing = {c.pk: c for c in question.choices.all()}
    kept: set[int] = set()
    for position, data in enumerate(choices):
        row = existing.get(data.id) if data.id is not None else None
        if row is None:
            row = Choice(question=question)
        else:
            kept.add(row.pk)
        row.text, row.is_correct, row.position = data.text, data.is_correct, position
        row.save()
    Choice.objects.filter(question=question).exclude(pk__in=kept).filter(
        pk__in=list(existing)
    ).delete()


def add_question(*, seller_id: int, lesson_id: int, data: QuestionData) -> Question:
    clean = validate_question(data)
    with transaction.atomic():
        quiz = quiz_of(seller_id=seller_id, lesson_id=lesson_id)
        Quiz.objects.select_for_update().filter(pk=quiz.pk).first()
        if quiz.questions.count() >= MAX_QUESTIONS:
            raise invalid(ERROR, "prompt", f"A quiz holds at most {MAX_QUESTIONS} questions.")
        last = quiz.questions.aggregate(last=Max("position"))["last"]
        question = Question.objects.create(
            quiz=quiz,
            kind=clean.kind,
            prompt=clean.prompt,
            explanation=clean.explanation,
            points=clean.points,
            accepted_answers=clean.accepted_answers,
            position=0 if last is None else last + 1,
        )
        _write_choices(question, clean.choices)
    return question


def update_question(*, seller_id: int, question_id: int, data: QuestionData) -> Question:
    """Options given with their ``id`` are kept (an open attempt's answers still match)."""
    clean = validate_question(data)
    with transaction.atomic():
        question = _sellers_question(seller_id=seller_id, question_id=question_id)
        question.kind, question.prompt = clean.kind, clean.prompt
        question.explanation, question.points = clean.explanation, clean.points
        question.accepted_answers = clean.accepted_answers
        question.save()
        _write_choices(question, clean.choices)
    return question


def remove_question(*, seller_id: int, question_id: int) -> Question:
    """Gone from the bank; submitted attempts keep their scores (and drop it from feedback)."""
    question = _sellers_question(seller_id=seller_id, question_id=question_id)
    question.delete()
    return question


def reorder_questions(*, seller_id: int, lesson_id: int, question_ids: list[int]) -> None:
    with transaction.atomic():
        quiz = quiz_of(seller_id=seller_id, lesson_id=lesson_id)
        current = list(quiz.questions.values_list("pk", flat=True))
        if sorted(current) != sorted(question_ids):
            raise invalid(ERROR, "question_ids", "Name every question of the quiz once.")
        for position, question_id in enumerate(question_ids):
            Question.objects.filter(pk=question_id).update(position=position)


def move_question(*, seller_id: int, question_id: int, offset: int) -> None:
    """One step up (-1) or down (+1) in the quiz."""
    question = _sellers_question(seller_id=seller_id, question_id=question_id)
    order = list(question.quiz.questions.values_list("pk", flat=True))
    index = order.index(question.pk)
    target = min(max(index + offset, 0), len(order) - 1)
    order.insert(target, order.pop(index))
    reorder_questions(seller_id=seller_id, lesson_id=question.quiz.lesson_id, question_ids=order)


def item_analytics(*, seller_id: int, lesson_id: int) -> list[ItemStat]:
    """Per question of the bank: how many submitted attempts were asked it and got it
    right (one aggregate over the attempts' results)."""
    quiz = quiz_of(seller_id=seller_id, lesson_id=lesson_id)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT item.key::bigint, count(*), count(*) FILTER (WHERE item.value = 'true')
            FROM courses_attempt, jsonb_each(courses_attempt.results) AS item
            WHERE courses_attempt.quiz_id = %s AND courses_attempt.submitted_at IS NOT NULL
            GROUP BY item.key
            """,
            [quiz.pk],
        )
        counts = {int(row[0]): (int(row[1]), int(row[2])) for row in cursor.fetchall()}
    return [
        ItemStat(
            question_id=question.pk,
            prompt=question.prompt,
            kind=question.kind,
            asked=counts.get(question.pk, (0, 0))[0],
            right=counts.get(question.pk, (0, 0))[1],
        )
        for question in quiz.questions.all()
    ]
