"""Operators confirm or overturn an automated hold from the Moderation page. Each kind's own
moderation service does the work (a listing is rejected or approved, a review hidden or
published, a chat message removed or delivered, a profile text discarded or applied) and
tells ``outcomes`` what happened, so a decision made on the listing queue's own buttons
counts the same."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from core.accounts.models import User
from core.automod.errors import AutomodError, AutomodErrorCode
from core.automod.models import ContentKind, Decision, Verdict
from core.errors import ErrorKind

DEFAULT_REASON = "It breaks the marketplace's rules."


@dataclass(frozen=True)
class HoldHandlers:
    """What the owning app does when an operator decides one of its held items. ``remove``
    takes (operator, object id, reason); ``release`` takes (operator, the decision), whose
    ``pending_text`` holds a profile text waiting to be applied. Both must tell ``outcomes``."""

    remove: Callable[[User, int, str], object]
    release: Callable[[User, Decision], object]


_handlers: dict[ContentKind, HoldHandlers] = {}


def register_hold_handlers(
    kind: ContentKind,
    *,
    remove: Callable[[User, int, str], object],
    release: Callable[[User, Decision], object],
) -> None:
    """Called from the owning app's ``AppConfig.ready()``, as conversations register topics:
    automod stays below the apps whose items it screens."""
    _handlers[kind] = HoldHandlers(remove=remove, release=release)


def _handlers_of(kind: ContentKind) -> HoldHandlers:
    try:
        return _handlers[kind]
    except KeyError:
        raise LookupError(f"no app registered hold handlers for {kind.value!r}") from None


def _pending(decision_id: int) -> Decision:
    decision = Decision.objects.select_for_update().filter(pk=decision_id).first()
    if decision is None:
        raise AutomodError(
            AutomodErrorCode.DECISION_NOT_FOUND, "No such hold.", kind=ErrorKind.NOT_FOUND
        )
    if decision.verdict != Verdict.PENDING:
        raise AutomodError(
            AutomodErrorCode.ALREADY_DECIDED,
            f"This hold was already handled ({decision.get_verdict_display().lower()}).",
            kind=ErrorKind.CONFLICT,
        )
    return decision


@transaction.atomic
def confirm_hold(*, operator: User, decision_id: int, reason: str = "") -> Decision:
    """The checks were right: the item is taken down for good."""
    decision = _pending(decision_id)
    reason = " ".join(reason.split())[:500] or DEFAULT_REASON
    _handlers_of(ContentKind(decision.kind)).remove(operator, decision.object_id, reason)
    decision.refresh_from_db()
    return decision


@transaction.atomic
def overturn_hold(*, operator: User, decision_id: int) -> Decision:
    """The checks were wrong: the item goes live as if it had passed."""
    decision = _pending(decision_id)
    _handlers_of(ContentKind(decision.kind)).release(operator, decision)
    decision.refresh_from_db()
    return decision
