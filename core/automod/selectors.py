"""Reads for the operator's Moderation page: the holds waiting for a decision, and how well
each check does (precision and recall from operators' decisions)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from core.automod.models import (
    AutomodSettings,
    ContentKind,
    Decision,
    Outcome,
    Removal,
    Verdict,
)
from core.charts import Chart, Series

CHECK_LABELS = {
    "banned_words": "Banned words",
    "contact_details": "Contact details",
    "links": "Links",
    "repeated_text": "Repeated text",
    "image": "Images",
}


def check_label(name: str) -> str:
    if name.startswith("classifier:"):
        return f"Classifier ({name.split(':', 1)[1]})"
    return CHECK_LABELS.get(name, name.replace("_", " ").capitalize())


@dataclass(frozen=True)
class CheckLine:
    label: str
    percent: int
    reason: str
    is_flagged: bool


@dataclass(frozen=True)
class HoldRow:
    decision: Decision
    lines: list[CheckLine]

    @property
    def score_percent(self) -> int:
        return round(self.decision.score * 100)


def hold_row(decision: Decision) -> HoldRow:
    lines = [
        CheckLine(
            label=check_label(str(item["check"])),
            percent=round(float(item["score"]) * 100),
            reason=str(item.get("reason", "")),
            is_flagged=item["check"] in decision.flagged,
        )
        for item in decision.checks
    ]
    return HoldRow(decision, sorted(lines, key=lambda line: -line.percent))


def pending_holds(*, limit: int = 100) -> list[HoldRow]:
    """Holds waiting for an operator, oldest first (index ``automod_pending``)."""
    rows = (
        Decision.objects.filter(verdict=Verdict.PENDING)
        .select_related("author")
        .order_by("created_at", "id")[:limit]
    )
    return [hold_row(decision) for decision in rows]


def listing_holds(holds: list[HoldRow]) -> dict[int, HoldRow]:
    """The listings' holds among ``holds``, by product id, for the listing queue's rows."""
    return {
        row.decision.object_id: row for row in holds if row.decision.kind == ContentKind.LISTING
    }


def settings_row() -> AutomodSettings:
    return AutomodSettings.objects.filter(pk=1).first() or AutomodSettings()


@dataclass(frozen=True)
class CheckQuality:
    check: str
    label: str
    held: int  # decided holds this check flagged
    confirmed: int  # of those, operators confirmed
    waiting: int  # holds still waiting for an operator
    removed_flagged: int  # removed items this check had flagged
    removed: int  # every item operators removed

    @property
    def precision_bp(self) -> int | None:
        """Confirmed / decided holds, in basis points; None before any decision."""
        return self.confirmed * 10_000 // self.held if self.held else None

    @property
    def recall_bp(self) -> int | None:
        """Share of everything operators removed (holds confirmed and live items taken down)
        that this check had flagged; None before any removal."""
        return self.removed_flagged * 10_000 // self.removed if self.removed else None


def check_quality() -> list[CheckQuality]:
    """Per check, from recorded decisions: one pass over held decisions and one over
    removals (both small: holds and removals, not every screening)."""
    held: Counter[str] = Counter()
    confirmed: Counter[str] = Counter()
    waiting: Counter[str] = Counter()
    for flagged, verdict in Decision.objects.filter(outcome=Outcome.HELD).values_list(
        "flagged", "verdict"
    ):
        for name in flagged:
            if verdict in (Verdict.CONFIRMED, Verdict.OVERTURNED):
                held[name] += 1
                confirmed[name] += verdict == Verdict.CONFIRMED
            elif verdict == Verdict.PENDING:
                waiting[name] += 1
    removed_flagged: Counter[str] = Counter()
    removed = 0
    for flagged in Removal.objects.values_list("flagged", flat=True):
        removed += 1
        removed_flagged.update(set(flagged))
    names = [*CHECK_LABELS]
    names += sorted({*held, *waiting, *removed_flagged} - set(names))
    return [
        CheckQuality(
            check=name,
            label=check_label(name),
            held=held[name],
            confirmed=confirmed[name],
            waiting=waiting[name],
            removed_flagged=removed_flagged[name],
            removed=removed,
        )
        for name in names
    ]


def quality_chart(rows: list[CheckQuality]) -> Chart:
    return Chart(
        id="automod-quality",
        title="Automated checks: precision and recall",
        kind="bar",
        labels=[row.label for row in rows],
        series=[
            Series("Precision", [row.precision_bp or 0 for row in rows]),
            Series("Recall", [row.recall_bp or 0 for row in rows]),
        ],
        unit="percent",
        empty_message="No operator decisions yet: the figures start with the first one.",
        description="Precision: holds operators confirmed. Recall: removed items the check "
        "had flagged.",
    )
