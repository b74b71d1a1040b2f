"""Notifications: the in-app row each user sees, one delivery row per other channel (its
unique constraint makes every (notification, channel) go out at most once), each user's
preferences, their browsers' push subscriptions, and the marketplace's settings (VAPID keys,
digest hour). All live in the tenant's schema."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    type_key = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Repeats of one event (a redelivered outbox event) write nothing for a user twice. NULL,
    # not "": only keyed rows take part in the partial unique constraint.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="notification_dedupe_per_user",
            )
        ]
        indexes = [
            # The list, newest first, by keyset (id < cursor).
            models.Index(fields=["user", "-id"], name="notification_user_newest"),
            # The bell: COUNT(*) WHERE user_id = ? AND read_at IS NULL reads only unread rows.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type_key} to {self.user_id}: {self.title}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Being sent (leased until hold_until)"
    SENT = "sent", "Sent"
    HELD = "held", "Held for quiet hours"
    DIGEST = "digest", "Waiting for the daily digest"
    FAILED = "failed", "Failed (retried)"
    DROPPED = "dropped", "Dropped (no address, subscription gone, gave up)"


class Delivery(models.Model):
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=8)  # email, push, sms
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    hold_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_once_per_channel"
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "hold_until"],
                condition=Q(status__in=["held", "failed", "digest", "sending"]),
                name="delivery_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} of notification {self.notification_id}: {self.status}"


class Preferences(models.Model):
    """A user's choices. ``channels``: {type_key: {channel: bool}}, only what differs from the
    type's defaults (so a new type or a changed default reaches everyone who never chose)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    channels = models.JSONField(default=dict, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    is_daily_digest = models.BooleanField(default=False)
    phone_number = models.CharField(max_length=20, blank=True)  # E.164, for SMS
    last_digest_on = models.DateField(null=True, blank=True)  # in the user's time zone
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notification preferences of {self.user_id}"


class PushSubscription(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"push subscription {self.pk} of {self.user_id}"


class MarketplaceNotificationSettings(models.Model):
    """One row per marketplace (its schema): the VAPID key pair its push messages are signed
    with (private key encrypted with core.crypto, bound to this schema) and the digest hour."""

    singleton = models.PositiveSmallIntegerField(default=1, unique=True)
    vapid_public_key = models.CharField(max_length=120)  # base64url, applicationServerKey
    vapid_private_key_encrypted = models.TextField()
    digest_hour = models.PositiveSmallIntegerField(default=8)  # local hour of each user
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(digest_hour__lte=23), name="notification_digest_hour_valid"
            )
        ]

    def __str__(self) -> str:
        return "notification settings"
