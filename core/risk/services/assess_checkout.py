"""The checkout's risk assessment, made after the order is placed and before the provider is
asked for anything.

- allow: checkout goes on as before;
- review: the charge goes ahead and the capture is booked, but the order stops at "paid":
  nothing is fulfilled until an operator approves (``decide``); a rejection refunds it;
- block: the payment attempt is marked failed, the order cancelled (stock, code and offers
  given back), and ``RiskError`` raised: nothing reaches the provider and nothing reaches the
  ledger.

Review charges rather than authorises because neither provider interface has a separate
authorisation (Souk's charges capture at once; the sandbox has no holds), and it is what
Stripe Radar's own review does: the money is taken, and a rejected review is refunded.

Velocity counts are read from the assessments themselves (PostgreSQL, in the tenant's schema)
rather than Redis counters: one indexed query per checkout, an exact sliding window, counts
that commit or roll back with the checkout, nothing to lose when Redis is flushed, and the
per-tenant scope comes from the schema with no key prefix to get wrong."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from core.commerce.models import Order, Payment, PaymentStatus
from core.commerce.services.payment_events import cancel_order
from core.errors import ErrorKind
from core.money import Money
from core.payments.providers import ChargeResult, get_provider
from core.payments.providers.base import MethodFacts
from core.risk import rules
from core.risk.errors import RiskError, RiskErrorCode
from core.risk.models import (
    MarkKind,
    Outcome,
    ReviewStatus,
    RiskAssessment,
    RiskAttempt,
    RiskMark,
    Subject,
)
from core.risk.selectors import risk_settings
from core.risk.signals import RequestSignals, current_signals

BLOCKED_FAILURE_CODE = "risk_blocked"
BLOCKED_MESSAGE = (
    "We could not accept this order. If you think this is a mistake, contact the marketplace."
)
# Radar's levels and outcome types that ask for a person's look.
RADAR_REVIEW_LEVELS = frozenset({"elevated", "highest"})
RADAR_REVIEW_TYPES = frozenset({"manual_review"})


def _recent(
    *, order: Order, signals: RequestSignals, device: str, card: str, since: datetime
) -> tuple[rules.Velocity | None, rules.Velocity | None, frozenset[str], bool]:
    """One query: the window's checkouts and payment attempts from this address and device
    (this order's own counted once), the chargeback marks this checkout shares, and whether
    the buyer has paid for an order before. Orders count checkouts; cards and accounts count
    attempts too (a card tried on a retry was tried all the same)."""
    assessments = RiskAssessment._meta.db_table
    attempts = RiskAttempt._meta.db_table
    marks = RiskMark._meta.db_table
    orders = Order._meta.db_table
    params: dict[str, Any] = {
        "since": since,
        "ip": signals.ip or None,
        "device": device or None,
        "card": card or None,
        "buyer": str(order.buyer_id),
        "buyer_id": order.buyer_id,
        "order": order.pk,
    }
    sql = f"""
        WITH recent AS (
            SELECT ip, device_id, buyer_id, card_fingerprint, order_id, true AS is_checkout
            FROM {assessments}
            WHERE subject = 'checkout' AND created_at >= %(since)s
              AND (ip = %(ip)s OR device_id = %(device)s)
            UNION ALL
            SELECT ip, device_id, buyer_id, card_fingerprint, order_id, false FROM {attempts}
            WHERE created_at >= %(since)s AND (ip = %(ip)s OR device_id = %(device)s)
        )
        SELECT
            (SELECT count(*) FROM recent
              WHERE ip = %(ip)s AND is_checkout AND order_id <> %(order)s),
            (SELECT array_agg(DISTINCT buyer_id) FROM recent WHERE ip = %(ip)s),
            (SELECT array_agg(DISTINCT card_fingerprint) FROM recent
              WHERE ip = %(ip)s AND card_fingerprint <> ''),
            (SELECT count(*) FROM recent
              WHERE device_id = %(device)s AND is_checkout AND order_id <> %(order)s),
            (SELECT array_agg(DISTINCT buyer_id) FROM recent WHERE device_id = %(device)s),
            (SELECT array_agg(DISTINCT card_fingerprint) FROM recent
              WHERE device_id = %(device)s AND card_fingerprint <> ''),
            (SELECT array_agg(kind) FROM {marks} WHERE
                (kind = 'buyer' AND value = %(buyer)s) OR (kind = 'card' AND value = %(card)s)
             OR (kind = 'device' AND value = %(device)s) OR (kind = 'ip' AND value = %(ip)s)),
            EXISTS (SELECT 1 FROM {orders} WHERE buyer_id = %(buyer_id)s
                    AND paid_at IS NOT NULL AND id <> %(order)s)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()

    def counted(
        orders_before: int, buyers: list[int] | None, cards: list[str] | None
    ) -> rules.Velocity:
        return rules.Velocity(
            orders=orders_before + 1,
            accounts=len({*(buyers or []), order.buyer_id}),
            cards=len({*(cards or []), *([card] if card else [])}),
        )

    by_ip = counted(row[0], row[1], row[2]) if signals.ip else None
    by_device = counted(row[3], row[4], row[5]) if device else None
    return by_ip, by_device, frozenset(row[6] or ()), bool(row[7])


def _method_facts(payment: Payment) -> MethodFacts:
    return get_provider(payment.provider).method_facts(payment_method=payment.payment_method)


def _fail_and_cancel(order: Order, payment: Payment) -> None:
    """Blocked: the attempt fails and the order is cancelled (stock, code and offers given
    back) before the provider hears of it."""
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PROCESSING).update(
        status=PaymentStatus.FAILED,
        failure_code=BLOCKED_FAILURE_CODE,
        failure_message=BLOCKED_MESSAGE[:300],
    )
    cancel_order(order_id=order.pk, actor_label="system:risk", note="blocked by risk checks")


def _blocked(order: Order, **details: object) -> RiskError:
    return RiskError(
        RiskErrorCode.CHECKOUT_BLOCKED,
        BLOCKED_MESSAGE,
        details={"order_id": order.pk, **details},
        kind=ErrorKind.PAYMENT_FAILED,
    )


def _signals_for(
    order: Order, card: str, card_country: str, *, is_retry: bool
) -> tuple[RequestSignals, str, rules.CheckoutSignals]:
    """The request's signals, the device used, and the rules' view of this payment."""
    signals = current_signals.get() or RequestSignals()
    device = signals.use_device() if signals.device_id else ""
    limits = risk_settings()
    by_ip, by_device, marks, has_paid_before = _recent(
        order=order,
        signals=signals,
        device=device,
        card=card,
        since=timezone.now() - timedelta(minutes=limits.window_minutes),
    )
    facts = rules.CheckoutSignals(
        amount=Money(order.total, order.currency),
        billing_country=order.billing_country,
        card_country=card_country,
        ip_country=signals.ip_country,
        # The order's size was judged at its checkout; a retry is judged on its card.
        is_first_order=not has_paid_before and not is_retry,
        by_ip=by_ip,
        by_device=by_device,
        marks=marks,
    )
    return signals, device, facts


def assess_checkout(*, order: Order, payment: Payment) -> RiskAssessment:
    """Assess the placed order before its first charge; raises ``RiskError`` when blocked
    (after recording the assessment and cancelling the order). The provider is asked for the
    card's fingerprint and country first, so a card that lost a chargeback is refused before
    it is charged, on Stripe as in the sandbox."""
    method = _method_facts(payment)
    card = method.card_fingerprint
    signals, device, facts = _signals_for(order, card, method.card_country, is_retry=False)
    hits = rules.check_checkout(facts, risk_settings())
    outcome, score = rules.verdict(hits)
    assessment = RiskAssessment(
        subject=Subject.CHECKOUT,
        order_id=order.pk,
        buyer_id=order.buyer_id,
        currency=order.currency,
        amount=order.total,
        ip=signals.ip,
        device_id=device,
        card_fingerprint=card,
        card_country=method.card_country,
        billing_country=order.billing_country,
        ip_country=signals.ip_country,
        outcome=outcome,
        score=score,
        reasons=[hit.as_json() for hit in hits],
        review_status=ReviewStatus.PENDING if outcome == Outcome.REVIEW else ReviewStatus.NONE,
        created_at=timezone.now(),
    )
    if outcome != Outcome.BLOCK:
        assessment.save(force_insert=True)
        return assessment
    with transaction.atomic():
        assessment.save(force_insert=True)
        _fail_and_cancel(order, payment)
    raise _blocked(order, assessment_id=assessment.pk)


def assess_retry(*, order: Order, payment: Payment) -> RiskAttempt | None:
    """Assess a buyer's new attempt to pay an order after its first charge failed, before the
    provider hears of it: its card against the chargeback marks, and the cards and accounts
    tried from this address and device. Block: this attempt fails, the order is cancelled and
    ``RiskError`` raised. Review: the order's assessment waits for an operator (the charge goes
    ahead; fulfilment holds). None for an order's first payment (``assess_checkout``'s)."""
    if not Payment.objects.filter(order_id=order.pk, pk__lt=payment.pk).exists():
        return None
    if (known := RiskAttempt.objects.filter(payment_id=payment.pk).first()) is not None:
        return known  # the same attempt driven again (a replayed request)
    method = _method_facts(payment)
    signals, device, facts = _signals_for(
        order, method.card_fingerprint, method.card_country, is_retry=True
    )
    hits = rules.check_checkout(facts, risk_settings())
    outcome, score = rules.verdict(hits)
    with transaction.atomic():
        attempt = RiskAttempt.objects.create(
            order_id=order.pk,
            payment_id=payment.pk,
            buyer_id=order.buyer_id,
            ip=signals.ip,
            device_id=device,
            card_fingerprint=method.card_fingerprint,
            card_country=method.card_country,
            outcome=outcome,
            score=score,
            reasons=[hit.as_json() for hit in hits],
            created_at=timezone.now(),
        )
        if outcome == Outcome.BLOCK:
            _fail_and_cancel(order, payment)
        elif outcome == Outcome.REVIEW:
            _hold_for_review(order, hits)
    if outcome == Outcome.BLOCK:
        raise _blocked(order, attempt_id=attempt.pk)
    return attempt


def _hold_for_review(order: Order, hits: list[rules.Hit]) -> None:
    """A retry's risk puts the order's (allowed) assessment in the operators' queue."""
    assessment = RiskAssessment.objects.select_for_update().filter(order_id=order.pk).first()
    if assessment is None or assessment.outcome != Outcome.ALLOW:
        return
    assessment.reasons = [
        *assessment.reasons,
        *({**hit.as_json(), "reason": f"On a later attempt: {hit.reason}"} for hit in hits),
    ]
    assessment.score += rules.verdict(hits)[1]
    assessment.outcome = Outcome.REVIEW
    assessment.review_status = ReviewStatus.PENDING
    assessment.save(update_fields=["reasons", "score", "outcome", "review_status"])


def after_charge(*, assessment: RiskAssessment, result: ChargeResult) -> RiskAssessment:
    """What the charge revealed (the card's fingerprint and country, Stripe Radar's outcome)
    is recorded; a risk that shows only now turns an allowed checkout into a review (the money
    is taken: the order waits for an operator rather than being refused)."""
    changed: dict[str, object] = {}
    if result.card_fingerprint and not assessment.card_fingerprint:
        changed["card_fingerprint"] = result.card_fingerprint[:64]
    if result.card_country and not assessment.card_country:
        changed["card_country"] = result.card_country[:2].upper()
    if result.radar_risk_level or result.radar_outcome_type:
        changed["radar_risk_level"] = result.radar_risk_level[:20]
        radar_score = result.radar_risk_score
        changed["radar_risk_score"] = int(radar_score) if radar_score.isdigit() else None
        changed["radar_outcome_type"] = result.radar_outcome_type[:30]
    if not changed:
        return assessment
    for name, value in changed.items():
        setattr(assessment, name, value)
    hits = _late_hits(assessment, learned=set(changed))
    if hits and assessment.outcome == Outcome.ALLOW:
        assessment.reasons = [*assessment.reasons, *(hit.as_json() for hit in hits)]
        outcome, late_score = rules.verdict(hits)
        assessment.score += late_score
        if outcome != Outcome.ALLOW:
            assessment.outcome = Outcome.REVIEW
            assessment.review_status = ReviewStatus.PENDING
        changed.update(
            reasons=assessment.reasons,
            score=assessment.score,
            outcome=assessment.outcome,
            review_status=assessment.review_status,
        )
    RiskAssessment.objects.filter(pk=assessment.pk).update(**changed)
    return assessment


def _late_hits(assessment: RiskAssessment, *, learned: set[str]) -> list[rules.Hit]:
    """Radar's view, and the card's checks when the charge is the first to name the card
    (a card known before the charge was checked then)."""
    hits: list[rules.Hit] = []
    if (
        assessment.radar_risk_level in RADAR_REVIEW_LEVELS
        or assessment.radar_outcome_type in RADAR_REVIEW_TYPES
    ):
        level = assessment.radar_risk_level or assessment.radar_outcome_type
        hits.append(rules.Hit("stripe_radar", Outcome.REVIEW, f"Stripe Radar rates it {level}."))
    if (
        "card_fingerprint" in learned
        and RiskMark.objects.filter(kind=MarkKind.CARD, value=assessment.card_fingerprint).exists()
    ):
        hits.append(
            rules.Hit("chargeback_history", Outcome.REVIEW, "This card lost a chargeback before.")
        )
    if "card_country" in learned:
        facts = rules.CheckoutSignals(
            amount=Money(assessment.amount, assessment.currency),
            billing_country=assessment.billing_country,
            card_country=assessment.card_country,
            ip_country=assessment.ip_country,
        )
        hits += rules.country_mismatch(facts, risk_settings())
    return hits
