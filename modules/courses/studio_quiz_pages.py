"""Seller studio: a quiz lesson's editor under ``/studio/courses/`` (behind the manifest's
permissions, so these views only read the seller). The quiz's rules, its questions (add,
edit, remove and move over htmx, each card coming back with its errors beside the fields and
the typing kept) and the item analytics (how many attempts were asked each question and got
it right, as a bar chart and a table). Every change goes through ``services.quizzes`` like the
API; another seller's lesson or question is 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.charts import Chart, Series
from core.errors import DomainError, ErrorKind
from core.sellers.auth import authorised_seller
from modules.courses.errors import invalid
from modules.courses.models import FeedbackPolicy, Question, QuestionKind, Quiz
from modules.courses.services import quizzes

CHOICE_ROWS = 6  # option rows on a question's form
SETTING_NUMBERS = (
    "pass_percent",
    "attempt_limit",
    "cooldown_minutes",
    "time_limit_minutes",
    "questions_per_attempt",
)
OPTIONAL = {"attempt_limit", "time_limit_minutes", "questions_per_attempt"}


def _field(error: DomainError) -> str:
    details = error.details if isinstance(error.details, dict) else {}
    return str(details.get("field") or "general")


def _editor_url(lesson_id: int) -> str:
    return reverse("courses_studio:quiz", args=[lesson_id])


def _question_form(question: Question | None) -> dict[str, Any]:
    """What a question's form shows: the stored question, padded with empty option rows."""
    if question is None:
        rows: list[dict[str, Any]] = []
        form: dict[str, Any] = {"kind": "single", "prompt": "", "explanation": "", "points": "1"}
        accepted = ""
        true_is_right = "True"
    else:
        rows = [
            {"id": c.pk, "text": c.text, "is_correct": c.is_correct} for c in question.choices.all()
        ]
        form = {
            "kind": question.kind,
            "prompt": question.prompt,
            "explanation": question.explanation,
            "points": str(question.points),
        }
        accepted = "\n".join(question.accepted_answers)
        true_is_right = next((r["text"] for r in rows if r["is_correct"]), "True")
    if form["kind"] == QuestionKind.TRUE_FALSE:
        rows = []
    rows += [{"id": "", "text": "", "is_correct": False}] * (CHOICE_ROWS - len(rows))
    form.update(choices=rows, accepted_answers=accepted, true_is_right=true_is_right)
    return form


def _posted_question(post: QueryDict) -> tuple[dict[str, Any], quizzes.QuestionData]:
    """The form as typed (to show it again) and the question it describes."""
    rows: list[dict[str, Any]] = []
    for index in range(CHOICE_ROWS):
        raw_id = post.get(f"choice-{index}-id", "")
        rows.append(
            {
                "id": int(raw_id) if raw_id.isdigit() else "",
                "text": post.get(f"choice-{index}-text", "")[:500],
                "is_correct": post.get(f"choice-{index}-correct") == "on",
            }
        )
    form: dict[str, Any] = {
        "kind": post.get("kind", "")[:12],
        "prompt": post.get("prompt", "")[:5000],
        "explanation": post.get("explanation", "")[:5000],
        "points": post.get("points", "")[:4],
        "accepted_answers": post.get("accepted_answers", "")[:5000],
        "true_is_right": post.get("true_is_right", "True"),
        "choices": rows,
    }
    if form["kind"] == QuestionKind.TRUE_FALSE:
        choices = [
            quizzes.ChoiceData(text, is_correct=form["true_is_right"] == text)
            for text in quizzes.TRUE_FALSE
        ]
    else:
        choices = [
            quizzes.ChoiceData(
                text=row["text"],
                is_correct=bool(row["is_correct"]),
                id=row["id"] if isinstance(row["id"], int) else None,
            )
            for row in rows
        ]
    points = form["points"].strip()
    if not points.isdigit():
        raise invalid(quizzes.ERROR, "points", "Give a whole number of points.")
    data = quizzes.QuestionData(
        kind=form["kind"],
        prompt=form["prompt"],
        explanation=form["explanation"],
        points=int(points),
        choices=choices,
        accepted_answers=form["accepted_answers"].splitlines()[: quizzes.MAX_ACCEPTED + 1],
    )
    return form, data


def _chart(stats: list[quizzes.ItemStat]) -> Chart:
    return Chart(
        id="quiz-items",
        title="Answered right, per question",
        kind="bar",
        labels=[f"Q{index}" for index, _ in enumerate(stats, start=1)],
        series=[
            Series("Asked", [s.asked for s in stats]),
            Series("Right", [s.right for s in stats]),
        ],
        description="Submitted attempts that were asked each question, and got it right.",
        empty_message="No submitted attempts yet.",
    )


def _settings_form(quiz: Quiz) -> dict[str, Any]:
    form: dict[str, Any] = {}
    for name in (*SETTING_NUMBERS, "feedback"):
        value = getattr(quiz, name)
        form[name] = "" if value is None else str(value)
    form["shuffle_choices"] = quiz.shuffle_choices
    return form


def _context(
    request: HttpRequest, lesson_id: int, *, settings_form: dict[str, Any] | None = None
) -> dict[str, Any]:
    seller = authorised_seller(request)
    try:
        quiz = quizzes.quiz_of(seller_id=seller.pk, lesson_id=lesson_id)
        stats = quizzes.item_analytics(seller_id=seller.pk, lesson_id=lesson_id)
    except DomainError as error:
        raise Http404(error.message) from None
    questions = quizzes.questions_of(quiz)
    return {
        "seller": seller,
        "quiz": quiz,
        "lesson": quiz.lesson,
        "settings": settings_form or _settings_form(quiz),
        "settings_errors": {},
        "cards": [
            {"question": q, "form": _question_form(q), "errors": {}, "number": index}
            for index, q in enumerate(questions, start=1)
        ],
        "new": {"form": _question_form(None), "errors": {}},
        "kinds": QuestionKind.choices,
        "policies": FeedbackPolicy.choices,
        "stats": list(zip(questions, stats, strict=False)),
        "chart": _chart(stats),
    }


@never_cache
@require_http_methods(["GET", "HEAD"])
def editor(request: HttpRequest, lesson_id: int) -> HttpResponse:
    return render(request, "courses/studio/quiz.html", _context(request, lesson_id))


@require_POST
def save_settings(request: HttpRequest, lesson_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    form: dict[str, Any] = {name: request.POST.get(name, "")[:10] for name in SETTING_NUMBERS}
    form["feedback"] = request.POST.get("feedback", "")[:12]
    form["shuffle_choices"] = request.POST.get("shuffle_choices") == "on"
    try:
        numbers: dict[str, int | None] = {}
        for name in SETTING_NUMBERS:
            value = form[name].strip()
            if not value and name in OPTIONAL:
                numbers[name] = None
            elif not value.isdigit():
                raise invalid(quizzes.ERROR, name, "Give a whole number.")
            else:
                numbers[name] = int(value)
        data = quizzes.QuizSettings(
            pass_percent=numbers["pass_percent"] or 0,
            attempt_limit=numbers["attempt_limit"],
            cooldown_minutes=numbers["cooldown_minutes"] or 0,
            time_limit_minutes=numbers["time_limit_minutes"],
            questions_per_attempt=numbers["questions_per_attempt"],
            shuffle_choices=form["shuffle_choices"],
            feedback=form["feedback"],
        )
        quizzes.update_settings(seller_id=seller.pk, lesson_id=lesson_id, data=data)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        context = _context(request, lesson_id, settings_form=form)
        context["settings_errors"] = {_field(error): error.message}
        return render(request, "courses/studio/quiz.html", context, status=422)
    messages.success(request, "Quiz rules saved.")
    return HttpResponseRedirect(_editor_url(lesson_id))


def _card_response(
    request: HttpRequest, lesson_id: int, card: dict[str, Any], *, is_new: bool
) -> HttpResponse:
    """Over htmx the card alone (200 even when refused: htmx swaps only successes, and the
    card carries the errors beside the fields); otherwise the whole editor."""
    if request.headers.get("HX-Request"):
        template = "courses/studio/quiz_new.html" if is_new else "courses/studio/quiz_question.html"
        return render(
            request,
            template,
            {"card": card, "lesson": {"pk": lesson_id}, "kinds": QuestionKind.choices, "new": card},
        )
    context = _context(request, lesson_id)
    if is_new:
        context["new"] = card
    else:
        for entry in context["cards"]:
            if entry["question"].pk == card["question"].pk:
                entry.update(card)
    return render(request, "courses/studio/quiz.html", context, status=422)


@require_POST
def add_question(request: HttpRequest, lesson_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    form: dict[str, Any] = {}
    try:
        quizzes.sellers_quiz_lesson(seller_id=seller.pk, lesson_id=lesson_id)
        form, data = _posted_question(request.POST)
        question = quizzes.add_question(seller_id=seller.pk, lesson_id=lesson_id, data=data)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        form = form or _posted_question_form(request.POST)
        refused = {"form": form, "errors": {_field(error): error.message}}
        return _card_response(request, lesson_id, refused, is_new=True)
    if request.headers.get("HX-Request"):
        # The new question's card, then a fresh empty form (out of band).
        fresh = Question.objects.prefetch_related("choices").get(pk=question.pk)
        count = Question.objects.filter(quiz_id=fresh.quiz_id).count()
        card = {
            "question": fresh,
            "form": _question_form(fresh),
            "errors": {},
            "number": count,
        }
        return render(
            request,
            "courses/studio/quiz_added.html",
            {
                "card": card,
                "new": {"form": _question_form(None), "errors": {}},
                "kinds": QuestionKind.choices,
                "lesson": {"pk": lesson_id},
            },
        )
    messages.success(request, "Question added.")
    return HttpResponseRedirect(_editor_url(lesson_id))


def _posted_question_form(post: QueryDict) -> dict[str, Any]:
    try:
        return _posted_question(post)[0]
    except DomainError:
        # Points were not a number: show the typing as it was anyway.
        form = _question_form(None)
        form.update({k: post.get(k, "")[:5000] for k in ("kind", "prompt", "explanation")})
        form["points"] = post.get("points", "")[:4]
        form["accepted_answers"] = post.get("accepted_answers", "")[:5000]
        form["choices"] = [
            {
                "id": "",
                "text": post.get(f"choice-{i}-text", "")[:500],
                "is_correct": post.get(f"choice-{i}-correct") == "on",
            }
            for i in range(CHOICE_ROWS)
        ]
        return form


@require_POST
def edit_question(request: HttpRequest, question_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    question = (
        Question.objects.select_related("quiz")
        .prefetch_related("choices")
        .filter(pk=question_id, quiz__lesson__course__product__seller_id=seller.pk)
        .first()
    )
    if question is None:
        raise Http404("No such question.")
    lesson_id = question.quiz.lesson_id
    number = list(question.quiz.questions.values_list("pk", flat=True)).index(question.pk) + 1
    try:
        _, data = _posted_question(request.POST)
        quizzes.update_question(seller_id=seller.pk, question_id=question_id, data=data)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        card = {
            "question": question,
            "form": _posted_question_form(request.POST),
            "errors": {_field(error): error.message},
            "number": number,
            "is_open": True,
        }
        return _card_response(request, lesson_id, card, is_new=False)
    if request.headers.get("HX-Request"):
        fresh = Question.objects.prefetch_related("choices").get(pk=question_id)
        card = {
            "question": fresh,
            "form": _question_form(fresh),
            "errors": {},
            "number": number,
            "saved": True,
        }
        return render(
            request,
            "courses/studio/quiz_question.html",
            {"card": card, "kinds": QuestionKind.choices, "lesson": {"pk": lesson_id}},
        )
    messages.success(request, "Question saved.")
    return HttpResponseRedirect(_editor_url(lesson_id))


@require_POST
def remove_question(request: HttpRequest, question_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    try:
        removed = quizzes.remove_question(seller_id=seller.pk, question_id=question_id)
    except DomainError as error:
        raise Http404(error.message) from None
    if request.headers.get("HX-Request"):
        return HttpResponse("")  # the card is swapped for nothing
    messages.success(request, "Question removed.")
    return HttpResponseRedirect(_editor_url(removed.quiz.lesson_id))


@require_POST
def move_question(request: HttpRequest, question_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        quizzes.move_question(seller_id=seller.pk, question_id=question_id, offset=offset)
    except DomainError as error:
        raise Http404(error.message) from None
    lesson_id = Question.objects.values_list("quiz__lesson_id", flat=True).get(pk=question_id)
    return HttpResponseRedirect(_editor_url(lesson_id) + f"#qz-q-{question_id}")
