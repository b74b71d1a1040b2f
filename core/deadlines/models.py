from django.db import models
from django.db.models import Q


class DeadlineStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    # Claimed by a sweeper; its outcome is recorded in the transaction that runs the handler.
    RUNNING = "running", "Running"
    FIRED = "fired", "Fired"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Deadline(models.Model):
    """One per-object timer in a tenant's schema, fired once by the beat sweeper. Rows are
    kept after firing or cancelling so operators can answer "why did (not) this happen?"."""

    key = models.CharField(max_length=200)
    task = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=DeadlineStatus.choices, default=DeadlineStatus.PENDING
    )
    # When the sweeper may next take it: ``at``, later after a failed attempt.
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Which claim may record the outcome; a new schedule, a cancel or a re-claim changes it.
    claim_token = models.UUIDField(null=True, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # Pattern ops: the one index serves equality, ON CONFLICT and key-prefix search.
            models.UniqueConstraint(
                fields=["key"], name="deadline_key_unique", opclasses=["varchar_pattern_ops"]
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeadlineStatus.values), name="deadline_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=DeadlineStatus.FIRED) | Q(fired_at__isnull=False),
                name="deadline_fired_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeadlineStatus.RUNNING)
                | Q(claimed_at__isnull=False, claim_token__isnull=False),
                name="deadline_running_is_claimed",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status=DeadlineStatus.PENDING),
                name="deadline_due",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status=DeadlineStatus.RUNNING),
                name="deadline_claimed",
            ),
            models.Index(fields=["at"], name="deadline_at"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.task}, {self.status})"
