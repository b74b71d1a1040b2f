"""Fraud risk: the marketplace's thresholds, one assessment per checkout or payout (its
outcome, reasons and the signals it was made from, which are also what later velocity checks
count), and the marks a lost chargeback leaves on a buyer, card, device or address.

Orders and payouts are referred to by id, not by foreign key: payouts (core.payments) ask for
an assessment and must not depend on commerce."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Outcome(models.TextChoices):
    ALLOW = "allow", "Allow"
    REVIEW = "review", "Review"
    BLOCK = "block", "Block"


class Subject(models.TextChoices):
    CHECKOUT = "checkout", "Checkout"
    PAYOUT = "payout", "Payout"


class ReviewStatus(models.TextChoices):
    NONE = "none", "No review"
    PENDING = "pending", "Waiting for an operator"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class RiskSettings(models.Model):
    """The marketplace's risk thresholds: one row per schema (pk 1), edited by operators.
    A count threshold of 0 switches that check off. Counts include the checkout at hand."""

    window_minutes = models.PositiveIntegerField(default=60)
    orders_review_at = models.PositiveIntegerField(default=20)
    orders_block_at = models.PositiveIntegerField(default=50)
    cards_review_at = models.PositiveIntegerField(default=5)
    cards_block_at = models.PositiveIntegerField(default=10)
    accounts_review_at = models.PositiveIntegerField(default=10)
    accounts_block_at = models.PositiveIntegerField(default=25)
    # Minor units of the order's currency; 0: off.
    first_order_review_above = models.BigIntegerField(default=500_000)
    first_order_block_above = models.BigIntegerField(default=0)
    country_mismatch_outcome = models.CharField(
        max_length=6, choices=Outcome.choices, default=Outcome.REVIEW
    )
    new_seller_days = models.PositiveIntegerField(default=30)
    payout_spike_multiplier = models.PositiveIntegerField(default=3)
    # A new seller's first payout above this waits for review (minor units); 0: off.
    first_payout_review_above = models.BigIntegerField(default=100_000)

    class Meta:
        verbose_name_plural = "risk settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(window_minutes__gte=1, window_minutes__lte=10_080),
                name="risk_window_range",
            ),
            models.CheckConstraint(
                condition=Q(first_order_review_above__gte=0, first_order_block_above__gte=0),
                name="risk_first_order_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(first_payout_review_above__gte=0), name="risk_payout_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return "risk settings"


class Judged(models.Model):
    """What every risk check keeps: who paid, the signals it was made from (empty when
    unknown: the client's address, an IPv6 client by its /64; the device cookie; the card's
    fingerprint at the provider and its issuing country), its outcome, score and reasons
    (``[{"rule", "outcome", "score", "reason"}, ...]``). Velocity checks count these rows."""

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ip = models.CharField(max_length=64, blank=True)
    device_id = models.CharField(max_length=64, blank=True)
    card_fingerprint = models.CharField(max_length=64, blank=True)
    card_country = models.CharField(max_length=2, blank=True)
    outcome = models.CharField(max_length=6, choices=Outcome.choices)
    score = models.PositiveIntegerField(default=0)
    reasons = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        abstract = True


class RiskAssessment(Judged):
    subject = models.CharField(max_length=8, choices=Subject.choices)
    order_id = models.BigIntegerField(null=True, blank=True, unique=True)
    payout_id = models.BigIntegerField(null=True, blank=True, unique=True)
    seller_id = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    billing_country = models.CharField(max_length=2, blank=True)
    ip_country = models.CharField(max_length=2, blank=True)
    # Stripe Radar's view of the charge (charge.outcome), when Stripe is the provider.
    radar_risk_level = models.CharField(max_length=20, blank=True)
    radar_risk_score = models.PositiveSmallIntegerField(null=True, blank=True)
    radar_outcome_type = models.CharField(max_length=30, blank=True)
    review_status = models.CharField(
        max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.NONE
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(subject="checkout", payout_id__isnull=True)
                    | Q(subject="payout", order_id__isnull=True)
                ),
                name="risk_assessment_one_subject",
            ),
            models.CheckConstraint(
                condition=~Q(review_status="pending") | Q(outcome="review"),
                name="risk_pending_only_when_reviewed",
            ),
        ]
        indexes = [
            models.Index(fields=["ip", "created_at"], name="risk_ip_recent"),
            models.Index(fields=["device_id", "created_at"], name="risk_device_recent"),
            models.Index(
                fields=["review_status", "id"],
                name="risk_review_queue",
                condition=Q(review_status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.order_id or self.payout_id}: {self.outcome}"

    @property
    def is_held(self) -> bool:
        """Fulfilment or the transfer waits: for an operator, or for ever once rejected."""
        return self.review_status in (ReviewStatus.PENDING, ReviewStatus.REJECTED)


class RiskAttempt(Judged):
    """A buyer's later attempt to pay an order whose first charge failed (another card after
    a decline): assessed on its own, because retrying one order with card after card is how
    stolen cards are tested. Its card and signals count in later velocity checks."""

    order_id = models.BigIntegerField()
    payment_id = models.BigIntegerField(unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["ip", "created_at"], name="risk_attempt_ip_recent"),
            models.Index(fields=["device_id", "created_at"], name="risk_attempt_device_recent"),
            models.Index(fields=["order_id"], name="risk_attempt_order"),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id} payment {self.payment_id}: {self.outcome}"


class MarkKind(models.TextChoices):
    BUYER = "buyer", "Buyer"
    CARD = "card", "Card"
    DEVICE = "device", "Device"
    IP = "ip", "IP address"


class RiskMark(models.Model):
    """Something seen in a lost chargeback; later checkouts that share it score higher (a
    buyer or card) or are blocked."""

    kind = models.CharField(max_length=6, choices=MarkKind.choices)
    value = models.CharField(max_length=64)
    reason = models.CharField(max_length=200)
    order_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="risk_mark_once")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"
