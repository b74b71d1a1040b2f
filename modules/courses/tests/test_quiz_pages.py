"""The quiz pages. A student sees the rules (attempts left, cooldown, time limit), starts,
answers a plain form (radio, check boxes, text, a select of positions for ordering: no
JavaScript needed) whose HTML carries nothing that tells the answer, and gets a result page
with feedback as the quiz's policy says. The seller's editor: rules with errors beside the
field, questions added and edited over htmx (errors beside the field, the typing kept),
removed and moved, and the item analytics. Strangers, other buyers, other sellers and a
marketplace with the module off get 404."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from modules.courses.models import Attempt, Question, Quiz
from modules.courses.tests.helpers_cquiz import (
    SECRETS,
    T0,
    School,
    make_school,
    seller_client,
    signed_in,
)
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled

STUDIO = "/studio/courses"


@pytest.fixture
def school(make_tenant: Any, time_machine: Any, django_capture_on_commit_callbacks: Any) -> School:
    return make_school(make_tenant, time_machine, django_capture_on_commit_callbacks)


def text(response: Any) -> str:
    return str(response.content.decode())


def student(school: School, client_for: Any) -> Client:
    school.buy(school.buyer)
    return signed_in(client_for, school.tenant, school.buyer)


def form_answers(school: School, *, right: bool = True) -> dict[str, Any]:
    """The paper form filled in: right (or every answer wrong)."""
    data: dict[str, Any] = {}
    with schema_context(school.tenant.schema_name):
        for question in Question.objects.filter(quiz=school.quiz).prefetch_related("choices"):
            choices = list(question.choices.all())
            name = f"q{question.pk}"
            if question.kind == "short":
                data[name] = "  REYKJAVIKWORT " if right else "Oslo"
            elif question.kind == "ordering":
                order = choices if right else choices[::-1]
                for position, choice in enumerate(order, start=1):
                    data[f"{name}-at-{choice.pk}"] = str(position)
            else:
                data[name] = [str(c.pk) for c in choices if c.is_correct is right]
    return data


def test_a_student_starts_answers_and_sees_the_result(school: School, client_for: Any) -> None:
    client = student(school, client_for)
    page = f"/courses/quiz/{school.lesson.pk}/"
    start = client.get(page)
    assert start.status_code == 200
    assert "Start the quiz" in text(start) and "Unlimited" in text(start)
    assert "60%" in text(start)

    started = client.post(f"/courses/quiz/{school.lesson.pk}/start/")
    assert (started.status_code, started["Location"]) == (302, page)
    paper = client.get(page)
    html = text(paper)
    for secret in SECRETS:
        assert secret.encode() not in paper.content, secret
    single, multiple = school.question("single"), school.question("multiple")
    assert f'type="radio" name="q{single.pk}"' in html
    assert f'type="checkbox" name="q{multiple.pk}"' in html
    assert f'name="q{school.question("short").pk}" maxlength="200"' in html
    ordering = school.question("ordering")
    assert html.count(f'name="q{ordering.pk}-at-') == 3
    assert "data-seconds-left" not in html  # untimed

    with schema_context(school.tenant.schema_name):
        attempt = Attempt.objects.get(quiz=school.quiz)
    sent = client.post(f"/courses/quiz/attempts/{attempt.pk}/submit/", form_answers(school))
    result_page = f"/courses/quiz/attempts/{attempt.pk}/"
    assert (sent.status_code, sent["Location"]) == (302, result_page)
    result = client.get(result_page)
    assert result.status_code == 200
    assert "<strong>100%</strong>" in text(result) and "Passed" in text(result)
    assert text(result).count("&#10003; Right") == 5
    assert "Zephyrine" in text(result)  # the explanation, after submitting
    with schema_context(school.tenant.schema_name):
        attempt.refresh_from_db()
    assert (attempt.score_percent, attempt.passed) == (100, True)
    back = client.get(page)
    assert "You passed this quiz" in text(back) and "Try again" in text(back)


def test_wrong_answers_and_the_policy_never(school: School, client_for: Any) -> None:
    with schema_context(school.tenant.schema_name):
        Quiz.objects.filter(pk=school.quiz.pk).update(feedback="never")
    client = student(school, client_for)
    client.post(f"/courses/quiz/{school.lesson.pk}/start/")
    with schema_context(school.tenant.schema_name):
        attempt = Attempt.objects.get(quiz=school.quiz)
    client.post(f"/courses/quiz/attempts/{attempt.pk}/submit/", form_answers(school, right=False))
    result = client.get(f"/courses/quiz/attempts/{attempt.pk}/")
    assert "<strong>0%</strong>" in text(result) and "Not passed" in text(result)
    assert "Right" not in text(result) and "Wrong" not in text(result)
    assert "Zephyrine" not in text(result)


def test_the_start_screen_shows_limits_cooldown_and_the_clock(
    school: School, client_for: Any, time_machine: Any
) -> None:
    with schema_context(school.tenant.schema_name):
        Quiz.objects.filter(pk=school.quiz.pk).update(
            attempt_limit=2, cooldown_minutes=45, time_limit_minutes=15
        )
    client = student(school, client_for)
    page = f"/courses/quiz/{school.lesson.pk}/"
    assert "2 of 2" in text(client.get(page)) and "15 min" in text(client.get(page))
    client.post(f"/courses/quiz/{school.lesson.pk}/start/")
    time_machine.move_to(T0 + timedelta(minutes=5), tick=False)
    paper = text(client.get(page))
    assert 'data-seconds-left="600"' in paper and "until 09:15 UTC" in paper
    with schema_context(school.tenant.schema_name):
        attempt = Attempt.objects.get(quiz=school.quiz)
    client.post(f"/courses/quiz/attempts/{attempt.pk}/submit/", {})
    waiting = text(client.get(page))
    assert "1 of 2" in waiting
    assert "You can try again at 09:50 UTC" in waiting
    assert "Start the quiz" not in waiting and "Try again" not in waiting
    refused = client.post(f"/courses/quiz/{school.lesson.pk}/start/", follow=True)
    assert "You can try again" in text(refused)
    with schema_context(school.tenant.schema_name):
        assert Attempt.objects.filter(quiz=school.quiz).count() == 1


def test_late_answers_are_refused_on_the_page(
    school: School, client_for: Any, time_machine: Any
) -> None:
    with schema_context(school.tenant.schema_name):
        Quiz.objects.filter(pk=school.quiz.pk).update(time_limit_minutes=1)
    client = student(school, client_for)
    client.post(f"/courses/quiz/{school.lesson.pk}/start/")
    with schema_context(school.tenant.schema_name):
        attempt = Attempt.objects.get(quiz=school.quiz)
    time_machine.move_to(T0 + timedelta(minutes=5), tick=False)
    late = client.post(
        f"/courses/quiz/attempts/{attempt.pk}/submit/", form_answers(school), follow=True
    )
    assert "Time was up" in text(late) and "<strong>0%</strong>" in text(late)


def test_strangers_other_buyers_and_the_module_off_get_404(school: School, client_for: Any) -> None:
    client = student(school, client_for)
    client.post(f"/courses/quiz/{school.lesson.pk}/start/")
    with schema_context(school.tenant.schema_name):
        attempt = Attempt.objects.get(quiz=school.quiz)
    stranger = signed_in(client_for, school.tenant, school.stranger)
    assert stranger.get(f"/courses/quiz/{school.lesson.pk}/").status_code == 404
    assert stranger.post(f"/courses/quiz/{school.lesson.pk}/start/").status_code == 404
    assert stranger.get(f"/courses/quiz/attempts/{attempt.pk}/").status_code == 404
    submitted = stranger.post(f"/courses/quiz/attempts/{attempt.pk}/submit/", form_answers(school))
    assert submitted.status_code == 404
    assert stranger.get(f"/courses/quiz/{school.rival_lesson.pk}/").status_code == 404
    with schema_context(school.tenant.schema_name):
        assert Attempt.objects.get(pk=attempt.pk).submitted_at is None
    use_public_schema()
    set_module_enabled(tenant=school.tenant, key="courses", is_enabled=False)
    assert client.get(f"/courses/quiz/{school.lesson.pk}/").status_code == 404


def test_a_seller_edits_the_quiz_in_the_studio(school: School, client_for: Any) -> None:
    owner = seller_client(client_for, school, school.seller)
    editor = f"{STUDIO}/lessons/{school.lesson.pk}/quiz/"
    shown = owner.get(editor)
    assert shown.status_code == 200
    assert text(shown).count('class="qz-editor" id="qz-q-') == 5
    assert "Jupiterquux" in text(shown)

    rules = {"pass_percent": "150", "attempt_limit": "3", "cooldown_minutes": "0",
             "time_limit_minutes": "", "questions_per_attempt": "",
             "feedback": "never"}  # fmt: skip
    refused = owner.post(f"{editor}settings/", rules)
    assert refused.status_code == 422
    assert 'id="qz-pass_percent-error"' in text(refused)
    assert 'value="150"' in text(refused) and 'value="3"' in text(refused)  # typing kept
    saved = owner.post(f"{editor}settings/", {**rules, "pass_percent": "75"})
    assert (saved.status_code, saved["Location"]) == (302, editor)
    with schema_context(school.tenant.schema_name):
        quiz = Quiz.objects.get(pk=school.quiz.pk)
    assert (quiz.pass_percent, quiz.attempt_limit, quiz.feedback) == (75, 3, "never")
    assert (quiz.time_limit_minutes, quiz.shuffle_choices) == (None, False)

    add = f"{editor}questions/"
    typed = {"kind": "single", "prompt": "Which moon is largest?", "points": "1",
             "choice-0-text": "Ganymede", "choice-1-text": "Titan"}  # fmt: skip
    no_right = owner.post(add, typed, HTTP_HX_REQUEST="true")
    assert no_right.status_code == 200
    assert 'id="qz-new-choices-error"' in text(no_right)
    assert "Which moon is largest?" in text(no_right) and 'value="Titan"' in text(no_right)
    added = owner.post(add, {**typed, "choice-0-correct": "on"}, HTTP_HX_REQUEST="true")
    assert added.status_code == 200
    assert 'hx-swap-oob="beforeend:#qz-questions"' in text(added)
    with schema_context(school.tenant.schema_name):
        moon = Question.objects.get(prompt="Which moon is largest?")
        assert [(c.text, c.is_correct) for c in moon.choices.all()] == [
            ("Ganymede", True),
            ("Titan", False),
        ]
    assert f'id="qz-q-{moon.pk}"' in text(added)

    tf = {"kind": "true_false", "prompt": "The Moon is a planet.", "points": "2",
          "true_is_right": "False"}  # fmt: skip
    edited = owner.post(f"{STUDIO}/quiz-questions/{moon.pk}/", tf, HTTP_HX_REQUEST="true")
    assert edited.status_code == 200 and "Saved." in text(edited)
    with schema_context(school.tenant.schema_name):
        moon.refresh_from_db()
        assert (moon.kind, moon.points) == ("true_false", 2)
        assert [(c.text, c.is_correct) for c in moon.choices.all()] == [
            ("True", False),
            ("False", True),
        ]
    bad = owner.post(f"{STUDIO}/quiz-questions/{moon.pk}/", {**tf, "points": "0"},
                     HTTP_HX_REQUEST="true")  # fmt: skip
    assert f'id="{moon.pk}-q-points-error"' in text(bad)
    assert "The Moon is a planet." in text(bad)

    first = school.questions[0].pk
    moved = owner.post(f"{STUDIO}/quiz-questions/{first}/move/", {"direction": "down"})
    assert moved.status_code == 302
    with schema_context(school.tenant.schema_name):
        order = list(Question.objects.filter(quiz=school.quiz).values_list("pk", flat=True))
    assert order[:2] == [school.questions[1].pk, first]
    removed = owner.post(f"{STUDIO}/quiz-questions/{moon.pk}/remove/", HTTP_HX_REQUEST="true")
    assert (removed.status_code, removed.content) == (200, b"")
    with schema_context(school.tenant.schema_name):
        assert not Question.objects.filter(pk=moon.pk).exists()


def test_the_studio_shows_item_analytics(school: School, client_for: Any) -> None:
    client = student(school, client_for)
    for right in (True, False):
        client.post(f"/courses/quiz/{school.lesson.pk}/start/")
        with schema_context(school.tenant.schema_name):
            attempt = Attempt.objects.get(quiz=school.quiz, submitted_at=None)
        client.post(
            f"/courses/quiz/attempts/{attempt.pk}/submit/", form_answers(school, right=right)
        )
    owner = seller_client(client_for, school, school.seller)
    page = text(owner.get(f"{STUDIO}/lessons/{school.lesson.pk}/quiz/"))
    rows = re.findall(r'data-item="(\d+)".*?data-asked>(\d+)<.*?data-right>(\d+)<', page)
    assert {int(q): (int(a), int(r)) for q, a, r in rows} == {
        q.pk: (2, 1) for q in school.questions
    }
    assert 'id="chart-quiz-items-data"' in page or "quiz-items" in page


def test_another_seller_gets_404_in_the_studio(school: School, client_for: Any) -> None:
    rival = seller_client(client_for, school, school.rival)
    editor = f"{STUDIO}/lessons/{school.lesson.pk}/quiz/"
    question = school.questions[0].pk
    assert rival.get(editor).status_code == 404
    assert rival.post(f"{editor}settings/", {"pass_percent": "1"}).status_code == 404
    typed = {"kind": "short", "prompt": "Mine", "points": "1", "accepted_answers": "x"}
    assert rival.post(f"{editor}questions/", typed).status_code == 404
    assert rival.post(f"{STUDIO}/quiz-questions/{question}/", typed).status_code == 404
    assert rival.post(f"{STUDIO}/quiz-questions/{question}/remove/").status_code == 404
    assert rival.post(f"{STUDIO}/quiz-questions/{question}/move/").status_code == 404
    with schema_context(school.tenant.schema_name):
        assert Question.objects.filter(quiz=school.quiz).count() == 5
        assert Quiz.objects.get(pk=school.quiz.pk).pass_percent == 60
