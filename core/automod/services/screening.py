"""Screening new and changed content: the owning app's service asks ``screen`` before it
makes the content live and ``record`` once the item has its id (usually in the same
transaction), so every automated decision is kept with its checks, scores and outcome."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from core.automod.checks import Content, ImageInput
from core.automod.models import ContentKind, Decision, Outcome, Verdict
from core.automod.pipeline import Moderator, Screening, current_policy

EXCERPT_LENGTH = 300


def screen(
    *,
    kind: ContentKind,
    text: str,
    author_id: int | None,
    object_id: int | None = None,
    images: Sequence[ImageInput] = (),
) -> Screening:
    content = Content(kind=kind, text=text, author_id=author_id, object_id=object_id, images=images)
    return Moderator(policy=current_policy()).screen(content)


def record(
    screening: Screening, *, object_id: int, pending_text: str = "", is_new: bool = False
) -> Decision:
    """Keep the decision. A new hold replaces the item's earlier one still waiting (the
    seller edited the listing again): that one is superseded, not counted for precision.
    ``is_new`` items (a message just written) have no earlier decision to look for."""
    content = screening.content
    is_held = screening.is_held
    if not is_new:
        Decision.objects.filter(
            kind=content.kind, object_id=object_id, verdict=Verdict.PENDING
        ).update(verdict=Verdict.SUPERSEDED, decided_at=timezone.now())
    return Decision.objects.create(
        kind=content.kind,
        object_id=object_id,
        author_id=content.author_id,
        excerpt=" ".join(content.text.split())[:EXCERPT_LENGTH],
        checks=[
            {"check": r.check, "score": round(r.score, 2), "reason": r.reason}
            for r in screening.results
            if r.score > 0
        ],
        flagged=screening.flagged,
        score=round(screening.score, 2),
        threshold=screening.threshold,
        outcome=Outcome.HELD if is_held else Outcome.PUBLISHED,
        digest=screening.digest,
        pending_text=pending_text if is_held else "",
        verdict=Verdict.PENDING if is_held else Verdict.NONE,
    )


@transaction.atomic
def moderate(
    *,
    kind: ContentKind,
    text: str,
    author_id: int | None,
    object_id: int,
    images: Sequence[ImageInput] = (),
    pending_text: str = "",
) -> Decision:
    """``screen`` and ``record`` in one go, for items that already have their id."""
    screening = screen(
        kind=kind, text=text, author_id=author_id, object_id=object_id, images=images
    )
    return record(screening, object_id=object_id, pending_text=pending_text)


def has_pending_hold(*, kind: ContentKind, object_id: int) -> bool:
    return Decision.objects.filter(kind=kind, object_id=object_id, verdict=Verdict.PENDING).exists()
