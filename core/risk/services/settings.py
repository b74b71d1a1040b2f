"""Operators change the marketplace's risk thresholds here (the settings page calls it)."""

from __future__ import annotations

from django.db import transaction

from core.errors import ErrorKind
from core.risk.errors import RiskError, RiskErrorCode
from core.risk.models import RiskSettings
from core.risk.selectors import forget_risk_settings

EDITABLE = (
    "window_minutes",
    "orders_review_at",
    "orders_block_at",
    "cards_review_at",
    "cards_block_at",
    "accounts_review_at",
    "accounts_block_at",
    "first_order_review_above",
    "first_order_block_above",
    "country_mismatch_outcome",
    "new_seller_days",
    "payout_spike_multiplier",
    "first_payout_review_above",
)
PAIRS = (
    ("orders_review_at", "orders_block_at"),
    ("cards_review_at", "cards_block_at"),
    ("accounts_review_at", "accounts_block_at"),
    ("first_order_review_above", "first_order_block_above"),
)


def update_risk_settings(**changes: int | str) -> RiskSettings:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not risk settings: {sorted(unknown)}")
    with transaction.atomic():
        row, _ = RiskSettings.objects.select_for_update().get_or_create(pk=1)
        for name, value in changes.items():
            setattr(row, name, value)
        for review, block in PAIRS:
            review_at, block_at = getattr(row, review), getattr(row, block)
            if review_at and block_at and block_at < review_at:
                raise RiskError(
                    RiskErrorCode.INVALID_SETTINGS,
                    "Blocking must start at or above where review starts.",
                    details={"field": block},
                    kind=ErrorKind.INVALID,
                )
        row.full_clean()
        row.save()
    transaction.on_commit(forget_risk_settings)
    forget_risk_settings()
    return row
