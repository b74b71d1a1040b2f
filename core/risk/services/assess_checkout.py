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

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from core.commerce.models import Order, Payment, PaymentStatus
from core.commerce.services.payment_events import cancel_order
from core.errors import ErrorKind
from core.money import Money
from core.payments.providers import ChargeResult
from core.risk import rules
from core.risk.errors import RiskError, RiskErrorCode
from core.risk.models import (
    MarkKind,
    Outcome,
    ReviewStatus,
    RiskAssessment,
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


def method_fingerprint(provider: str, payment_method: str) -> str:
    """The card's fingerprint when it is known before charging: the sandbox's test card number
    (hashed). A provider's method id (pm_...) names one use of a card, not the card: Stripe's
    fingerprint comes with the charge's result instead."""
    if provider != "sandbox":
        return ""
    card = payment_method.removeprefix("pm_sandbox_")
    digits = "".join(ch for ch in card if ch.isdigit())
    if not digits:
        return ""
    return hashlib.sha256(f"sandbox-card:{digits}".encode()).hexdigest()[:32]


def _recent(
    *, order: Order, signals: RequestSignals, device: str, card: str, since: datetime
) -> tuple[rules.Velocity | None, rules.Velocity | None, frozenset[str], bool]:
    """One query: the window's checkouts from this address and device, the chargeback marks
    this checkout shares, and whether the buyer has paid for an order before."""
    assessments = RiskAssessment._meta.db_table
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
            SELECT ip, device_id, buyer_id, card_fingerprint FROM {assessments}
            WHERE subject = 'checkout' AND created_at >= %(since)s
              AND (ip = %(ip)s OR device_id = %(device)s)
        )
        SELECT
            (SELECT count(*) FROM recent WHERE ip = %(ip)s),
            (SELECT array_agg(DISTINCT buyer_id) FROM recent WHERE ip = %(ip)s),
            (SELECT array_agg(DISTINCT card_fingerprint) FROM recent
              WHERE ip = %(ip)s AND card_fingerprint <> ''),
            (SELECT count(*) FROM recent WHERE device_id = %(device)s),
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


def assess_checkout(*, order: Order, payment: Payment) -> RiskAssessment:
    """Assess the placed order before its first charge; raises ``RiskError`` when blocked
    (after recording the assessment and cancelling the order)."""
    signals = current_signals.get() or RequestSignals()
    device = signals.use_device() if signals.device_id else ""
    card = method_fingerprint(payment.provider, payment.payment_method)
    limits = risk_settings()
    now = timezone.now()
    by_ip, by_device, marks, has_paid_before = _recent(
        order=order,
        signals=signals,
        device=device,
        card=card,
        since=now - timedelta(minutes=limits.window_minutes),
    )
    facts = rules.CheckoutSignals(
        amount=Money(order.total, order.currency),
        billing_country=order.billing_country,
        ip_country=signals.ip_country,
        is_first_order=not has_paid_before,
        by_ip=by_ip,
        by_device=by_device,
        marks=marks,
    )
    hits = rules.check_checkout(facts, limits)
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
        billing_country=order.billing_country,
        ip_country=signals.ip_country,
        outcome=outcome,
        score=score,
        reasons=[hit.as_json() for hit in hits],
        review_status=ReviewStatus.PENDING if outcome == Outcome.REVIEW else ReviewStatus.NONE,
        created_at=now,
    )
    if outcome != Outcome.BLOCK:
        assessment.save(force_insert=True)
        return assessment
    with transaction.atomic():
        assessment.save(force_insert=True)
        Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PROCESSING).update(
            status=PaymentStatus.FAILED,
            failure_code=BLOCKED_FAILURE_CODE,
            failure_message=BLOCKED_MESSAGE[:300],
        )
        cancel_order(order_id=order.pk, actor_label="system:risk", note="blocked by risk checks")
    raise RiskError(
        RiskErrorCode.CHECKOUT_BLOCKED,
        BLOCKED_MESSAGE,
        details={"order_id": order.pk, "assessment_id": assessment.pk},
        kind=ErrorKind.PAYMENT_FAILED,
    )


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
    hits = _late_hits(assessment)
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


def _late_hits(assessment: RiskAssessment) -> list[rules.Hit]:
    hits: list[rules.Hit] = []
    if (
        assessment.radar_risk_level in RADAR_REVIEW_LEVELS
        or assessment.radar_outcome_type in RADAR_REVIEW_TYPES
    ):
        level = assessment.radar_risk_level or assessment.radar_outcome_type
        hits.append(rules.Hit("stripe_radar", Outcome.REVIEW, f"Stripe Radar rates it {level}."))
    if (
        assessment.card_fingerprint
        and RiskMark.objects.filter(kind=MarkKind.CARD, value=assessment.card_fingerprint).exists()
    ):
        hits.append(
            rules.Hit("chargeback_history", Outcome.REVIEW, "This card lost a chargeback before.")
        )
    if assessment.card_country:
        facts = rules.CheckoutSignals(
            amount=Money(assessment.amount, assessment.currency),
            billing_country=assessment.billing_country,
            card_country=assessment.card_country,
            ip_country=assessment.ip_country,
        )
        hits += rules.country_mismatch(facts, risk_settings())
    return hits
