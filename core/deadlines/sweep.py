"""Firing due deadlines, once each, in the current tenant's schema.

1. **Claim** (a short committed transaction): due rows are locked with ``FOR UPDATE SKIP
   LOCKED`` (concurrent sweepers share the work) and marked ``running`` with ``claimed_at``,
   a fresh claim token and one more attempt.
2. **Fire** (one transaction per deadline): the row is locked again and still carries the
   claim's token (a re-schedule, a cancel or another sweeper's re-claim changes it), the
   handler runs in a savepoint, and the row is marked ``fired`` in the same transaction, so
   the handler's writes and the fire commit together or not at all.

A worker that dies between the two, or in the handler, leaves a ``running`` row with nothing
of the handler committed; once its lease is over a sweeper claims it again (a new token, so a
late first worker finds it is no longer its claim). A claim that is being fired holds its row
lock and is skipped, so a handler slower than the lease is never run twice at once. A handler
that raises is retried with backoff; after the last attempt the deadline is ``failed`` for an
operator to see."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.deadlines import conf
from core.deadlines.models import Deadline, DeadlineStatus
from core.deadlines.registry import DueDeadline, find_handler, runnable_tasks
from core.registry.enablement import enabled_module_keys

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    FIRED = "fired"
    RETRYING = "retrying"
    FAILED = "failed"
    # The claim was overtaken (re-scheduled, cancelled or re-claimed) before it ran.
    SKIPPED = "skipped"


@dataclass
class SweepResult:
    fired: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, outcome: Outcome, count: int = 1) -> None:
        name = outcome.value
        setattr(self, name, getattr(self, name) + count)


@dataclass(frozen=True)
class Claim:
    pk: int
    token: uuid.UUID


@dataclass(frozen=True)
class ClaimBatch:
    claims: list[Claim]
    # Stale claims that had used their last attempt, marked failed instead of claimed.
    failed: int


def sweep_due_deadlines(
    *, now: datetime | None = None, limit: int = conf.DEFAULT_SWEEP_LIMIT
) -> SweepResult:
    """Fire up to ``limit`` deadlines of the current tenant that are due at ``now`` (the
    clock by default; tests pass one). Only handlers of core and of the tenant's enabled
    modules run; a disabled module's deadlines wait, pending, until it is on again."""
    result = SweepResult()
    tasks = runnable_tasks(enabled_module_keys())
    if not tasks:
        return result
    taken = 0
    while taken < limit:
        batch = claim_due(tasks=tasks, now=now or timezone.now(), size=limit - taken)
        result.add(Outcome.FAILED, batch.failed)
        if not batch.claims and not batch.failed:
            break
        for claim in batch.claims:
            result.add(fire_claim(claim, now=now or timezone.now()))
        taken += len(batch.claims) + batch.failed
    return result


def claim_due(*, tasks: list[str], now: datetime, size: int) -> ClaimBatch:
    """Claim up to ``size`` (at most a batch) deadlines of ``tasks`` due at ``now``, and stale
    claims; fail the stale claims that used their last attempt (their worker died each
    time). Commits before returning, so the claims and their attempts are on record."""
    size = min(size, conf.CLAIM_BATCH)
    with transaction.atomic():
        stale = list(
            Deadline.objects.select_for_update(skip_locked=True)
            .filter(status=DeadlineStatus.RUNNING, claimed_at__lte=now - conf.lease())
            .filter(task__in=tasks)
            .order_by("claimed_at", "pk")
            .values_list("pk", "attempts")[:size]
        )
        pending = (
            list(
                Deadline.objects.select_for_update(skip_locked=True)
                .filter(status=DeadlineStatus.PENDING, next_attempt_at__lte=now)
                .filter(task__in=tasks)
                .order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)[: size - len(stale)]
            )
            if len(stale) < size
            else []
        )
        most = conf.max_attempts()
        exhausted = [pk for pk, attempts in stale if attempts >= most]
        if exhausted:
            logger.error("deadlines %s: their worker stopped on every attempt", exhausted)
            Deadline.objects.filter(pk__in=exhausted).update(
                status=DeadlineStatus.FAILED,
                claim_token=None,
                last_error=f"The worker stopped before recording an outcome, {most} times.",
                updated_at=now,
            )
        claimed = [pk for pk, attempts in stale if attempts < most] + pending
        token = uuid.uuid4()
        if claimed:
            Deadline.objects.filter(pk__in=claimed).update(
                status=DeadlineStatus.RUNNING,
                claimed_at=now,
                claim_token=token,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
    return ClaimBatch(claims=[Claim(pk=pk, token=token) for pk in claimed], failed=len(exhausted))


def fire_claim(claim: Claim, *, now: datetime) -> Outcome:
    """Run the claimed deadline's handler and record the outcome in one transaction, unless
    the claim was overtaken (re-scheduled, cancelled, re-claimed) in the meantime."""
    with transaction.atomic():
        deadline = (
            Deadline.objects.select_for_update()
            .filter(pk=claim.pk, claim_token=claim.token, status=DeadlineStatus.RUNNING)
            .first()
        )
        if deadline is None:
            return Outcome.SKIPPED
        handler = find_handler(deadline.task)
        due = DueDeadline(
            key=deadline.key,
            task=deadline.task,
            payload=deadline.payload,
            at=deadline.at,
            attempt=deadline.attempts,
        )
        try:
            if handler is None:  # claimed only for registered tasks; not reachable
                raise LookupError(f"no deadline handler is registered as {deadline.task!r}")
            with transaction.atomic():
                handler.function(due)
        except Exception as exc:  # recorded on the row; retried, then shown to operators
            logger.exception(
                "deadline %s (%s) failed on attempt %s", due.key, due.task, due.attempt
            )
            return _record_failure(deadline, exc, now=now)
        deadline.status = DeadlineStatus.FIRED
        deadline.fired_at = now
        deadline.claim_token = None
        deadline.save(update_fields=["status", "fired_at", "claim_token", "updated_at"])
        return Outcome.FIRED


def _record_failure(deadline: Deadline, exc: Exception, *, now: datetime) -> Outcome:
    deadline.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    deadline.claim_token = None
    if deadline.attempts >= conf.max_attempts():
        deadline.status = DeadlineStatus.FAILED
        outcome = Outcome.FAILED
    else:
        deadline.status = DeadlineStatus.PENDING
        deadline.next_attempt_at = now + conf.retry_delay(deadline.attempts)
        outcome = Outcome.RETRYING
    deadline.save(
        update_fields=["status", "next_attempt_at", "claim_token", "last_error", "updated_at"]
    )
    return outcome
