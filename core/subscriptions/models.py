"""Subscriptions: a buyer's recurring purchase of one product at a recurring price. Every charge
is an order (the first checkout, each renewal, each upgrade), so modules grant and extend access
through the same fulfilment hooks and the ledger sees ordinary captures.

``next_attempt_at`` is the one timer the renewal beat reads: the period end while the
subscription is in good standing, the next dunning retry while it is past due, a short claim
while a renewal is being charged, and empty once it is cancelled."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core.catalog.models import Product, ProductVariant
from core.commerce.models import OrderLine, RecurringPrice
from core.payments.models import SavedPaymentMethod
from core.sellers.models import Seller


class SubscriptionStatus(models.TextChoices):
    TRIALING = "trialing", "In its free trial"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Payment overdue"
    CANCELLED = "cancelled", "Cancelled"


class CancelReason(models.TextChoices):
    BUYER = "buyer", "Cancelled by the buyer at the period end"
    OPERATOR = "operator", "Cancelled by the marketplace"
    PAYMENT_FAILED = "payment_failed", "Renewal payments failed"
    REFUNDED = "refunded", "The period's payment was refunded"


class Subscription(models.Model):
    """``seller`` and ``product`` are copied from the first order line, so a seller's list is
    one indexed read."""

    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions"
    )
    seller = models.ForeignKey(Seller, on_delete=models.PROTECT, related_name="subscriptions")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="subscriptions")
    variant = models.ForeignKey(
        ProductVariant, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recurring_price = models.ForeignKey(
        RecurringPrice, on_delete=models.PROTECT, related_name="subscriptions"
    )
    # A downgrade (or a change of billing interval) waiting for the next renewal.
    scheduled_price = models.ForeignKey(
        RecurringPrice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The checkout line that started it: unique, so the order.paid consumer makes it once.
    first_order_line = models.OneToOneField(OrderLine, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=SubscriptionStatus.choices)
    # Periods are anchored on this moment's day of the month (31st -> 28th/29th -> 31st).
    billing_anchor = models.DateTimeField()
    current_period_start = models.DateTimeField()
    current_period_end = models.DateTimeField()
    trial_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=20, choices=CancelReason.choices, blank=True)
    payment_method = models.ForeignKey(
        SavedPaymentMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SubscriptionStatus.values), name="subscription_status_known"
            ),
            models.CheckConstraint(
                condition=Q(current_period_end__gt=F("current_period_start")),
                name="subscription_period_forward",
            ),
            # Cancelled <=> it has an end date and no timer; otherwise the beat must find it.
            models.CheckConstraint(
                condition=(
                    Q(status="cancelled", cancelled_at__isnull=False, next_attempt_at__isnull=True)
                    | (
                        ~Q(status="cancelled")
                        & Q(cancelled_at__isnull=True, next_attempt_at__isnull=False)
                    )
                ),
                name="subscription_cancelled_consistent",
            ),
            models.CheckConstraint(
                condition=~Q(status="trialing") | Q(trial_end__isnull=False),
                name="subscription_trial_has_end",
            ),
            models.CheckConstraint(
                condition=~Q(status="past_due") | Q(failed_attempts__gte=1),
                name="subscription_past_due_has_failures",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(next_attempt_at__isnull=False),
                name="subscription_due",
            ),
            models.Index(fields=["buyer", "-id"], name="subscription_buyer_recent"),
            models.Index(fields=["seller", "-id"], name="subscription_seller_recent"),
        ]

    def __str__(self) -> str:
        return f"subscription {self.pk} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status != SubscriptionStatus.CANCELLED


class SubscriptionOrderKind(models.TextChoices):
    RENEWAL = "renewal", "Renewal"
    PLAN_CHANGE = "plan_change", "Upgrade (prorated)"


class SubscriptionOrder(models.Model):
    """Why a subscription's order exists and what paying it does: a renewal extends the
    subscription to ``period_end``; a plan change switches it to ``recurring_price``. Applied
    once (``applied_at`` under the row lock), whoever sees the payment first."""

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="orders")
    order_id = models.BigIntegerField(unique=True)
    kind = models.CharField(max_length=12, choices=SubscriptionOrderKind.choices)
    recurring_price = models.ForeignKey(RecurringPrice, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    # Plan changes: the proration inputs, so the charge can be re-derived and audited.
    unused_seconds = models.BigIntegerField(null=True, blank=True)
    period_seconds = models.BigIntegerField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gt=F("period_start")), name="subscription_order_period"
            ),
            models.CheckConstraint(
                condition=Q(kind="renewal")
                | Q(
                    kind="plan_change",
                    unused_seconds__gte=0,
                    unused_seconds__lte=F("period_seconds"),
                ),
                name="subscription_order_proration",
            ),
        ]
        indexes = [
            models.Index(
                fields=["subscription", "kind", "period_start"], name="subscription_order_for"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} order {self.order_id} of {self.subscription_id}"


class SubscriptionEventKind(models.TextChoices):
    CREATED = "created", "Started"
    RENEWED = "renewed", "Renewed"
    PAYMENT_FAILED = "payment_failed", "Renewal payment failed"
    PAST_DUE = "past_due", "Payment overdue"
    CANCEL_SCHEDULED = "cancel_scheduled", "Set to cancel at the period end"
    RESUMED = "resumed", "Resumed"
    CANCELLED = "cancelled", "Cancelled"
    PLAN_CHANGED = "plan_changed", "Plan changed"
    PLAN_CHANGE_SCHEDULED = "plan_change_scheduled", "Plan change scheduled"
    PAYMENT_METHOD_CHANGED = "payment_method_changed", "Payment method changed"
    PAID_AFTER_CANCEL = "paid_after_cancel", "An order was paid after cancellation"


class SubscriptionEvent(models.Model):
    """The subscription's history: what happened, who did it, and the order involved."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=SubscriptionEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "buyer", "operator", "system:renewal", "system:order.paid".
    actor_label = models.CharField(max_length=80)
    order_id = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.subscription_id}: {self.kind}"
