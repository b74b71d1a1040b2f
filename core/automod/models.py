"""What automated moderation keeps per marketplace: the operator's settings (one row), every
screening decision with its checks' scores and reasons, and the items operators removed (the
denominator of the checks' recall)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

DEFAULT_THRESHOLD_PERCENT = 60


class ContentKind(models.TextChoices):
    LISTING = "listing", "Listing"
    REVIEW = "review", "Review"
    MESSAGE = "message", "Chat message"
    PROFILE = "profile", "Profile text"


class Outcome(models.TextChoices):
    PUBLISHED = "published", "Went live"
    HELD = "held", "Held for an operator"


class Verdict(models.TextChoices):
    """What an operator said about a hold (``none`` for items that went live)."""

    NONE = "none", "No operator decision needed"
    PENDING = "pending", "Waiting for an operator"
    CONFIRMED = "confirmed", "Confirmed: removed"
    OVERTURNED = "overturned", "Overturned: published"
    SUPERSEDED = "superseded", "Replaced by a newer version"


class AutomodSettings(models.Model):
    """The marketplace's automated moderation policy: one row per schema (pk 1)."""

    banned_words = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    # A check scoring at least this (percent of 1.0) holds the item.
    hold_threshold_percent = models.PositiveSmallIntegerField(default=DEFAULT_THRESHOLD_PERCENT)
    # Links to these hosts (and their subdomains) are fine, beside the marketplace's own.
    allowed_domains = ArrayField(models.CharField(max_length=253), default=list, blank=True)
    # The same text this many times within the window (by anyone) is spam.
    repeat_limit = models.PositiveSmallIntegerField(default=3)
    repeat_window_hours = models.PositiveSmallIntegerField(default=24)
    # Listings are reviewed by an operator before they go live unless this is on; then a
    # listing the checks pass is published at once.
    publish_clean_listings = models.BooleanField(default=False)
    image_min_side = models.PositiveIntegerField(default=200)
    image_max_side = models.PositiveIntegerField(default=10_000)
    image_max_bytes = models.PositiveIntegerField(default=10 * 1024 * 1024)

    class Meta:
        verbose_name_plural = "automated moderation settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(hold_threshold_percent__gte=1, hold_threshold_percent__lte=100),
                name="automod_threshold_in_range",
            ),
            models.CheckConstraint(
                condition=Q(repeat_limit__gte=2), name="automod_repeat_limit_at_least_2"
            ),
        ]

    def __str__(self) -> str:
        return "automated moderation settings"


class Decision(models.Model):
    """One screening of one version of an item. ``checks`` is
    ``[{"check": "links", "score": 0.7, "reason": "..."}]``; ``flagged`` names the checks that
    reached the threshold (an item is held when any did)."""

    kind = models.CharField(max_length=8, choices=ContentKind.choices)
    object_id = models.BigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    excerpt = models.CharField(max_length=300, blank=True)
    checks = models.JSONField(default=list)
    flagged = ArrayField(models.CharField(max_length=24), default=list, blank=True)
    score = models.FloatField(default=0.0)
    threshold = models.FloatField()
    outcome = models.CharField(max_length=9, choices=Outcome.choices)
    # The normalised text's hash: repeated-text counts read these rows.
    digest = models.CharField(max_length=40, blank=True)
    # A held profile text waits here; the public profile keeps the text an operator saw.
    pending_text = models.TextField(blank=True)
    verdict = models.CharField(max_length=10, choices=Verdict.choices, default=Verdict.NONE)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "object_id", "-id"], name="automod_item_latest"),
            models.Index(
                fields=["digest", "created_at"], condition=~Q(digest=""), name="automod_digest"
            ),
            models.Index(
                fields=["created_at"], condition=Q(verdict="pending"), name="automod_pending"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="held") | Q(verdict="none"), name="automod_verdict_only_held"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.outcome}"


class Removal(models.Model):
    """An operator took an item down (confirming a hold, or after it went live: a miss when
    no check had flagged it). ``flagged`` is what the checks had said about it then."""

    kind = models.CharField(max_length=8, choices=ContentKind.choices)
    object_id = models.BigIntegerField()
    flagged = ArrayField(models.CharField(max_length=24), default=list, blank=True)
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="automod_one_removal")
        ]

    def __str__(self) -> str:
        return f"removed {self.kind} {self.object_id}"
