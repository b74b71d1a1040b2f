"""A seller's integration with their own systems, shared by every module: the signing secret,
webhook endpoints and their deliveries, and the integration log (every call Souk makes to a
seller's systems and every partner API request, with its outcome).

These tables were the licensing module's until core took them over; the licensing migration
that hands them over copies the rows here with their ids (see
``modules/licensing/migrations/0002_integrations_move_to_core.py``)."""

from __future__ import annotations

from django.db import models

from core.integrations.registry import call_kind_label
from core.sellers.models import Seller


class SellerIntegration(models.Model):
    """A seller's secret for signed calls to their software (webhooks, modules' calls)."""

    seller = models.OneToOneField(Seller, on_delete=models.CASCADE, related_name="integration")
    signing_secret_encrypted = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"integration of {self.seller_id}"


class WebhookEndpoint(models.Model):
    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=500)
    # Event type names (core.integrations.registry); events of a module that is off for the
    # marketplace stay subscribed but are not sent.
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed (no retries left)"


class WebhookDelivery(models.Model):
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=100)
    event_type = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="integrations_delivery_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.endpoint_id}"


class CallKind(models.TextChoices):
    """Core's kinds of logged calls; modules register their own (``register_call_kinds``),
    e.g. licensing's "provision" and "deprovision"."""

    WEBHOOK = "webhook", "Webhooks"
    API = "api", "Partner API"


class IntegrationCall(models.Model):
    """The integration log: every call to (or from) a seller's systems, with its outcome."""

    seller = models.ForeignKey(Seller, on_delete=models.CASCADE, related_name="integration_calls")
    # A CallKind or a kind a module registered (not a database enum: modules add kinds).
    kind = models.CharField(max_length=32)
    url = models.CharField(max_length=500)
    request_body = models.TextField(blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    is_success = models.BooleanField(default=False)
    delivery = models.ForeignKey(
        WebhookDelivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["seller", "kind", "-created_at"], name="integrations_call_recent")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.url} {self.response_status}"

    @property
    def kind_label(self) -> str:
        return call_kind_label(self.kind)
