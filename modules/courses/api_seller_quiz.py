"""Seller API: quiz authoring and item analytics (mounted into ``api_seller.router``, so under
``/api/v1/courses/seller/`` behind the manifest's permissions). A quiz lesson's settings, its
questions (with the right answers: this is the author's view), adding, editing, removing and
reordering them, and per question how many attempts were asked it and got it right. Another
seller's lesson or question is 404."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from core.schemas import StrictSchema
from core.sellers.auth import authorised_seller
from modules.courses.models import Question, Quiz
from modules.courses.services import quizzes

router = Router(tags=["courses"])


class QuizSettingsIn(StrictSchema):
    pass_percent: int = 70
    attempt_limit: int | None = None
    cooldown_minutes: int = 0
    time_limit_minutes: int | None = None
    questions_per_attempt: int | None = None
    shuffle_choices: bool = True
    feedback: str = Field("after_submit", max_length=12)


class QuizChoiceIn(StrictSchema):
    id: int | None = None
    text: str = Field(..., max_length=500)
    is_correct: bool = False


class QuizQuestionIn(StrictSchema):
    kind: str = Field(..., max_length=12)
    prompt: str = Field(..., max_length=5000)
    explanation: str = Field("", max_length=5000)
    points: int = 1
    choices: list[QuizChoiceIn] = Field(default_factory=list, max_length=quizzes.MAX_CHOICES)
    accepted_answers: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=quizzes.MAX_ACCEPTED
    )


class QuizOrderIn(StrictSchema):
    question_ids: list[int] = Field(..., max_length=quizzes.MAX_QUESTIONS)


class QuizAuthoringChoiceOut(Schema):
    id: int
    text: str
    is_correct: bool


class QuizAuthoringQuestionOut(Schema):
    id: int
    kind: str
    prompt: str
    explanation: str
    points: int
    position: int
    choices: list[QuizAuthoringChoiceOut]
    accepted_answers: list[str]


class QuizAuthoringOut(Schema):
    lesson_id: int
    pass_percent: int
    attempt_limit: int | None
    cooldown_minutes: int
    time_limit_minutes: int | None
    questions_per_attempt: int | None
    shuffle_choices: bool
    feedback: str
    questions: list[QuizAuthoringQuestionOut]


class QuizItemStatOut(Schema):
    question_id: int
    prompt: str
    kind: str
    asked: int
    right: int
    percent_right: int


def question_dict(question: Question) -> dict[str, Any]:
    return {
        "id": question.pk,
        "kind": question.kind,
        "prompt": question.prompt,
        "explanation": question.explanation,
        "points": question.points,
        "position": question.position,
        "choices": [
            {"id": c.pk, "text": c.text, "is_correct": c.is_correct} for c in question.choices.all()
        ],
        "accepted_answers": list(question.accepted_answers),
    }


def quiz_dict(quiz: Quiz) -> dict[str, Any]:
    return {
        "lesson_id": quiz.lesson_id,
        **{name: getattr(quiz, name) for name in quizzes.QuizSettings.__dataclass_fields__},
        "questions": [question_dict(q) for q in quizzes.questions_of(quiz)],
    }


def question_data(payload: QuizQuestionIn) -> quizzes.QuestionData:
    return quizzes.QuestionData(
        kind=payload.kind,
        prompt=payload.prompt,
        explanation=payload.explanation,
        points=payload.points,
        choices=[
            quizzes.ChoiceData(text=c.text, is_correct=c.is_correct, id=c.id)
            for c in payload.choices
        ],
        accepted_answers=payload.accepted_answers,
    )


@router.get("/lessons/{lesson_id}/quiz", response=QuizAuthoringOut, summary="A quiz lesson's quiz")
def get_quiz(request: HttpRequest, lesson_id: int) -> dict[str, Any]:
    return quiz_dict(quizzes.quiz_of(seller_id=authorised_seller(request).pk, lesson_id=lesson_id))


@router.put("/lessons/{lesson_id}/quiz", response=QuizAuthoringOut, summary="Set a quiz's rules")
def put_quiz(request: HttpRequest, lesson_id: int, payload: QuizSettingsIn) -> dict[str, Any]:
    quiz = quizzes.update_settings(
        seller_id=authorised_seller(request).pk,
        lesson_id=lesson_id,
        data=quizzes.QuizSettings(**payload.model_dump()),
    )
    return quiz_dict(quiz)


@router.post(
    "/lessons/{lesson_id}/quiz/questions",
    response={201: QuizAuthoringQuestionOut},
    summary="Add a question to the quiz's bank",
)
def add_question(request: HttpRequest, lesson_id: int, payload: QuizQuestionIn) -> Status[Any]:
    question = quizzes.add_question(
        seller_id=authorised_seller(request).pk, lesson_id=lesson_id, data=question_data(payload)
    )
    return Status(201, question_dict(question))


@router.put(
    "/lessons/{lesson_id}/quiz/questions/order",
    response=list[QuizAuthoringQuestionOut],
    summary="Reorder the quiz's questions (every question once)",
)
def reorder_questions(request: HttpRequest, lesson_id: int, payload: QuizOrderIn) -> Any:
    seller_id = authorised_seller(request).pk
    quizzes.reorder_questions(
        seller_id=seller_id, lesson_id=lesson_id, question_ids=payload.question_ids
    )
    quiz = quizzes.quiz_of(seller_id=seller_id, lesson_id=lesson_id)
    return [question_dict(q) for q in quizzes.questions_of(quiz)]


@router.put(
    "/quiz-questions/{question_id}",
    response=QuizAuthoringQuestionOut,
    summary="Change a question (options sent with their id are kept)",
)
def update_question(request: HttpRequest, question_id: int, payload: QuizQuestionIn) -> Any:
    question = quizzes.update_question(
        seller_id=authorised_seller(request).pk,
        question_id=question_id,
        data=question_data(payload),
    )
    return question_dict(question)


@router.delete("/quiz-questions/{question_id}", response={204: None}, summary="Remove a question")
def remove_question(request: HttpRequest, question_id: int) -> Status[None]:
    quizzes.remove_question(seller_id=authorised_seller(request).pk, question_id=question_id)
    return Status(204, None)


@router.get(
    "/lessons/{lesson_id}/quiz/analytics",
    response=list[QuizItemStatOut],
    summary="Per question: submitted attempts that were asked it, and got it right",
)
def analytics(request: HttpRequest, lesson_id: int) -> list[dict[str, Any]]:
    stats = quizzes.item_analytics(seller_id=authorised_seller(request).pk, lesson_id=lesson_id)
    return [
        {
            "question_id": s.question_id,
            "prompt": s.prompt,
            "kind": s.kind,
            "asked": s.asked,
            "right": s.right,
            "percent_right": s.percent_right,
        }
        for s in stats
    ]
