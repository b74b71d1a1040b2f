"""What operators did with items, told by the owning apps' moderation services whichever
page or API the operator used: released (an automated hold overturned) or removed (a hold
confirmed, or a live item taken down: a miss when no check had flagged it)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.automod.models import ContentKind, Decision, Removal, Verdict


def _latest(kind: ContentKind, object_id: int) -> Decision | None:
    return (
        Decision.objects.select_for_update()
        .filter(kind=kind, object_id=object_id)
        .exclude(verdict=Verdict.SUPERSEDED)
        .order_by("-id")
        .first()
    )


def withdraw_holds(*, kind: ContentKind, object_id: int) -> int:
    """The author took the item back (a listing unpublished or archived): its waiting hold
    leaves the queue without an operator verdict. Returns how many."""
    return Decision.objects.filter(kind=kind, object_id=object_id, verdict=Verdict.PENDING).update(
        verdict=Verdict.SUPERSEDED, decided_at=timezone.now()
    )


@transaction.atomic
def operator_released(*, kind: ContentKind, object_id: int, operator_id: int | None) -> None:
    decision = _latest(kind, object_id)
    if decision is not None and decision.verdict == Verdict.PENDING:
        decision.verdict = Verdict.OVERTURNED
        decision.decided_by_id = operator_id
        decision.decided_at = timezone.now()
        decision.save(update_fields=["verdict", "decided_by", "decided_at"])


@transaction.atomic
def operator_removed(*, kind: ContentKind, object_id: int, operator_id: int | None) -> Removal:
    """Confirms the item's waiting hold, if any, and records the removal once."""
    decision = _latest(kind, object_id)
    if decision is not None and decision.verdict == Verdict.PENDING:
        decision.verdict = Verdict.CONFIRMED
        decision.decided_by_id = operator_id
        decision.decided_at = timezone.now()
        decision.save(update_fields=["verdict", "decided_by", "decided_at"])
    existing = Removal.objects.filter(kind=kind, object_id=object_id).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Removal.objects.create(
                kind=kind,
                object_id=object_id,
                flagged=list(decision.flagged) if decision is not None else [],
                decision=decision,
                removed_by_id=operator_id,
            )
    except IntegrityError:  # a concurrent removal recorded it
        return Removal.objects.get(kind=kind, object_id=object_id)
