"""Races, on committed data with a connection per thread: two tabs pressing "Start" at once
get the same attempt (one row), and two submissions of one attempt at once grade it once.
Both tests share the student's open attempt (the second resumes what the first started)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.errors import DomainError
from modules.courses.models import Attempt
from modules.courses.services import attempts
from modules.courses.services.attempts import Answer
from modules.courses.tests.helpers_cquiz import School
from tenants.schemas_sql import use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.browser.conftest import _delete_marketplace
from tests.concurrency import run_together
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG = "quiz-race-school"
# A committed marketplace is provisioned (and the pool refilled) once for the module.
pytestmark = pytest.mark.slow


class _Provisioned:
    def __init__(self, tenant: Any) -> None:
        self.tenant = tenant


def _provision(slug: str, **options: Any) -> _Provisioned:
    tenant = provision_tenant(
        slug=slug,
        name="Race School",
        owner_email=f"owner@{slug}.example",
        owner_password=None,
        modules=options.get("modules", ["courses"]),
    ).tenant
    use_public_schema()
    return _Provisioned(tenant)


@pytest.fixture(scope="module")
def committed_school(django_db_setup: None, django_db_blocker: Any) -> Iterator[School]:
    with django_db_blocker.unblock():
        _delete_marketplace(SLUG)
        # Outside a test transaction, fulfilment runs on commit by itself.
        school = School(_provision, SLUG, lambda execute=True: contextlib.nullcontext())
        school.buy(school.buyer)
        use_public_schema()
        try:
            yield school
        finally:
            _delete_marketplace(SLUG)
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


def test_two_starts_at_once_share_one_attempt(
    committed_school: School, django_db_blocker: Any
) -> None:
    school = committed_school

    def start() -> Any:
        with schema_context(school.tenant.schema_name):
            return attempts.start(user_id=school.buyer.pk, lesson_id=school.lesson.pk)

    with django_db_blocker.unblock():
        results = run_together([start, start])
        assert all(isinstance(r, Attempt) for r in results), results
        assert results[0].pk == results[1].pk
        with schema_context(school.tenant.schema_name):
            assert Attempt.objects.filter(quiz=school.quiz).count() == 1
        use_public_schema()


def test_two_submissions_at_once_grade_once(
    committed_school: School, django_db_blocker: Any
) -> None:
    school = committed_school
    with django_db_blocker.unblock():
        with schema_context(school.tenant.schema_name):
            attempt = attempts.start(user_id=school.buyer.pk, lesson_id=school.lesson.pk)
        right = [
            Answer(a["question_id"], a.get("choice_ids", []), a.get("text", ""))
            for a in school.right_answers()
        ]

        def submit(answers: list[Answer]) -> Any:
            with schema_context(school.tenant.schema_name):
                return attempts.submit(
                    user_id=school.buyer.pk, attempt_id=attempt.pk, answers=answers
                )

        calls: list[Callable[[], Any]] = [partial(submit, right), partial(submit, [])]
        results = run_together(calls)
        graded = [r for r in results if isinstance(r, Attempt)]
        refused = [r for r in results if isinstance(r, DomainError)]
        assert len(graded) == 1 and len(refused) == 1, results
        assert refused[0].code == "quiz_attempt_closed"
        with schema_context(school.tenant.schema_name):
            stored = Attempt.objects.get(pk=attempt.pk)
            assert stored.score_percent == graded[0].score_percent
        use_public_schema()
