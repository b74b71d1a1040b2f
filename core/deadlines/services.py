"""Scheduling and cancelling deadlines: the only writers of ``Deadline`` besides the sweeper.

Call them in the transaction of the change that warrants the deadline (delivery recorded,
session booked): if that change rolls back, so does the deadline."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from django.utils import timezone

from core.deadlines.errors import DeadlineError, DeadlineErrorCode
from core.deadlines.models import Deadline, DeadlineStatus
from core.deadlines.registry import find_handler

# Keys name the object and the timer, e.g. "gigs:order:42:auto-accept". Unique per tenant.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,199}$")
# Payloads carry ids, not documents.
PAYLOAD_MAX_BYTES = 16_384

# What a new schedule resets; ``created_at`` keeps the first schedule's time.
_RESCHEDULED_FIELDS = [
    "task",
    "payload",
    "at",
    "status",
    "next_attempt_at",
    "attempts",
    "claimed_at",
    "claim_token",
    "fired_at",
    "cancelled_at",
    "last_error",
    "updated_at",
]


def schedule_deadline(*, key: str, at: datetime, task: str, payload: dict[str, Any]) -> Deadline:
    """Fire ``task``'s handler with ``payload`` once, at or after ``at`` (a past ``at`` fires
    on the next sweep). Scheduling a key that exists moves it: its time, task and payload are
    replaced and it is pending again with no attempts, whatever state it was in, so a fired
    or cancelled deadline fires again only when it is scheduled again. A handler running for
    the key right now finishes first (its row lock) and the new schedule follows it."""
    if not KEY_PATTERN.match(key):
        raise DeadlineError(
            DeadlineErrorCode.INVALID_KEY,
            "A deadline key is 1-200 letters, digits and _ . : / @ + - (no spaces).",
            details={"key": key[:200]},
        )
    if find_handler(task) is None:
        raise DeadlineError(
            DeadlineErrorCode.UNKNOWN_TASK,
            f"No deadline handler is registered as {task!r}.",
            details={"task": task[:100]},
        )
    if timezone.is_naive(at):
        raise DeadlineError(
            DeadlineErrorCode.INVALID_TIME, "A deadline's time must carry its time zone."
        )
    _check_payload(payload)
    deadline = Deadline(
        key=key,
        task=task,
        payload=payload,
        at=at,
        status=DeadlineStatus.PENDING,
        next_attempt_at=at,
        attempts=0,
        claimed_at=None,
        claim_token=None,
        fired_at=None,
        cancelled_at=None,
        last_error="",
    )
    # One statement whatever the race: two schedules of a new key cannot both insert.
    Deadline.objects.bulk_create(
        [deadline],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=_RESCHEDULED_FIELDS,
    )
    deadline.refresh_from_db(fields=["created_at"])
    return deadline


def cancel_deadline(*, key: str) -> bool:
    """Make sure the deadline ``key`` does not fire. True when it had not fired (pending,
    claimed or failed) and is now cancelled; False when there is none or it already fired (or
    was cancelled). A handler running for it right now finishes first, and then this answers
    False: the deadline fired."""
    now = timezone.now()
    cancelled = Deadline.objects.filter(
        key=key,
        status__in=[DeadlineStatus.PENDING, DeadlineStatus.RUNNING, DeadlineStatus.FAILED],
    ).update(status=DeadlineStatus.CANCELLED, cancelled_at=now, claim_token=None, updated_at=now)
    return cancelled > 0


def _check_payload(payload: dict[str, Any]) -> None:
    if not isinstance(payload, dict):
        raise DeadlineError(DeadlineErrorCode.INVALID_PAYLOAD, "A deadline's payload is an object.")
    try:
        size = len(json.dumps(payload).encode())
    except (TypeError, ValueError) as exc:
        raise DeadlineError(
            DeadlineErrorCode.INVALID_PAYLOAD,
            f"A deadline's payload must be plain JSON (ids, strings, numbers): {exc}",
        ) from None
    if size > PAYLOAD_MAX_BYTES:
        raise DeadlineError(
            DeadlineErrorCode.INVALID_PAYLOAD,
            f"A deadline's payload may be at most {PAYLOAD_MAX_BYTES} bytes; carry ids.",
            details={"bytes": size},
        )
