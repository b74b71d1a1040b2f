"""A consultant's cancellation policy, within the operator's bounds (``ConsultingSettings``),
and what it gives back. A booking keeps the policy as it was when its slot was held."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from modules.consulting.errors import ConsultingErrorCode, invalid
from modules.consulting.manifest import ConsultingSettings


class Policy(BaseModel):
    """``refund_tiers``: [hours before the start, percent refunded], most notice first; a
    cancellation with at least that many hours to go gets that percent (the first tier that
    applies), later ones ``late_refund_percent``. No reschedule within
    ``reschedule_cutoff_hours`` of the start, no cancellation by the buyer within
    ``cancellation_cutoff_hours``."""

    model_config = ConfigDict(extra="forbid")

    refund_tiers: list[tuple[int, int]] = Field(
        default_factory=lambda: [(48, 100), (24, 50)], max_length=5
    )
    late_refund_percent: int = Field(0, ge=0, le=100)
    reschedule_cutoff_hours: int = Field(24, ge=0)
    cancellation_cutoff_hours: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Policy:
        hours = [tier[0] for tier in self.refund_tiers]
        percents = [tier[1] for tier in self.refund_tiers]
        if any(h < 0 for h in hours) or any(not 0 <= p <= 100 for p in percents):
            raise ValueError("Each tier is [hours >= 0, percent 0-100].")
        if hours != sorted(hours, reverse=True) or len(set(hours)) != len(hours):
            raise ValueError("Tiers go from the most notice to the least, each once.")
        if percents != sorted(percents, reverse=True) or (
            percents and percents[-1] < self.late_refund_percent
        ):
            raise ValueError("Less notice never refunds more.")
        return self

    def refund_percent(self, *, now: datetime, starts_at: datetime) -> int:
        hours_left = (starts_at - now).total_seconds() / 3600
        for hours, percent in self.refund_tiers:
            if hours_left >= hours:
                return percent
        return self.late_refund_percent

    def refund_amount(self, *, amount: int, now: datetime, starts_at: datetime) -> int:
        """Rounded down to the minor unit: the buyer never gets more than the tier says."""
        return amount * self.refund_percent(now=now, starts_at=starts_at) // 100


def validated_policy(data: dict[str, object], bounds: ConsultingSettings) -> Policy:
    """The consultant's policy checked against the operator's bounds."""
    try:
        policy = Policy.model_validate(data)
    except ValidationError as error:
        raise invalid(
            ConsultingErrorCode.INVALID_POLICY, "policy", error.errors()[0]["msg"]
        ) from None
    longest = max(
        [hours for hours, _ in policy.refund_tiers]
        + [policy.reschedule_cutoff_hours, policy.cancellation_cutoff_hours]
    )
    if longest > bounds.max_policy_hours:
        raise invalid(
            ConsultingErrorCode.INVALID_POLICY,
            "policy",
            f"This marketplace allows at most {bounds.max_policy_hours} hours of notice.",
        )
    if policy.late_refund_percent < bounds.min_late_refund_percent:
        raise invalid(
            ConsultingErrorCode.INVALID_POLICY,
            "late_refund_percent",
            f"This marketplace refunds at least {bounds.min_late_refund_percent}% "
            "of a late cancellation.",
        )
    return policy
