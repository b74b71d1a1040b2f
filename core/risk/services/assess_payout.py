"""A payout's risk assessment, made after the amount is reserved and before the transfer. A
review holds the payout ("processing", the money in transit in the ledger) until an operator
approves (the transfer is sent) or rejects it (the money returns to the seller's balance).
Payout rules only ever ask for a review: a seller's earned balance is theirs, and refusing it
outright is an operator's call. (Imports nothing of commerce: core.payments calls this.)"""

from __future__ import annotations

from django.db.models import Max
from django.utils import timezone

from core.money import Money
from core.payments.models import Payout, PayoutStatus
from core.risk import rules
from core.risk.models import Outcome, ReviewStatus, RiskAssessment, Subject
from core.risk.selectors import risk_settings
from core.sellers.models import Seller


def assess_payout(*, payout: Payout) -> RiskAssessment:
    seller_created_at = Seller.objects.values_list("created_at", flat=True).get(pk=payout.seller_id)
    largest = (
        Payout.objects.filter(
            seller_id=payout.seller_id, currency=payout.currency, status=PayoutStatus.PAID
        )
        .exclude(pk=payout.pk)
        .aggregate(largest=Max("amount"))["largest"]
    )
    now = timezone.now()
    hits = rules.payout_spike(
        rules.PayoutSignals(
            amount=Money(payout.amount, payout.currency),
            seller_created_at=seller_created_at,
            now=now,
            largest_paid_before=int(largest or 0),
        ),
        risk_settings(),
    )
    outcome, score = rules.verdict(hits)
    return RiskAssessment.objects.create(
        subject=Subject.PAYOUT,
        payout_id=payout.pk,
        seller_id=payout.seller_id,
        currency=payout.currency,
        amount=payout.amount,
        outcome=outcome,
        score=score,
        reasons=[hit.as_json() for hit in hits],
        review_status=ReviewStatus.PENDING if outcome == Outcome.REVIEW else ReviewStatus.NONE,
        created_at=now,
    )


def is_payout_held(*, payout: Payout) -> bool:
    """Assess the reserved payout; True when its transfer must wait for an operator."""
    return assess_payout(payout=payout).is_held
