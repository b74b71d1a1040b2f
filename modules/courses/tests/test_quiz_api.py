"""The quiz APIs. The student's: rules and standing, start/resume, the paper, submit, their
attempts; no response carries the right answers before the attempt is submitted (asserted on
the raw bytes); feedback as the quiz's policy says. The seller's: rules and questions with
field errors, reorder, remove, item analytics counting what students answered. Not enrolled,
another buyer's attempt, another seller's quiz, another marketplace and the module off: 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from modules.courses.models import Attempt, Enrolment, Lesson, LessonProgress, Question
from modules.courses.services import quizzes
from modules.courses.tests.helpers_cquiz import (
    BANK,
    SECRETS,
    T0,
    School,
    make_school,
    seller_client,
    signed_in,
)
from tenants.schemas_sql import use_public_schema
from tenants.services.modules import set_module_enabled
from tests.accounts_helpers import call

LEARN = "/courses"
PAPER_QUERIES = 8  # session, user, module guard, attempt, questions, choices, ...
SELLER = "/courses/seller"


@pytest.fixture
def school(make_tenant: Any, time_machine: Any, django_capture_on_commit_callbacks: Any) -> School:
    return make_school(make_tenant, time_machine, django_capture_on_commit_callbacks)


def student(school: School, client_for: Any) -> Client:
    school.buy(school.buyer)
    return signed_in(client_for, school.tenant, school.buyer)


def assert_no_secrets(raw: bytes) -> None:
    for secret in SECRETS:
        assert secret.encode() not in raw, secret


def test_a_student_takes_the_quiz_and_never_sees_the_answers_first(
    school: School, client_for: Any
) -> None:
    client = student(school, client_for)
    rules = call(client, "get", f"{LEARN}/quizzes/{school.lesson.pk}")
    assert rules.status_code == 200, rules.content
    assert rules.json() | {"retry_at": None} == {
        "lesson_id": school.lesson.pk,
        "title": "Check yourself",
        "pass_percent": 60,
        "question_count": 5,
        "time_limit_minutes": None,
        "attempt_limit": None,
        "attempts_used": 0,
        "attempts_left": None,
        "retry_at": None,
        "open_attempt_id": None,
        "passed": False,
        "best_percent": None,
    }
    started = call(client, "post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts")
    assert started.status_code == 200, started.content
    assert_no_secrets(started.content)
    body = started.json()
    assert [q["kind"] for q in body["paper"]] == [
        "single",
        "multiple",
        "true_false",
        "short",
        "ordering",
    ]
    assert set(body["paper"][0]) == {"id", "kind", "prompt", "points", "choices"}
    assert all(set(c) == {"id", "text"} for q in body["paper"] for c in q["choices"])
    attempt_id = body["id"]

    again = call(client, "post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts")
    assert again.json()["id"] == attempt_id and again.json()["paper"] == body["paper"]
    shown = call(client, "get", f"/courses/quiz-attempts/{attempt_id}")
    assert shown.status_code == 200 and shown.json()["paper"] == body["paper"]
    assert_no_secrets(shown.content)
    assert_no_secrets(call(client, "get", f"{LEARN}/quizzes/{school.lesson.pk}").content)
    assert_no_secrets(call(client, "get", f"{LEARN}/quizzes/{school.lesson.pk}/attempts").content)

    done = call(
        client,
        "post",
        f"{LEARN}/quiz-attempts/{attempt_id}/submit",
        {"answers": school.right_answers()},
    )
    assert done.status_code == 200, done.content
    result = done.json()
    assert (result["score_percent"], result["passed"], result["paper"]) == (100, True, [])
    assert [f["is_right"] for f in result["feedback"]] == [True] * 5
    assert result["feedback"][0]["explanation"].startswith("Zephyrine")
    twice = call(client, "post", f"{LEARN}/quiz-attempts/{attempt_id}/submit", {"answers": []})
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "quiz_attempt_closed"
    mine = call(client, "get", f"{LEARN}/quizzes/{school.lesson.pk}/attempts").json()
    assert [(a["number"], a["score_percent"], a["passed"]) for a in mine] == [(1, 100, True)]


def test_submissions_are_bounded_and_checked(school: School, client_for: Any) -> None:
    client = student(school, client_for)
    attempt_id = call(client, "post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts").json()["id"]
    path = f"{LEARN}/quiz-attempts/{attempt_id}/submit"
    short = school.question("short")
    too_long = call(
        client, "post", path, {"answers": [{"question_id": short.pk, "text": "x" * 201}]}
    )
    assert too_long.status_code == 422
    many = [{"question_id": short.pk, "choice_ids": list(range(51))}]
    assert call(client, "post", path, {"answers": many}).status_code == 422
    foreign = call(client, "post", path, {"answers": [{"question_id": 10**9}]})
    assert foreign.status_code == 422
    assert foreign.json()["error"]["details"]["field"] == f"answers.{10**9}"
    with schema_context(school.tenant.schema_name):
        assert Attempt.objects.get(pk=attempt_id).submitted_at is None


@pytest.mark.parametrize(
    ("policy", "passes", "shown"),
    [
        ("after_submit", False, True),
        ("after_pass", False, False),
        ("after_pass", True, True),
        ("never", True, False),
    ],
)
def test_feedback_follows_the_policy(
    school: School, client_for: Any, policy: str, passes: bool, shown: bool
) -> None:
    owner = seller_client(client_for, school, school.seller)
    put = call(owner, "put", f"{SELLER}/lessons/{school.lesson.pk}/quiz", {"feedback": policy})
    assert put.status_code == 200, put.content
    client = student(school, client_for)
    attempt_id = call(client, "post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts").json()["id"]
    answers = school.right_answers() if passes else []
    done = call(client, "post", f"{LEARN}/quiz-attempts/{attempt_id}/submit", {"answers": answers})
    assert done.status_code == 200
    feedback = done.json()["feedback"]
    assert (feedback is not None) is shown
    assert done.json()["score_percent"] == (100 if passes else 0)
    if shown and not passes:
        assert [f["is_right"] for f in feedback] == [False] * 5
    if not shown:
        assert b"Zephyrine" not in done.content


def test_an_earlier_attempt_shows_feedback_once_the_quiz_is_passed(
    school: School, client_for: Any
) -> None:
    owner = seller_client(client_for, school, school.seller)
    call(owner, "put", f"{SELLER}/lessons/{school.lesson.pk}/quiz", {"feedback": "after_pass"})
    client = student(school, client_for)
    first = call(client, "post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts").json()["id"]
    call(client, "post", f"{LEARN}/quiz-attempts/{first}/submit", {"answers": []})
    assert call(client, "get", f"{LEARN}/quiz-attempts/{first}").json()["feedback"] is None
    second = call(client, "post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts").json()["id"]
    call(client, "post", f"{LEARN}/quiz-attempts/{second}/submit",
         {"answers": school.right_answers()})  # fmt: skip
    assert len(call(client, "get", f"{LEARN}/quiz-attempts/{first}").json()["feedback"]) == 5


def test_strangers_and_other_buyers_get_404(
    school: School, client_for: Any, make_tenant: Any, time_machine: Any
) -> None:
    client = student(school, client_for)
    attempt_id = call(client, "post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts").json()["id"]

    stranger = signed_in(client_for, school.tenant, school.stranger)  # did not buy
    for method, path, body in (
        ("get", f"{LEARN}/quizzes/{school.lesson.pk}", None),
        ("post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts", None),
        ("get", f"{LEARN}/quizzes/{school.lesson.pk}/attempts", None),
        ("get", f"{LEARN}/quiz-attempts/{attempt_id}", None),
        ("post", f"{LEARN}/quiz-attempts/{attempt_id}/submit", {"answers": []}),
    ):
        response = call(stranger, method, path, body)
        assert response.status_code == 404, (path, response.content)
        assert_no_secrets(response.content)
    with schema_context(school.tenant.schema_name):
        assert Attempt.objects.get(pk=attempt_id).submitted_at is None
        assert Attempt.objects.count() == 1
    anonymous = client_for(school.tenant)
    assert call(anonymous, "get", f"{LEARN}/quizzes/{school.lesson.pk}").status_code == 401

    # Another marketplace: the same ids mean nothing there.
    use_public_schema()
    other = make_school(make_tenant, time_machine, school.capture, slug="other-school")
    other.buy(other.buyer)
    elsewhere = signed_in(client_for, other.tenant, other.buyer)
    assert call(elsewhere, "get", f"{LEARN}/quiz-attempts/{attempt_id}").status_code == 404

    # The module switched off: nothing answers.
    use_public_schema()
    set_module_enabled(tenant=school.tenant, key="courses", is_enabled=False)
    assert call(client, "get", f"{LEARN}/quiz-attempts/{attempt_id}").status_code == 404
    assert call(client, "post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts").status_code == 404


def test_a_seller_authors_the_quiz_with_field_errors(school: School, client_for: Any) -> None:
    owner = seller_client(client_for, school, school.seller)
    quiz = f"{SELLER}/lessons/{school.lesson.pk}/quiz"
    bad = call(owner, "put", quiz, {"pass_percent": 101})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "pass_percent"
    bad = call(owner, "put", quiz, {"feedback": "sometimes"})
    assert bad.json()["error"]["details"]["field"] == "feedback"
    rules = {
        "pass_percent": 80,
        "attempt_limit": 3,
        "cooldown_minutes": 15,
        "time_limit_minutes": 20,
        "questions_per_attempt": 4,
        "shuffle_choices": False,
        "feedback": "never",
    }
    saved = call(owner, "put", quiz, rules)
    assert saved.status_code == 200, saved.content
    assert {k: saved.json()[k] for k in rules} == rules
    assert saved.json()["questions"][0]["choices"][0] == {
        "id": saved.json()["questions"][0]["choices"][0]["id"],
        "text": "Jupiterquux",
        "is_correct": True,
    }

    questions = f"{quiz}/questions"
    both = [{"text": "a", "is_correct": True}, {"text": "b", "is_correct": True}]
    two_right = {"kind": "single", "prompt": "Pick one", "choices": both}
    refused = call(owner, "post", questions, two_right)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "choices"
    no_answer = call(owner, "post", questions, {"kind": "short", "prompt": "Say it"})
    assert no_answer.json()["error"]["details"]["field"] == "accepted_answers"
    too_many = {"kind": "multiple", "prompt": "x",
                "choices": [{"text": str(i), "is_correct": True} for i in range(13)]}  # fmt: skip
    assert call(owner, "post", questions, too_many).status_code == 422

    hello = {"kind": "short", "prompt": "Say hello", "accepted_answers": ["hello", "hi"]}
    added = call(owner, "post", questions, hello)
    assert added.status_code == 201, added.content
    new_id = added.json()["id"]
    single = saved.json()["questions"][0]
    kept = single["choices"][0]["id"]
    edited = call(owner, "put", f"{SELLER}/quiz-questions/{single['id']}", {
        "kind": "single", "prompt": "Biggest planet?", "points": 3,
        "choices": [{"id": kept, "text": "Jupiterquux", "is_correct": True}, {"text": "Pluto"}],
    })  # fmt: skip
    assert edited.status_code == 200, edited.content
    assert [c["text"] for c in edited.json()["choices"]] == ["Jupiterquux", "Pluto"]
    assert edited.json()["choices"][0]["id"] == kept

    ids = [q["id"] for q in saved.json()["questions"]] + [new_id]
    order = call(owner, "put", f"{questions}/order", {"question_ids": ids[::-1]})
    assert order.status_code == 200
    assert [q["id"] for q in order.json()] == ids[::-1]
    missing = call(owner, "put", f"{questions}/order", {"question_ids": ids[1:]})
    assert missing.json()["error"]["details"]["field"] == "question_ids"
    assert call(owner, "delete", f"{SELLER}/quiz-questions/{new_id}").status_code == 204
    with schema_context(school.tenant.schema_name):
        assert not Question.objects.filter(pk=new_id).exists()


def test_another_seller_cannot_read_or_change_the_quiz(school: School, client_for: Any) -> None:
    rival = seller_client(client_for, school, school.rival)
    quiz = f"{SELLER}/lessons/{school.lesson.pk}/quiz"
    question = school.questions[0].pk
    short = {"kind": "short", "prompt": "Mine now", "accepted_answers": ["x"]}
    for method, path, body in (
        ("get", quiz, None),
        ("put", quiz, {"pass_percent": 1}),
        ("post", f"{quiz}/questions", short),
        ("put", f"{quiz}/questions/order", {"question_ids": [question]}),
        ("put", f"{SELLER}/quiz-questions/{question}", short),
        ("delete", f"{SELLER}/quiz-questions/{question}", None),
        ("get", f"{quiz}/analytics", None),
    ):
        response = call(rival, method, path, body)
        assert response.status_code == 404, (method, path, response.content)
    with schema_context(school.tenant.schema_name):
        assert Question.objects.get(pk=question).prompt == "Which planet is the largest?"
        assert Question.objects.filter(quiz=school.quiz).count() == 5
    # A buyer is no seller at all.
    buyer = signed_in(client_for, school.tenant, school.stranger)
    assert call(buyer, "get", quiz).status_code in (403, 404)


def test_item_analytics_count_what_students_answered(school: School, client_for: Any) -> None:
    client = student(school, client_for)
    lesson = school.lesson.pk
    right = school.right_answers()
    single = school.question("single").pk
    for answers in (right, [a for a in right if a["question_id"] != single], []):
        attempt = call(client, "post", f"{LEARN}/quizzes/{lesson}/attempts").json()["id"]
        call(client, "post", f"{LEARN}/quiz-attempts/{attempt}/submit", {"answers": answers})
    call(client, "post", f"{LEARN}/quizzes/{lesson}/attempts")  # open: not counted
    owner = seller_client(client_for, school, school.seller)
    stats = call(owner, "get", f"{SELLER}/lessons/{lesson}/quiz/analytics")
    assert stats.status_code == 200
    counted = {row["question_id"]: (row["asked"], row["right"]) for row in stats.json()}
    assert counted == {q.pk: (3, 1 if q.pk == single else 2) for q in school.questions}
    assert next(r for r in stats.json() if r["question_id"] == single)["percent_right"] == 33


def test_a_quiz_behind_a_prerequisite_says_why_it_is_locked(
    school: School, client_for: Any
) -> None:
    with schema_context(school.tenant.schema_name):
        reading = Lesson.objects.create(
            course=school.course, section=school.lesson.section, title="Read first", kind="text"
        )
        Lesson.objects.filter(pk=school.lesson.pk).update(prerequisite=reading)
    client = student(school, client_for)
    locked = call(client, "post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts")
    assert locked.status_code == 409
    assert locked.json()["error"]["code"] == "lesson_locked"
    assert "Read first" in locked.json()["error"]["message"]
    page = client.get(f"/courses/quiz/{school.lesson.pk}/")
    assert page.status_code == 200 and b"Read first" in page.content
    assert b"Start the quiz" not in page.content
    with schema_context(school.tenant.schema_name):
        assert not Attempt.objects.exists()
        enrolment = Enrolment.objects.get(buyer=school.buyer)
        LessonProgress.objects.create(enrolment=enrolment, lesson=reading, completed_at=T0)
    opened = call(client, "post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts")
    assert opened.status_code == 200, opened.content


def test_the_paper_costs_the_same_queries_whatever_its_length(
    school: School, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = student(school, client_for)
    first = call(client, "post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts").json()["id"]
    with django_assert_max_num_queries(PAPER_QUERIES):
        assert call(client, "get", f"{LEARN}/quiz-attempts/{first}").status_code == 200
    call(client, "post", f"{LEARN}/quiz-attempts/{first}/submit", {"answers": []})
    with schema_context(school.tenant.schema_name):
        for data in BANK * 4:  # 25 questions
            quizzes.add_question(seller_id=school.seller.pk, lesson_id=school.lesson.pk, data=data)
    second = call(client, "post", f"{LEARN}/quizzes/{school.lesson.pk}/attempts").json()
    assert len(second["paper"]) == 25
    with django_assert_max_num_queries(PAPER_QUERIES):
        assert call(client, "get", f"{LEARN}/quiz-attempts/{second['id']}").status_code == 200
