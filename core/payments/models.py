"""Money's source of truth: an append-only double-entry journal (the database refuses an
unbalanced entry and any update or delete), and the records of talking to payment providers:
customers, saved methods, processed webhook events, seller payout accounts and payouts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.sellers.models import Seller


class EntryKind(models.TextChoices):
    CAPTURE = "capture", "Payment captured"
    EARN = "earn", "Line fulfilled: tax, commission and seller share booked"
    ESCROW_HOLD = "escrow_hold", "Line held in escrow"
    ESCROW_RELEASE = "escrow_release", "Escrow released to the seller"
    ESCROW_REFUND = "escrow_refund", "Escrow returned to the buyer"
    REFUND = "refund", "Refund"
    PAYOUT = "payout", "Payout requested"
    PAYOUT_PAID = "payout_paid", "Payout paid"
    PAYOUT_FAILED = "payout_failed", "Payout failed, funds returned"
    TRANSFER_REVERSAL = "transfer_reversal", "Paid-out funds recovered from the seller"
    DISPUTE_HOLD = "dispute_hold", "Seller's payable held for a dispute"
    DISPUTE_RESOLUTION = "dispute_resolution", "Dispute decided: refund, release, compensation"
    DISPUTE_APPEAL = "dispute_appeal", "Appeal decided: compensation from the platform"


class JournalEntry(models.Model):
    """One business event's movement of money. ``(kind, reference)`` is unique, so booking the
    same event twice (a retried task, a replayed webhook) is refused by the database."""

    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    reference = models.CharField(max_length=120)
    order_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    memo = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "journal entries"
        constraints = [
            models.UniqueConstraint(fields=["kind", "reference"], name="journal_entry_once")
        ]
        # Dashboards and reports read one kind of entry over a period.
        indexes = [models.Index(fields=["kind", "created_at"], name="journal_entry_kind_time")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.reference}"


class JournalLine(models.Model):
    """Signed minor units: debit positive, credit negative. Per entry and currency the lines sum
    to zero (a deferred constraint trigger checks it at commit)."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=64)
    # Set on the seller's accounts so a seller's balances are one indexed scan.
    seller_id = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="journal_line_not_zero")]
        indexes = [
            models.Index(fields=["account", "currency"], name="journal_line_account"),
            models.Index(
                fields=["seller_id", "account"],
                condition=Q(seller_id__isnull=False),
                name="journal_line_seller",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount} {self.currency}"


class ProviderEvent(models.Model):
    """A provider's webhook event, stored before it is applied: its id is unique, so a replay
    is recognised and applied at most once."""

    provider = models.CharField(max_length=20)
    event_id = models.CharField(max_length=120)
    event_type = models.CharField(max_length=80)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"


class PaymentCustomer(models.Model):
    """The buyer's customer record at a provider (Stripe ``cus_...``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_customers"
    )
    provider = models.CharField(max_length=20)
    reference = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="one_customer_per_provider")
        ]

    def __str__(self) -> str:
        return self.reference


class SavedPaymentMethod(models.Model):
    """A method the buyer allowed us to charge again (subscription renewals). Only the
    provider's reference and display details are stored, never card numbers."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_methods"
    )
    provider = models.CharField(max_length=20)
    reference = models.CharField(max_length=120)
    brand = models.CharField(max_length=20, blank=True)
    last4 = models.CharField(max_length=4, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "provider", "reference"], name="payment_method_once"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="one_default_payment_method"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.brand} ....{self.last4}"


class PayoutSchedule(models.TextChoices):
    MANUAL = "manual", "When I ask"
    WEEKLY = "weekly", "Every Monday"
    MONTHLY = "monthly", "On the 1st of the month"


class SellerPaymentAccount(models.Model):
    """Where a seller is paid: a Stripe Express account, a PayPal e-mail address, or the
    sandbox's."""

    seller = models.OneToOneField(Seller, on_delete=models.CASCADE, related_name="payment_account")
    provider = models.CharField(max_length=20)
    reference = models.CharField(max_length=120, blank=True)
    is_payouts_enabled = models.BooleanField(default=False)
    payout_schedule = models.CharField(
        max_length=10, choices=PayoutSchedule.choices, default=PayoutSchedule.WEEKLY
    )
    # The seller's accounts at providers they were paid with before ({provider: reference}):
    # switching to PayPal and back finds their Stripe account again instead of opening another.
    earlier_references = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.seller_id}@{self.provider}"


class PayoutStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"


class Payout(models.Model):
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="payouts")
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField()
    status = models.CharField(
        max_length=10, choices=PayoutStatus.choices, default=PayoutStatus.PROCESSING
    )
    provider = models.CharField(max_length=20)
    provider_reference = models.CharField(max_length=120, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    # "manual:<request key>" or "<schedule>:<period>": one payout per seller, currency and key.
    run_key = models.CharField(max_length=80)
    requested_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive"),
            models.UniqueConstraint(
                fields=["seller", "currency", "run_key"], name="payout_once_per_run"
            ),
        ]

    def __str__(self) -> str:
        return f"payout {self.pk} {self.amount} {self.currency}"


class PayPalAccount(models.Model):
    """The marketplace's own PayPal Business REST app (one row per schema, pk 1), set by its
    operators: each marketplace is the merchant of record of its PayPal payments, and PayPal
    verifies webhooks per app and webhook id, so a fleet cannot share one app the way it
    shares the platform's Stripe account. The secret is encrypted (core.crypto, per schema)."""

    is_enabled = models.BooleanField(default=False)
    is_live = models.BooleanField(default=False)  # False: PayPal's sandbox
    client_id = models.CharField(max_length=120, blank=True)
    client_secret_encrypted = models.TextField(blank=True)
    webhook_id = models.CharField(max_length=60, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="paypal_account_single")]

    def __str__(self) -> str:
        return f"paypal {'live' if self.is_live else 'sandbox'}"
