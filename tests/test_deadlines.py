"""Per-object deadlines (core/deadlines): scheduled in a tenant's schema, fired once by the
sweeper at or after their time, moved by re-scheduling, stopped by cancelling; retried and then
failed when the handler raises; run again, once, after a worker died mid-handler; never fired
twice by two sweepers; invisible to other marketplaces; module handlers fire only where the
module is on; listed for operators with the second factor.

The clock is the sweep's ``now=``; the handlers count their committed runs (one AlphaItem
named after the key per run), which is what "fired exactly once" means."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_tenants.utils import schema_context

from core.accounts.models import Role
from core.deadlines import conf
from core.deadlines.errors import DeadlineError, DeadlineErrorCode
from core.deadlines.models import Deadline, DeadlineStatus
from core.deadlines.registry import DueDeadline, deadline_handler, find_handler
from core.deadlines.services import cancel_deadline, schedule_deadline
from core.deadlines.sweep import Outcome, SweepResult, claim_due, fire_claim, sweep_due_deadlines
from core.deadlines.tasks import sweep_deadlines
from core.errors import ErrorKind
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tenants.services.modules import set_module_enabled
from tenants.tasks import fan_out
from tests.accounts_helpers import call, make_user, sign_in, signed_in_operator
from tests.concurrency import run_together
from tests.fleet_helpers import TEST_POOL_SIZE
from tests.testmodules.alpha.models import AlphaItem

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)

# --- core handlers of this test (defined outside any module: they fire in every tenant) -------

received: list[DueDeadline] = []


@deadline_handler("deadline_tests.record")
def record(deadline: DueDeadline) -> None:
    received.append(deadline)
    AlphaItem.objects.create(name=deadline.key, quantity=deadline.attempt)


@deadline_handler("deadline_tests.always_fails")
def always_fails(deadline: DueDeadline) -> None:
    received.append(deadline)
    AlphaItem.objects.create(name=deadline.key)  # rolled back with the failure
    raise RuntimeError(f"partner is down (attempt {deadline.attempt})")


class WorkerKilled(BaseException):
    """What a killed worker looks like from inside: not an Exception, so nothing records an
    outcome and every open transaction is rolled back."""


@deadline_handler("deadline_tests.dies_first_time")
def dies_first_time(deadline: DueDeadline) -> None:
    AlphaItem.objects.create(name=deadline.key, quantity=deadline.attempt)
    if deadline.attempt == 1:
        raise WorkerKilled


@deadline_handler("deadline_tests.always_dies")
def always_dies(deadline: DueDeadline) -> None:
    AlphaItem.objects.create(name=deadline.key)
    raise WorkerKilled


inside_handler = threading.Event()
may_finish = threading.Event()


@deadline_handler("deadline_tests.waits")
def waits(deadline: DueDeadline) -> None:
    AlphaItem.objects.create(name=deadline.key, quantity=deadline.attempt)
    inside_handler.set()
    assert may_finish.wait(timeout=30)


@deadline_handler("deadline_tests.slow")
def slow(deadline: DueDeadline) -> None:
    AlphaItem.objects.create(name=deadline.key, quantity=deadline.attempt)
    time.sleep(0.01)


@pytest.fixture(autouse=True)
def _forget_received() -> None:
    received.clear()


def schedule(
    tenant: Tenant,
    key: str,
    at: datetime = T0,
    task: str = "alpha.count",
    payload: dict[str, Any] | None = None,
) -> Deadline:
    with schema_context(tenant.schema_name):
        return schedule_deadline(key=key, at=at, task=task, payload=payload or {})


def sweep(tenant: Tenant, now: datetime) -> SweepResult:
    with schema_context(tenant.schema_name):
        return sweep_due_deadlines(now=now)


def runs(tenant: Tenant, key: str) -> int:
    """Committed runs of the handler for ``key`` in ``tenant``."""
    with schema_context(tenant.schema_name):
        return AlphaItem.objects.filter(name=key).count()


def row(tenant: Tenant, key: str) -> Deadline:
    with schema_context(tenant.schema_name):
        return Deadline.objects.get(key=key)


# --- firing once, moving, cancelling -------------------------------------------------------------


def test_a_deadline_fires_once_at_its_time_and_not_before(tenant_a):
    schedule(tenant_a, "order:1:auto-accept", payload={"order_id": 1})

    assert sweep(tenant_a, T0 - SECOND) == SweepResult()
    assert runs(tenant_a, "order:1:auto-accept") == 0
    assert row(tenant_a, "order:1:auto-accept").status == DeadlineStatus.PENDING

    assert sweep(tenant_a, T0) == SweepResult(fired=1)
    assert sweep(tenant_a, T0 + timedelta(days=30)) == SweepResult()

    assert runs(tenant_a, "order:1:auto-accept") == 1
    fired = row(tenant_a, "order:1:auto-accept")
    assert (fired.status, fired.fired_at, fired.attempts, fired.last_error) == (
        DeadlineStatus.FIRED,
        T0,
        1,
        "",
    )
    assert fired.claim_token is None


def test_the_handler_receives_the_deadline_as_scheduled(tenant_a):
    schedule(tenant_a, "session:7:remind", task="deadline_tests.record", payload={"id": 7})

    sweep(tenant_a, T0)

    assert received == [
        DueDeadline(
            key="session:7:remind",
            task="deadline_tests.record",
            payload={"id": 7},
            at=T0,
            attempt=1,
        )
    ]


def test_rescheduling_the_same_key_moves_it(tenant_a):
    first = schedule(tenant_a, "session:7:remind", task="deadline_tests.record", payload={"v": 1})
    later = T0 + timedelta(hours=3)
    moved = schedule(
        tenant_a, "session:7:remind", at=later, task="deadline_tests.record", payload={"v": 2}
    )

    assert moved.pk == first.pk
    assert moved.created_at == first.created_at
    assert sweep(tenant_a, T0 + timedelta(hours=1)) == SweepResult()
    assert received == []

    assert sweep(tenant_a, later) == SweepResult(fired=1)
    assert [(d.payload, d.at) for d in received] == [({"v": 2}, later)]
    with schema_context(tenant_a.schema_name):
        assert Deadline.objects.count() == 1


def test_a_fired_deadline_fires_again_only_when_scheduled_again(tenant_a):
    schedule(tenant_a, "milestone:3:release")
    sweep(tenant_a, T0)
    assert sweep(tenant_a, T0 + timedelta(days=1)) == SweepResult()

    again = schedule(tenant_a, "milestone:3:release", at=T0 + timedelta(days=14))

    assert (again.status, again.attempts, again.fired_at) == (DeadlineStatus.PENDING, 0, None)
    assert sweep(tenant_a, T0 + timedelta(days=13)) == SweepResult()
    assert sweep(tenant_a, T0 + timedelta(days=14)) == SweepResult(fired=1)
    assert runs(tenant_a, "milestone:3:release") == 2


def test_cancelling_prevents_firing(tenant_a):
    schedule(tenant_a, "dispute:5:default")

    with schema_context(tenant_a.schema_name):
        assert cancel_deadline(key="dispute:5:default") is True
        assert cancel_deadline(key="dispute:5:default") is False
        assert cancel_deadline(key="no-such-key") is False

    assert sweep(tenant_a, T0 + timedelta(days=10)) == SweepResult()
    assert runs(tenant_a, "dispute:5:default") == 0
    cancelled = row(tenant_a, "dispute:5:default")
    assert cancelled.status == DeadlineStatus.CANCELLED
    assert cancelled.cancelled_at is not None


def test_a_fired_deadline_cannot_be_cancelled(tenant_a):
    schedule(tenant_a, "order:2:auto-accept")
    sweep(tenant_a, T0)

    with schema_context(tenant_a.schema_name):
        assert cancel_deadline(key="order:2:auto-accept") is False
    assert row(tenant_a, "order:2:auto-accept").status == DeadlineStatus.FIRED


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"task": "gigs.no_such_handler"}, DeadlineErrorCode.UNKNOWN_TASK),
        ({"key": "has a space"}, DeadlineErrorCode.INVALID_KEY),
        ({"key": ""}, DeadlineErrorCode.INVALID_KEY),
        ({"key": "k" * 201}, DeadlineErrorCode.INVALID_KEY),
        ({"at": datetime(2030, 1, 1, 12, 0)}, DeadlineErrorCode.INVALID_TIME),
        ({"payload": {"when": T0}}, DeadlineErrorCode.INVALID_PAYLOAD),
        ({"payload": {"blob": "x" * 20_000}}, DeadlineErrorCode.INVALID_PAYLOAD),
    ],
)
def test_a_bad_schedule_is_refused_and_stores_nothing(tenant_a, changes, code):
    arguments = {"key": "order:1:auto-accept", "at": T0, "task": "alpha.count", "payload": {}}
    arguments.update(changes)

    with schema_context(tenant_a.schema_name):
        with pytest.raises(DeadlineError) as refused:
            schedule_deadline(**arguments)
        assert refused.value.code == code
        assert refused.value.kind == ErrorKind.BAD_REQUEST
        assert Deadline.objects.count() == 0


# --- failures and dead workers ---------------------------------------------------------------------


def test_a_failing_handler_is_retried_with_backoff_then_marked_failed(tenant_a):
    schedule(tenant_a, "webhook:9", task="deadline_tests.always_fails")
    assert conf.max_attempts() == 5
    now = T0
    for attempt, delay_seconds in enumerate([60, 120, 240, 480], start=1):
        assert sweep(tenant_a, now) == SweepResult(retrying=1)
        waiting = row(tenant_a, "webhook:9")
        assert (waiting.status, waiting.attempts) == (DeadlineStatus.PENDING, attempt)
        assert waiting.next_attempt_at == now + timedelta(seconds=delay_seconds)
        assert waiting.last_error == f"RuntimeError: partner is down (attempt {attempt})"
        assert sweep(tenant_a, waiting.next_attempt_at - SECOND) == SweepResult()
        now = waiting.next_attempt_at

    assert sweep(tenant_a, now) == SweepResult(failed=1)
    assert sweep(tenant_a, now + timedelta(days=30)) == SweepResult()

    failed = row(tenant_a, "webhook:9")
    assert (failed.status, failed.attempts, failed.fired_at) == (DeadlineStatus.FAILED, 5, None)
    assert failed.last_error == "RuntimeError: partner is down (attempt 5)"
    assert [d.attempt for d in received] == [1, 2, 3, 4, 5]
    assert runs(tenant_a, "webhook:9") == 0  # every attempt's writes were rolled back


def test_a_worker_dying_mid_handler_is_retried_after_the_lease_and_fires_once(tenant_a):
    schedule(tenant_a, "order:3:auto-accept", task="deadline_tests.dies_first_time")

    with pytest.raises(WorkerKilled):
        sweep(tenant_a, T0)

    claimed = row(tenant_a, "order:3:auto-accept")
    assert (claimed.status, claimed.attempts, claimed.claimed_at) == (
        DeadlineStatus.RUNNING,
        1,
        T0,
    )
    assert runs(tenant_a, "order:3:auto-accept") == 0  # the handler's write never committed

    lease_over = T0 + conf.lease()
    assert sweep(tenant_a, lease_over - SECOND) == SweepResult()  # still someone's claim
    assert sweep(tenant_a, lease_over) == SweepResult(fired=1)
    assert sweep(tenant_a, lease_over + timedelta(hours=1)) == SweepResult()

    with schema_context(tenant_a.schema_name):
        assert list(
            AlphaItem.objects.filter(name="order:3:auto-accept").values_list("quantity", flat=True)
        ) == [2]
    fired = row(tenant_a, "order:3:auto-accept")
    assert (fired.status, fired.attempts, fired.fired_at) == (DeadlineStatus.FIRED, 2, lease_over)


def test_a_deadline_whose_worker_dies_every_time_ends_failed(tenant_a):
    schedule(tenant_a, "poison", task="deadline_tests.always_dies")
    now = T0
    for _ in range(conf.max_attempts()):
        with pytest.raises(WorkerKilled):
            sweep(tenant_a, now)
        now += conf.lease()

    assert sweep(tenant_a, now) == SweepResult(failed=1)

    failed = row(tenant_a, "poison")
    assert (failed.status, failed.attempts) == (DeadlineStatus.FAILED, 5)
    assert failed.last_error == "The worker stopped before recording an outcome, 5 times."
    assert runs(tenant_a, "poison") == 0


def test_a_stalled_claim_is_not_fired_after_another_sweeper_took_it_over(tenant_a):
    schedule(tenant_a, "order:4:auto-accept")
    with schema_context(tenant_a.schema_name):
        stalled = claim_due(tasks=["alpha.count"], now=T0, size=1).claims  # then it stalls
    assert len(stalled) == 1

    assert sweep(tenant_a, T0 + conf.lease()) == SweepResult(fired=1)
    with schema_context(tenant_a.schema_name):
        assert fire_claim(stalled[0], now=T0 + 2 * conf.lease()) == Outcome.SKIPPED

    assert runs(tenant_a, "order:4:auto-accept") == 1
    assert row(tenant_a, "order:4:auto-accept").attempts == 2


def test_rescheduling_or_cancelling_a_claimed_deadline_overtakes_the_claim(tenant_a):
    schedule(tenant_a, "order:5:auto-accept")
    schedule(tenant_a, "order:6:auto-accept")
    with schema_context(tenant_a.schema_name):
        moved_claim, cancelled_claim = claim_due(tasks=["alpha.count"], now=T0, size=2).claims
        schedule_deadline(
            key="order:5:auto-accept", at=T0 + timedelta(days=1), task="alpha.count", payload={}
        )
        assert cancel_deadline(key="order:6:auto-accept") is True

        assert fire_claim(moved_claim, now=T0) == Outcome.SKIPPED
        assert fire_claim(cancelled_claim, now=T0) == Outcome.SKIPPED

    assert runs(tenant_a, "order:5:auto-accept") == runs(tenant_a, "order:6:auto-accept") == 0
    assert row(tenant_a, "order:5:auto-accept").status == DeadlineStatus.PENDING
    assert row(tenant_a, "order:6:auto-accept").status == DeadlineStatus.CANCELLED
    assert sweep(tenant_a, T0 + timedelta(days=1)) == SweepResult(fired=1)
    assert runs(tenant_a, "order:5:auto-accept") == 1


# --- concurrent sweepers (real commits, one connection per thread) ------------------------------

RACE_SLUG = "deadline-race"
RACE_SCHEMA = "t_deadline_race"


def _drop_race_tenant() -> None:
    Domain.objects.filter(tenant__slug=RACE_SLUG).delete()
    Tenant.objects.filter(slug=RACE_SLUG).delete()
    drop_schema(RACE_SCHEMA)


@pytest.fixture
def committed_tenant(django_db_setup: None, django_db_blocker: Any) -> Iterator[Tenant]:
    with django_db_blocker.unblock():
        _drop_race_tenant()
        tenant = provision_tenant(
            slug=RACE_SLUG, name="Deadline Race", owner_email="o@race.example", owner_password=None
        ).tenant
        use_public_schema()
        yield tenant
        use_public_schema()
        _drop_race_tenant()
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


def test_two_sweeps_at_once_fire_each_deadline_once(committed_tenant, django_db_blocker):
    keys = [f"order:{number}:auto-accept" for number in range(40)]
    with django_db_blocker.unblock():
        for key in keys:
            schedule(committed_tenant, key, task="deadline_tests.slow")

        results = run_together([lambda: sweep(committed_tenant, T0)] * 2)

        assert all(isinstance(result, SweepResult) for result in results), results
        assert sum(result.fired for result in results) == 40
        assert sum(result.skipped for result in results) == 0
        with schema_context(RACE_SCHEMA):
            assert sorted(AlphaItem.objects.values_list("name", flat=True)) == sorted(keys)
            assert set(Deadline.objects.values_list("status", "attempts")) == {
                (DeadlineStatus.FIRED, 1)
            }


def test_a_handler_slower_than_the_lease_is_not_run_twice(committed_tenant, django_db_blocker):
    inside_handler.clear()
    may_finish.clear()

    def second_sweeper_after_the_lease() -> SweepResult:
        assert inside_handler.wait(timeout=30)
        try:
            return sweep(committed_tenant, T0 + conf.lease() + timedelta(minutes=1))
        finally:
            may_finish.set()

    with django_db_blocker.unblock():
        schedule(committed_tenant, "session:1:remind", task="deadline_tests.waits")

        first, second = run_together(
            [lambda: sweep(committed_tenant, T0), second_sweeper_after_the_lease]
        )

        assert (first, second) == (SweepResult(fired=1), SweepResult())
        assert runs(committed_tenant, "session:1:remind") == 1
        assert row(committed_tenant, "session:1:remind").attempts == 1


def test_rescheduling_while_the_handler_runs_waits_for_it_and_then_moves_it(
    committed_tenant, django_db_blocker
):
    inside_handler.clear()
    may_finish.clear()
    later = T0 + timedelta(days=1)

    def reschedule_meanwhile() -> Deadline:
        assert inside_handler.wait(timeout=30)
        threading.Timer(0.3, may_finish.set).start()  # the handler ends while we wait
        return schedule(committed_tenant, "session:2:remind", at=later, task="deadline_tests.waits")

    with django_db_blocker.unblock():
        schedule(committed_tenant, "session:2:remind", task="deadline_tests.waits")

        fired, moved = run_together([lambda: sweep(committed_tenant, T0), reschedule_meanwhile])

        assert fired == SweepResult(fired=1)
        assert (moved.status, moved.at, moved.attempts) == (DeadlineStatus.PENDING, later, 0)
        assert row(committed_tenant, "session:2:remind").status == DeadlineStatus.PENDING
        assert runs(committed_tenant, "session:2:remind") == 1
        may_finish.set()
        assert sweep(committed_tenant, later) == SweepResult(fired=1)
        assert runs(committed_tenant, "session:2:remind") == 2


# --- tenants and modules -------------------------------------------------------------------------


def test_a_deadline_never_fires_in_another_marketplace(tenant_a, tenant_b):
    schedule(tenant_a, "order:1:auto-accept")

    assert sweep(tenant_b, T0 + timedelta(days=1)) == SweepResult()
    assert row(tenant_a, "order:1:auto-accept").status == DeadlineStatus.PENDING
    assert runs(tenant_b, "order:1:auto-accept") == 0

    # Keys are unique per marketplace: the same key in B is B's own deadline.
    schedule(tenant_b, "order:1:auto-accept", at=T0 + timedelta(days=2))
    assert sweep(tenant_a, T0) == SweepResult(fired=1)
    assert row(tenant_b, "order:1:auto-accept").status == DeadlineStatus.PENDING
    assert runs(tenant_b, "order:1:auto-accept") == 0


def test_a_module_handler_fires_only_where_the_module_is_on(tenant_a):
    set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=False)
    schedule(tenant_a, "alpha-owned")
    schedule(tenant_a, "core-owned", task="deadline_tests.record")

    assert sweep(tenant_a, T0) == SweepResult(fired=1)  # the core handler only
    assert runs(tenant_a, "core-owned") == 1
    assert runs(tenant_a, "alpha-owned") == 0
    assert row(tenant_a, "alpha-owned").status == DeadlineStatus.PENDING

    set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=True)
    assert sweep(tenant_a, T0 + SECOND) == SweepResult(fired=1)
    assert runs(tenant_a, "alpha-owned") == 1


def test_the_beat_sweeps_every_marketplace_in_its_own_schema(tenant_a, tenant_b):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-deadlines"]
    assert (entry["task"], list(entry["args"])) == (
        "tenants.tasks.fan_out",
        [sweep_deadlines.name],
    )
    past = datetime.now(tz=UTC) - timedelta(minutes=1)
    schedule(tenant_a, "order:1:auto-accept", at=past)
    schedule(tenant_b, "order:2:auto-accept", at=past)
    schedule(tenant_b, "order:3:auto-accept", at=past + timedelta(days=1))

    fan_out("core.deadlines.tasks.sweep_deadlines")  # eager in the suite

    assert runs(tenant_a, "order:1:auto-accept") == runs(tenant_b, "order:2:auto-accept") == 1
    assert runs(tenant_a, "order:2:auto-accept") == runs(tenant_b, "order:1:auto-accept") == 0
    assert row(tenant_b, "order:3:auto-accept").status == DeadlineStatus.PENDING


# --- the registry --------------------------------------------------------------------------------


def _function_in(python_module: str) -> Any:
    def handler(deadline: DueDeadline) -> None:
        pass

    handler.__module__ = python_module
    return handler


@pytest.mark.parametrize(
    ("python_module", "name", "message"),
    [
        ("tests.testmodules.alpha.deadlines", "beta.steal", "may only register"),
        ("tests.testmodules.alpha.deadlines", "alpha", "must look like"),
        ("core.somewhere", "alpha.pretend", "named after module 'alpha'"),
        ("core.somewhere", "Bad.Name", "must look like"),
        ("core.somewhere", "alpha.count", "named after module 'alpha'"),
        ("tests.testmodules.alpha.elsewhere", "alpha.count", "registered twice"),
    ],
)
def test_a_handler_with_a_wrong_or_taken_name_fails_at_start_up(python_module, name, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        deadline_handler(name)(_function_in(python_module))


def test_module_handlers_are_found_in_the_module_folder_and_belong_to_it():
    alpha = find_handler("alpha.count")
    assert alpha is not None and alpha.module_key == "alpha"
    core = find_handler("deadline_tests.record")
    assert core is not None and core.module_key is None


# --- operators -----------------------------------------------------------------------------------


def _listed(client: Any, query: str = "") -> Any:
    return call(client, "get", f"/operator/deadlines{query}")


def test_operators_list_deadlines_with_filters_and_cursor(tenant_a, client_for):
    schedule(tenant_a, "order:1:auto-accept", payload={"order_id": 1})
    schedule(tenant_a, "order:2:auto-accept", at=T0 + timedelta(hours=1))
    schedule(tenant_a, "webhook:9", at=T0 + timedelta(hours=2), task="deadline_tests.always_fails")
    sweep(tenant_a, T0)
    operator, _ = signed_in_operator(client_for, tenant_a)

    everything = _listed(operator)
    assert everything.status_code == 200, everything.content
    assert [d["key"] for d in everything.json()["items"]] == [
        "webhook:9",
        "order:2:auto-accept",
        "order:1:auto-accept",
    ]
    fired = everything.json()["items"][2]
    assert {k: v for k, v in fired.items() if k not in {"created_at", "updated_at"}} == {
        "key": "order:1:auto-accept",
        "task": "alpha.count",
        "payload": {"order_id": 1},
        "status": "fired",
        "at": "2030-01-01T12:00:00Z",
        "next_attempt_at": "2030-01-01T12:00:00Z",
        "attempts": 1,
        "last_error": "",
        "claimed_at": "2030-01-01T12:00:00Z",
        "fired_at": "2030-01-01T12:00:00Z",
        "cancelled_at": None,
    }

    pending = _listed(operator, "?status=pending&key_prefix=order:")
    assert [d["key"] for d in pending.json()["items"]] == ["order:2:auto-accept"]

    first_page = _listed(operator, "?limit=2").json()
    assert [d["key"] for d in first_page["items"]] == ["webhook:9", "order:2:auto-accept"]
    second_page = _listed(operator, f"?limit=2&cursor={first_page['next_cursor']}").json()
    assert ([d["key"] for d in second_page["items"]], second_page["next_cursor"]) == (
        ["order:1:auto-accept"],
        None,
    )

    unknown = _listed(operator, "?status=exploded")
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "validation_error"


def test_another_marketplaces_operator_sees_none_of_its_deadlines(tenant_a, tenant_b, client_for):
    schedule(tenant_a, "order:1:auto-accept")
    operator_b, _ = signed_in_operator(client_for, tenant_b)

    assert _listed(operator_b).json() == {"items": [], "next_cursor": None}
    assert _listed(operator_b, "?key_prefix=order").json()["items"] == []
    page = operator_b.get("/operator/deadlines/")
    assert page.status_code == 200
    assert "order:1:auto-accept" not in page.content.decode()


def test_only_operators_with_the_second_factor_may_list_deadlines(tenant_a, client_for):
    schedule(tenant_a, "order:1:auto-accept")
    assert _listed(client_for(tenant_a)).status_code == 401

    buyer = client_for(tenant_a)
    make_user(tenant_a, "ann@example.com")
    sign_in(buyer, "ann@example.com")
    refused = _listed(buyer)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden_role"
    assert buyer.get("/operator/deadlines/").status_code == 403

    without_code = client_for(tenant_a)
    make_user(tenant_a, "op2@example.com", role=Role.OPERATOR)
    sign_in(without_code, "op2@example.com")
    refused = _listed(without_code)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "two_factor_required"
    assert without_code.get("/operator/deadlines/").status_code == 403


def test_the_operator_page_lists_deadlines_and_is_in_the_navigation(tenant_a, client_for):
    schedule(tenant_a, "order:1:auto-accept")
    schedule(tenant_a, "webhook:9", task="deadline_tests.always_fails")
    sweep(tenant_a, T0)
    operator, _ = signed_in_operator(client_for, tenant_a)

    page = operator.get("/operator/deadlines/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'href="/operator/deadlines/" aria-current="page">Deadlines</a>' in html
    assert [d.key for d in page.context["deadlines"]] == ["webhook:9", "order:1:auto-accept"]
    assert "RuntimeError: partner is down (attempt 1)" in html

    pending = operator.get("/operator/deadlines/", {"status": "pending", "key_prefix": "web"})
    assert [d.key for d in pending.context["deadlines"]] == ["webhook:9"]
    assert 'href="/operator/deadlines/"' in operator.get("/operator/users/").content.decode()
