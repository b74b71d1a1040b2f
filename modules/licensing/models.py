"""Software licensing: what a software product's licences allow (its policy), the licences
issued by checkout, the machines they are activated on, metered usage, the marketplace's
signing key for offline licence files, and the accounts provisioned in the seller's software.
The seller's integration itself (signing secret, webhook endpoints, the integration log) is
core's: ``core/integrations``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.catalog.models import Product
from core.commerce.models import OrderLine
from core.sellers.models import Seller


class LicenseType(models.TextChoices):
    ONE_TIME = "one_time", "One-time purchase"
    SUBSCRIPTION = "subscription", "Subscription"


class Provisioning(models.TextChoices):
    MANUAL = "manual", "The seller sets up accounts by hand"
    AUTOMATIC = "automatic", "Souk calls the seller's provisioning endpoint"


class MissedHeartbeat(models.TextChoices):
    DEACTIVATE = "deactivate", "Free the seat (deactivate the machine)"
    KEEP = "keep", "Keep the machine but report HEARTBEAT_DEAD"


class Policy(models.Model):
    """What a licence allows. A product has one or more (e.g. per tier); the product's details
    name the default."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="license_policies")
    name = models.CharField(max_length=80)
    max_activations = models.PositiveIntegerField(default=1)
    # Strict: a machine must be activated before it validates. Floating: validating with a new
    # fingerprint activates it while seats are free.
    is_floating = models.BooleanField(default=False)
    # None: perpetual (subscriptions follow their periods instead).
    duration_days = models.PositiveIntegerField(null=True, blank=True)
    is_heartbeat_required = models.BooleanField(default=False)
    heartbeat_interval_seconds = models.PositiveIntegerField(default=3600)
    on_missed_heartbeat = models.CharField(
        max_length=12, choices=MissedHeartbeat.choices, default=MissedHeartbeat.DEACTIVATE
    )
    entitlements = models.JSONField(default=list, blank=True)  # feature codes
    # One licence per unit bought (seats) or one licence with quantity x max_activations.
    is_license_per_seat = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(max_activations__gte=1, max_activations__lte=100_000),
                name="policy_activations_range",
            ),
            models.CheckConstraint(
                condition=Q(heartbeat_interval_seconds__gte=60), name="policy_heartbeat_min"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SoftwareDetails(models.Model):
    """The licensing module's details record of a software product."""

    product = models.OneToOneField(
        Product, on_delete=models.CASCADE, related_name="license_details"
    )
    license_type = models.CharField(
        max_length=12, choices=LicenseType.choices, default=LicenseType.ONE_TIME
    )
    provisioning = models.CharField(
        max_length=10, choices=Provisioning.choices, default=Provisioning.MANUAL
    )
    default_policy = models.ForeignKey(
        Policy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Automatic provisioning: where Souk creates and removes the buyer's account.
    provisioning_url = models.URLField(max_length=500, blank=True)
    deprovisioning_url = models.URLField(max_length=500, blank=True)
    integration_notes = models.TextField(blank=True, max_length=4000)
    trial_days = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"licensing details of {self.product_id}"

    def as_api_dict(self) -> dict[str, object]:
        return {
            "license_type": self.license_type,
            "provisioning": self.provisioning,
            "trial_days": self.trial_days,
        }


class LicenseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class License(models.Model):
    # Readable and unguessable: "SOUK-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX" (Crockford base32, 125
    # random bits). Kept in clear (buyers see it in their account); unique-indexed for the
    # one-query validation.
    key = models.CharField(max_length=64, unique=True)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="licenses")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="licenses")
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="licenses")
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="licenses"
    )
    order_line = models.ForeignKey(
        OrderLine, null=True, blank=True, on_delete=models.PROTECT, related_name="licenses"
    )
    # Which of the line's seats this is (issuing is idempotent per line and seat).
    seat = models.PositiveIntegerField(default=1)
    subscription_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    status = models.CharField(
        max_length=10, choices=LicenseStatus.choices, default=LicenseStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=300, blank=True)
    # Overrides of the policy for this licence (None: the policy's).
    max_activations = models.PositiveIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order_line", "seat"],
                condition=Q(order_line__isnull=False),
                name="license_once_per_line_seat",
            )
        ]
        indexes = [models.Index(fields=["buyer", "-id"], name="license_buyer_recent")]

    def __str__(self) -> str:
        return self.key


class Machine(models.Model):
    """An activation: the licence in use on one machine (by fingerprint)."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="machines")
    fingerprint = models.CharField(max_length=200)
    name = models.CharField(max_length=120, blank=True)
    platform = models.CharField(max_length=60, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["license", "fingerprint"], name="machine_once_per_license"
            )
        ]

    def __str__(self) -> str:
        return f"{self.license_id}:{self.fingerprint}"


class UsageEvent(models.Model):
    """Metered usage reported by the seller's software; idempotent by the reporter's id."""

    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="usage_events")
    event_id = models.CharField(max_length=100)
    metric = models.CharField(max_length=60)
    quantity = models.BigIntegerField(default=1)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["license", "event_id"], name="usage_event_once")
        ]
        indexes = [models.Index(fields=["license", "metric", "occurred_at"], name="usage_lookup")]

    def __str__(self) -> str:
        return f"{self.metric} x{self.quantity}"


class SigningKey(models.Model):
    """The marketplace's Ed25519 key for offline licence files (one active per schema). The
    private key is encrypted with the deployment's key (see ``core/crypto.py``)."""

    public_key_pem = models.TextField()
    private_key_encrypted = models.TextField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_signing_key"
            )
        ]

    def __str__(self) -> str:
        return f"signing key {self.pk}"


class ProvisioningStatus(models.TextChoices):
    PENDING = "pending", "Being set up"
    PROVISIONED = "provisioned", "Set up"
    MANUAL = "manual", "Waiting for the seller (automatic set-up failed)"
    DEPROVISIONING = "deprovisioning", "Being removed"
    DEPROVISIONED = "deprovisioned", "Removed"


class ProvisioningCallKind(models.TextChoices):
    """The licensing module's calls in the integration log (core/integrations)."""

    PROVISION = "provision", "Account set-up"
    DEPROVISION = "deprovision", "Account removal"


class ProvisionedAccount(models.Model):
    """The buyer's account in the seller's software, made for a licence."""

    license = models.OneToOneField(
        License, on_delete=models.CASCADE, related_name="provisioned_account"
    )
    status = models.CharField(
        max_length=14, choices=ProvisioningStatus.choices, default=ProvisioningStatus.PENDING
    )
    external_account_id = models.CharField(max_length=200, blank=True)
    # What the buyer must see (login, temporary password...), encrypted at rest.
    credentials_encrypted = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"account for {self.license_id}: {self.status}"
