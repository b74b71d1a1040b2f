"""The student's quiz pages under ``/courses/``: one page per quiz lesson (``courses:quiz``)
that shows the start screen with the rules (attempts left, cooldown, time limit), or the
open attempt's paper as a plain form (radio buttons, check boxes, a text box, and a select
of positions for ordering items, so it works without JavaScript; ``quiz.js`` adds up/down
buttons and a countdown), and each attempt's result with feedback as the quiz's policy
allows. Nothing on a page before submitting tells the answer. Not enrolled, another
student's attempt, or the module off: 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, ErrorKind
from modules.courses.models import Attempt, QuestionKind
from modules.courses.services import attempts


def _user_id(request: HttpRequest) -> int:
    if request.user.pk is None:  # login_required ran first
        raise Http404("Sign in first.")
    return int(request.user.pk)


def _quiz_page(lesson_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("courses:quiz", args=[lesson_id]))


@require_GET
@never_cache
@login_required
def quiz(request: HttpRequest, lesson_id: int) -> HttpResponse:
    try:
        state = attempts.state(user_id=_user_id(request), lesson_id=lesson_id)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404("No such quiz.") from None
        # Locked by drip or a prerequisite: say why.
        return render(request, "courses/quiz.html", {"mode": "locked", "reason": error.message})
    context: dict[str, Any] = {"state": state, "lesson": state.lesson, "mode": "start"}
    attempt = state.open_attempt
    if attempt is not None:
        context.update(mode="paper", attempt=attempt, paper=attempts.paper_of(attempt))
        if attempt.deadline_at is not None:
            left = (attempt.deadline_at - timezone.now()).total_seconds()
            context["seconds_left"] = max(int(left), 0)
    return render(request, "courses/quiz.html", context)


@require_POST
@login_required
def start(request: HttpRequest, lesson_id: int) -> HttpResponse:
    try:
        attempts.start(user_id=_user_id(request), lesson_id=lesson_id)
    except DomainError as error:
        if error.kind == ErrorKind.NOT_FOUND:
            raise Http404(error.message) from None
        messages.error(request, error.message)
    return _quiz_page(lesson_id)


def answers_from_form(
    paper: list[attempts.PaperQuestion], form: QueryDict
) -> list[attempts.Answer]:
    """The form's fields: ``q<id>`` (one option, or several for multiple choice, or the text)
    and, for ordering, ``q<id>-at-<option id>`` = the position chosen for each item."""
    given: list[attempts.Answer] = []
    for question in paper:
        name = f"q{question.id}"
        if question.kind == QuestionKind.SHORT:
            given.append(attempts.Answer(question.id, text=form.get(name, "")[:200]))
        elif question.kind == QuestionKind.ORDERING:
            placed: list[tuple[int, int, int]] = []
            for index, choice in enumerate(question.choices):
                raw = form.get(f"{name}-at-{choice.id}", "")
                position = int(raw) if raw.isdigit() else len(question.choices) + index
                placed.append((position, index, choice.id))
            given.append(attempts.Answer(question.id, [c for _, _, c in sorted(placed)]))
        else:
            ids = [int(v) for v in form.getlist(name)[:50] if v.isdigit()]
            if ids:
                given.append(attempts.Answer(question.id, ids))
    return given


@require_POST
@login_required
def submit(request: HttpRequest, attempt_id: int) -> HttpResponse:
    user_id = _user_id(request)
    try:
        attempt = attempts.attempt_of(user_id=user_id, attempt_id=attempt_id)
    except DomainError:
        raise Http404("No such attempt.") from None
    lesson_id = attempt.quiz.lesson_id
    try:
        answers = answers_from_form(attempts.paper_of(attempt), request.POST)
        attempts.submit(user_id=user_id, attempt_id=attempt_id, answers=answers)
    except DomainError as error:
        messages.error(request, error.message)
        if error.code == "quiz_attempt_closed":
            return HttpResponseRedirect(reverse("courses:quiz_result", args=[attempt_id]))
        return _quiz_page(lesson_id)
    return HttpResponseRedirect(reverse("courses:quiz_result", args=[attempt_id]))


@require_GET
@never_cache
@login_required
def result(request: HttpRequest, attempt_id: int) -> HttpResponse:
    user_id = _user_id(request)
    try:
        attempt: Attempt = attempts.attempt_of(user_id=user_id, attempt_id=attempt_id)
        state = attempts.state(user_id=user_id, lesson_id=attempt.quiz.lesson_id)
    except DomainError:
        raise Http404("No such attempt.") from None
    if attempt.submitted_at is None:
        return _quiz_page(attempt.quiz.lesson_id)
    context = {
        "mode": "result",
        "state": state,
        "lesson": state.lesson,
        "attempt": attempt,
        "feedback": attempts.feedback_of(attempt),
    }
    return render(request, "courses/quiz.html", context)
