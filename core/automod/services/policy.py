"""The operator's automated moderation settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.automod.errors import AutomodError, AutomodErrorCode
from core.automod.models import AutomodSettings
from core.automod.pipeline import forget_policy
from core.errors import ErrorKind

MAX_BANNED_WORDS = 500


@dataclass(frozen=True)
class PolicyInput:
    banned_words: list[str]
    hold_threshold_percent: int
    allowed_domains: list[str]
    repeat_limit: int
    repeat_window_hours: int
    publish_clean_listings: bool


def _invalid(field: str, message: str) -> AutomodError:
    return AutomodError(
        AutomodErrorCode.INVALID_SETTINGS, message, details={"field": field}, kind=ErrorKind.INVALID
    )


def _unique(entries: Iterable[str], *, limit: int, field: str) -> list[str]:
    seen: dict[str, None] = {}
    for entry in entries:
        cleaned = " ".join(entry.split()).lower()
        if cleaned:
            if len(cleaned) > 80:
                raise _invalid(field, f"“{cleaned[:20]}…” is longer than 80 characters.")
            seen.setdefault(cleaned, None)
    if len(seen) > limit:
        raise _invalid(field, f"At most {limit} entries.")
    return list(seen)


def update_policy(*, data: PolicyInput) -> AutomodSettings:
    if not 1 <= data.hold_threshold_percent <= 100:
        raise _invalid("hold_threshold_percent", "Choose a threshold from 1 to 100 %.")
    if not 2 <= data.repeat_limit <= 1000:
        raise _invalid("repeat_limit", "Choose from 2 to 1000 times.")
    if not 1 <= data.repeat_window_hours <= 24 * 30:
        raise _invalid("repeat_window_hours", "Choose from 1 hour to 30 days.")
    domains = [
        d.removeprefix("https://").removeprefix("http://").strip("/. ")
        for d in _unique(data.allowed_domains, limit=100, field="allowed_domains")
    ]
    row, _ = AutomodSettings.objects.update_or_create(
        pk=1,
        defaults={
            "banned_words": _unique(
                data.banned_words, limit=MAX_BANNED_WORDS, field="banned_words"
            ),
            "hold_threshold_percent": data.hold_threshold_percent,
            "allowed_domains": [d for d in domains if d],
            "repeat_limit": data.repeat_limit,
            "repeat_window_hours": data.repeat_window_hours,
            "publish_clean_listings": data.publish_clean_listings,
        },
    )
    forget_policy()
    return row
