"""Taking a quiz, graded on the server: every kind of question (short answers compared after
folding case, spaces and accents), points-weighted scores and the pass mark, the attempt
limit, the cooldown and the time limit on a controlled clock, questions drawn at random and
options shuffled once per attempt (a resumed attempt shows the same paper), passing marks the
lesson complete; and the author's rules refused beside the field."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.errors import DomainError
from modules.courses.errors import CourseErrorCode
from modules.courses.models import Attempt, LessonProgress, Question, Quiz
from modules.courses.services import attempts, quizzes
from modules.courses.services.attempts import Answer, normalise
from modules.courses.services.quizzes import ChoiceData, QuestionData
from modules.courses.tests.helpers_cquiz import T0, School, make_school


@pytest.fixture
def school(make_tenant: Any, time_machine: Any, django_capture_on_commit_callbacks: Any) -> School:
    return make_school(make_tenant, time_machine, django_capture_on_commit_callbacks)


def right(school: School) -> list[Answer]:
    return [Answer(a["question_id"], a.get("choice_ids", []), a.get("text", ""))
            for a in school.right_answers()]  # fmt: skip


def start(school: School, **kwargs: Any) -> Attempt:
    with schema_context(school.tenant.schema_name):
        return attempts.start(user_id=school.buyer.pk, lesson_id=school.lesson.pk, **kwargs)


def submit(school: School, attempt: Attempt, answers: list[Answer], **kwargs: Any) -> Attempt:
    with schema_context(school.tenant.schema_name):
        return attempts.submit(
            user_id=school.buyer.pk, attempt_id=attempt.pk, answers=answers, **kwargs
        )


def set_quiz(school: School, **fields: Any) -> None:
    with schema_context(school.tenant.schema_name):
        Quiz.objects.filter(pk=school.quiz.pk).update(**fields)


def test_short_answers_compare_without_case_spaces_or_accents() -> None:
    assert normalise("  Reykjavík   CITY ") == "reykjavik city"
    assert normalise("ÉCOLE") == normalise("ecole") == "ecole"
    assert normalise("Straße") == "strasse"


def test_every_kind_is_graded_on_the_server(school: School) -> None:
    school.buy(school.buyer)
    attempt = start(school)
    done = submit(school, attempt, right(school))
    assert (done.score_percent, done.passed) == (100, True)
    assert set(done.results.values()) == {True}

    single, multiple = school.question("single"), school.question("multiple")
    truth, short, ordering = (
        school.question("true_false"),
        school.question("short"),
        school.question("ordering"),
    )
    with schema_context(school.tenant.schema_name):
        cases = [
            (single, [c.pk for c in single.choices.all() if not c.is_correct][:1], ""),
            # multiple: a subset of the right ones is wrong, so is a superset
            (multiple, [c.pk for c in multiple.choices.all() if c.is_correct][:1], ""),
            (multiple, [c.pk for c in multiple.choices.all()], ""),
            (truth, [c.pk for c in truth.choices.all() if not c.is_correct], ""),
            (short, [], "Reykjavik"),  # not one of the accepted answers
            (ordering, [c.pk for c in ordering.choices.all()][::-1], ""),
        ]
    for question, ids, text in cases:
        set_quiz(school, attempt_limit=None, cooldown_minutes=0)
        fresh = start(school)
        answers = [a for a in right(school) if a.question_id != question.pk]
        answers.append(Answer(question.pk, ids, text))
        graded = submit(school, fresh, answers)
        assert graded.results[str(question.pk)] is False, question.kind
        assert [k for k, v in graded.results.items() if not v] == [str(question.pk)]

    # Points weigh: the single-choice question is worth 2 of 6 points.
    set_quiz(school, pass_percent=70)
    fresh = start(school)
    graded = submit(school, fresh, [a for a in right(school) if a.question_id != single.pk])
    assert (graded.score_percent, graded.passed) == (66, False)  # 4/6, floored
    unanswered = submit(school, start(school), [])
    assert (unanswered.score_percent, unanswered.passed) == (0, False)


def test_passing_completes_the_quiz_lesson(school: School) -> None:
    enrolment = school.buy(school.buyer)
    failed = submit(school, start(school), [])
    with schema_context(school.tenant.schema_name):
        assert not failed.passed
        assert not LessonProgress.objects.filter(enrolment=enrolment).exists()
    submit(school, start(school), right(school))
    with schema_context(school.tenant.schema_name):
        progress = LessonProgress.objects.get(enrolment=enrolment, lesson=school.lesson)
        assert progress.completed_at == T0
        enrolment.refresh_from_db()  # the course's only lesson: the course is done
        assert (enrolment.progress_percent, enrolment.completed_at) == (100, T0)


def test_the_attempt_limit_and_the_cooldown(school: School, time_machine: Any) -> None:
    school.buy(school.buyer)
    set_quiz(school, attempt_limit=2, cooldown_minutes=30)
    submit(school, start(school), [])
    with pytest.raises(DomainError) as cooling:
        start(school)
    assert cooling.value.code == CourseErrorCode.COOLDOWN
    assert cooling.value.details == {"retry_at": (T0 + timedelta(minutes=30)).isoformat()}
    time_machine.move_to(T0 + timedelta(minutes=29, seconds=59), tick=False)
    with pytest.raises(DomainError):
        start(school)
    time_machine.move_to(T0 + timedelta(minutes=30), tick=False)
    second = start(school)
    assert second.number == 2
    submit(school, second, [])
    time_machine.move_to(T0 + timedelta(days=2), tick=False)
    with pytest.raises(DomainError) as used_up:
        start(school)
    assert used_up.value.code == CourseErrorCode.ATTEMPT_LIMIT
    with schema_context(school.tenant.schema_name):
        state = attempts.state(user_id=school.buyer.pk, lesson_id=school.lesson.pk)
        assert (state.attempts_used, state.attempts_left, state.retry_at) == (2, 0, None)
        assert Attempt.objects.filter(quiz=school.quiz).count() == 2


def test_the_time_limit_refuses_late_answers(school: School, time_machine: Any) -> None:
    school.buy(school.buyer)
    set_quiz(school, time_limit_minutes=10)
    attempt = start(school)
    assert attempt.deadline_at == T0 + timedelta(minutes=10)
    # Within the grace: graded.
    time_machine.move_to(T0 + timedelta(minutes=10, seconds=30), tick=False)
    assert submit(school, attempt, right(school)).score_percent == 100

    time_machine.move_to(T0 + timedelta(hours=1), tick=False)
    late = start(school)
    time_machine.move_to(T0 + timedelta(hours=1, minutes=12), tick=False)
    with pytest.raises(DomainError) as closed:
        submit(school, late, right(school))
    assert closed.value.code == CourseErrorCode.ATTEMPT_CLOSED
    with schema_context(school.tenant.schema_name):
        late.refresh_from_db()
    assert late.submitted_at == late.deadline_at == T0 + timedelta(hours=1, minutes=10)
    assert (late.score_percent, late.passed, late.answers) == (0, False, {})
    with pytest.raises(DomainError) as again:
        submit(school, late, right(school))
    assert again.value.code == CourseErrorCode.ATTEMPT_CLOSED


def test_an_expired_open_attempt_closes_when_the_student_returns(
    school: School, time_machine: Any
) -> None:
    school.buy(school.buyer)
    set_quiz(school, time_limit_minutes=5)
    first = start(school)
    time_machine.move_to(T0 + timedelta(minutes=20), tick=False)
    second = start(school)
    assert second.pk != first.pk and second.number == 2
    with schema_context(school.tenant.schema_name):
        first.refresh_from_db()
    assert first.submitted_at == T0 + timedelta(minutes=5) and first.score_percent == 0


def test_questions_are_drawn_and_shuffled_once_per_attempt(school: School) -> None:
    school.buy(school.buyer)
    set_quiz(school, questions_per_attempt=3, shuffle_choices=True)
    attempt = start(school, rng=random.Random(7))
    with schema_context(school.tenant.schema_name):
        paper = attempts.paper_of(attempt)
        assert len(paper) == 3
        bank = {q.pk: q for q in Question.objects.filter(quiz=school.quiz)}
        positions = [bank[q.id].position for q in paper]
        assert positions == sorted(positions)  # drawn, shown in the bank's order
        for shown in paper:
            if shown.kind == "ordering":  # never starts in the right order
                right_order = [c.pk for c in bank[shown.id].choices.all()]
                assert [c.id for c in shown.choices] != right_order
        resumed = start(school, rng=random.Random(99))
        assert resumed.pk == attempt.pk
        assert attempts.paper_of(resumed) == paper
    # Different draws over many attempts: every question turns up, options in new orders.
    seen: set[int] = set()
    orders: set[tuple[int, ...]] = set()
    single = school.question("single")
    submit(school, attempt, [])
    for seed in range(12):
        fresh = start(school, rng=random.Random(seed))
        with schema_context(school.tenant.schema_name):
            for shown in attempts.paper_of(fresh):
                seen.add(shown.id)
                if shown.id == single.pk:
                    orders.add(tuple(c.id for c in shown.choices))
        submit(school, fresh, [])
    assert seen == {q.pk for q in school.questions}
    assert len(orders) > 1


def test_options_stay_in_the_authors_order_when_not_shuffled(school: School) -> None:
    school.buy(school.buyer)
    set_quiz(school, shuffle_choices=False)
    attempt = start(school, rng=random.Random(3))
    single = school.question("single")
    with schema_context(school.tenant.schema_name):
        shown = next(q for q in attempts.paper_of(attempt) if q.id == single.pk)
        assert [c.text for c in shown.choices] == ["Jupiterquux", "Mars", "Venus"]


def test_answers_off_the_paper_are_refused(school: School) -> None:
    school.buy(school.buyer)
    attempt = start(school)
    single = school.question("single")
    with pytest.raises(DomainError) as foreign:
        submit(school, attempt, [Answer(single.pk, [school.question("multiple").pk * 1000])])
    assert foreign.value.code == CourseErrorCode.INVALID_ANSWER
    assert foreign.value.details == {"field": f"answers.{single.pk}"}
    with pytest.raises(DomainError):
        submit(school, attempt, [Answer(single.pk), Answer(single.pk)])


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (QuestionData("single", "Q", choices=[ChoiceData("a", True), ChoiceData("b", True)]),
         "choices"),
        (QuestionData("single", "Q", choices=[ChoiceData("a"), ChoiceData("b")]), "choices"),
        (QuestionData("multiple", "Q", choices=[ChoiceData("a"), ChoiceData("b")]), "choices"),
        (QuestionData("true_false", "Q", choices=[ChoiceData("Yes", True), ChoiceData("No")]),
         "choices"),
        (QuestionData("true_false", "Q", choices=[ChoiceData("True"), ChoiceData("False")]),
         "choices"),
        (QuestionData("ordering", "Q", choices=[ChoiceData("only")]), "choices"),
        (QuestionData("short", "Q", accepted_answers=["  "]), "accepted_answers"),
        (QuestionData("short", " ", accepted_answers=["x"]), "prompt"),
        (QuestionData("essay", "Q"), "kind"),
        (QuestionData("short", "Q", points=0, accepted_answers=["x"]), "points"),
    ],
)  # fmt: skip
def test_the_author_gets_field_errors(school: School, data: QuestionData, field: str) -> None:
    with schema_context(school.tenant.schema_name), pytest.raises(DomainError) as refused:
        quizzes.add_question(seller_id=school.seller.pk, lesson_id=school.lesson.pk, data=data)
    assert refused.value.details == {"field": field}
    with schema_context(school.tenant.schema_name):
        assert Question.objects.filter(quiz=school.quiz).count() == len(school.questions)


def test_another_seller_cannot_author_the_quiz(school: School) -> None:
    data = QuestionData("short", "Q", accepted_answers=["x"])
    with schema_context(school.tenant.schema_name):
        for call in (
            lambda: quizzes.add_question(
                seller_id=school.rival.pk, lesson_id=school.lesson.pk, data=data
            ),
            lambda: quizzes.update_question(
                seller_id=school.rival.pk, question_id=school.questions[0].pk, data=data
            ),
            lambda: quizzes.remove_question(
                seller_id=school.rival.pk, question_id=school.questions[0].pk
            ),
            lambda: quizzes.update_settings(
                seller_id=school.rival.pk, lesson_id=school.lesson.pk, data=quizzes.QuizSettings()
            ),
            lambda: quizzes.item_analytics(seller_id=school.rival.pk, lesson_id=school.lesson.pk),
        ):
            with pytest.raises(DomainError) as hidden:
                call()
            assert hidden.value.code == CourseErrorCode.NOT_FOUND
        assert Question.objects.get(pk=school.questions[0].pk).prompt.startswith("Which")
