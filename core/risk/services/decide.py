"""An operator's decision on a held checkout or payout, taken once (the assessment row is
locked and must still be pending).

- checkout approved: the held order is fulfilled (``release_held_order``); one still waiting
  for its payment (3-D Secure) is simply no longer held, and is fulfilled when paid;
- checkout rejected: a paid order is refunded in full (ledger reversed, the provider asked to
  refund), nothing is fulfilled; an unpaid one is cancelled;
- payout approved: the transfer is sent; rejected: the money returns to the seller's balance.

The provider is called after the decision is committed, never under the row lock."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from core.commerce.models import Order, OrderStatus
from core.commerce.services.capture import release_held_order
from core.commerce.services.payment_events import cancel_order
from core.commerce.services.refunds import refund_order
from core.errors import ErrorKind
from core.payments.services.payouts import fail_payout, release_held_payout
from core.risk.errors import RiskError, RiskErrorCode
from core.risk.models import ReviewStatus, RiskAssessment, Subject


def _decide(
    *, assessment_id: int, operator: User, status: ReviewStatus, note: str
) -> RiskAssessment:
    with transaction.atomic():
        assessment = RiskAssessment.objects.select_for_update().filter(pk=assessment_id).first()
        if assessment is None:
            raise RiskError(
                RiskErrorCode.ASSESSMENT_NOT_FOUND, "No such review.", kind=ErrorKind.NOT_FOUND
            )
        if assessment.review_status != ReviewStatus.PENDING:
            raise RiskError(
                RiskErrorCode.ALREADY_DECIDED,
                f"This review was {assessment.get_review_status_display().lower()} already.",
                kind=ErrorKind.CONFLICT,
            )
        assessment.review_status = status
        assessment.decided_by = operator
        assessment.decided_at = timezone.now()
        assessment.decision_note = note[:300]
        assessment.save(
            update_fields=["review_status", "decided_by", "decided_at", "decision_note"]
        )
    return assessment


def approve(*, assessment_id: int, operator: User, note: str = "") -> RiskAssessment:
    assessment = _decide(
        assessment_id=assessment_id, operator=operator, status=ReviewStatus.APPROVED, note=note
    )
    if assessment.subject == Subject.CHECKOUT and assessment.order_id is not None:
        release_held_order(order_id=assessment.order_id, actor=operator, actor_label="operator")
    elif assessment.payout_id is not None:
        release_held_payout(payout_id=assessment.payout_id)
    return assessment


def reject(*, assessment_id: int, operator: User, note: str = "") -> RiskAssessment:
    assessment = _decide(
        assessment_id=assessment_id, operator=operator, status=ReviewStatus.REJECTED, note=note
    )
    if assessment.subject == Subject.PAYOUT and assessment.payout_id is not None:
        fail_payout(payout_id=assessment.payout_id, reason="Rejected in a risk review")
        return assessment
    if assessment.order_id is None:
        return assessment
    status = Order.objects.values_list("status", flat=True).get(pk=assessment.order_id)
    if status == OrderStatus.PENDING_PAYMENT:
        cancel_order(
            order_id=assessment.order_id,
            actor=operator,
            actor_label="operator",
            note="rejected in a risk review",
        )
    elif status == OrderStatus.PAID:
        refund_order(
            order_id=assessment.order_id,
            lines=None,
            reason="Rejected in a risk review",
            idempotency_key=f"risk-review-{assessment.pk}",
            actor=operator,
            actor_label="operator",
        )
    return assessment
