"""Disputes on an order line: the dispute itself (its money split in minor units and its
deadlines snapshotted when opened), its messages, its evidence (private files) and its
timeline. Thin models: ``core.disputes.services`` is the only writer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class DisputeSettings(models.Model):
    """The marketplace's dispute policy: one row per schema (pk 1)."""

    respond_days = models.PositiveSmallIntegerField(default=5)
    claim_window_days = models.PositiveSmallIntegerField(default=14)
    appeal_days = models.PositiveSmallIntegerField(default=7)

    class Meta:
        verbose_name_plural = "dispute settings"

    def __str__(self) -> str:
        return "dispute settings"


class DisputeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the seller"
    IN_REVIEW = "in_review", "In review"
    RESOLVED = "resolved", "Resolved"
    APPEALED = "appealed", "Appealed"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (DisputeStatus.PENDING, DisputeStatus.IN_REVIEW, DisputeStatus.APPEALED)


class DisputeType(models.TextChoices):
    DELIVERY = "delivery", "Not delivered"
    QUALITY = "quality", "Quality"
    COMMUNICATION = "communication", "Communication"
    OTHER = "other", "Other"
    CHARGEBACK = "chargeback", "Card chargeback"


class ResolutionType(models.TextChoices):
    REFUND = "refund", "Refund"
    REVISION = "revision", "Revision"
    COMPENSATION = "compensation", "Compensation"
    NONE = "none", "No change"


class Dispute(models.Model):
    order_id = models.BigIntegerField(db_index=True)
    order_line_id = models.BigIntegerField(null=True, blank=True)
    complainant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    seller_id = models.BigIntegerField(null=True, blank=True, db_index=True)  # the respondent
    kind = models.CharField(max_length=14, choices=DisputeType.choices)
    status = models.CharField(
        max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.PENDING
    )
    reason = models.TextField(blank=True)
    currency = models.CharField(max_length=3)
    # What the dispute froze: the line's escrow, or the seller's payable moved to a hold.
    frozen_amount = models.BigIntegerField(default=0)
    frozen_account = models.CharField(max_length=64, blank=True)
    resolution_type = models.CharField(max_length=12, choices=ResolutionType.choices, blank=True)
    refund_to_buyer = models.BigIntegerField(default=0)
    release_to_seller = models.BigIntegerField(default=0)
    platform_compensation = models.BigIntegerField(default=0)
    resolution_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_default_outcome = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    appeal_by = models.DateTimeField(null=True, blank=True)
    appealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    appealed_at = models.DateTimeField(null=True, blank=True)
    appeal_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    appeal_upheld = models.BooleanField(null=True, blank=True)
    appeal_compensation = models.BigIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    conversation_id = models.BigIntegerField(null=True, blank=True)
    provider_dispute_reference = models.CharField(max_length=120, blank=True)
    # A chargeback: the provider's own dispute (Stripe's ``du_...``) and when Souk answered
    # it with the collected evidence (once: submitted evidence is final at the provider).
    provider_dispute_id = models.CharField(max_length=120, blank=True)
    evidence_submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One open dispute per order line (chargebacks are per order, line null).
            models.UniqueConstraint(
                fields=["order_line_id"],
                condition=Q(status__in=["pending", "in_review", "appealed"]),
                name="one_open_dispute_per_line",
            ),
            models.UniqueConstraint(
                fields=["provider_dispute_reference"],
                condition=~Q(provider_dispute_reference=""),
                name="one_dispute_per_chargeback",
            ),
            models.CheckConstraint(
                condition=Q(refund_to_buyer__gte=0)
                & Q(release_to_seller__gte=0)
                & Q(platform_compensation__gte=0)
                & Q(frozen_amount__gte=0)
                & Q(appeal_compensation__gte=0),
                name="dispute_amounts_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="dispute_queue")]

    def __str__(self) -> str:
        return f"dispute {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MessageKind(models.TextChoices):
    COMMENT = "comment", "Comment"
    DECISION = "decision", "Decision"
    APPEAL = "appeal", "Appeal"


class DisputeMessage(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} on {self.dispute_id}"


class EvidenceKind(models.TextChoices):
    IMAGE = "image", "Image"
    DOCUMENT = "document", "Document"
    TEXT = "text", "Text"


def evidence_path(instance: DisputeEvidence, filename: str) -> str:
    from core.schema import current_schema_name

    return f"{current_schema_name()}/disputes/{instance.dispute_id}/{filename}"


class DisputeEvidence(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(max_length=10, choices=EvidenceKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True)
    file = models.FileField(upload_to=evidence_path, blank=True, max_length=300)
    file_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} evidence on {self.dispute_id}"


class DisputeEvent(models.Model):
    """The timeline: one row per state change (and per chargeback event from the provider)."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=80, blank=True)
    data = models.JSONField(default=dict)
    # Makes provider events and retried steps land once.
    dedupe_key = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="dispute_event_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.dispute_id}"
