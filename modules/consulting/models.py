"""Consultants' availability, session types, and the sessions and seats on their calendars.
Everything lives in the marketplace's schema.

Double-booking is impossible by construction: ``ConsultingSession`` carries an exclusion
constraint (core PostgreSQL GiST over range types, no extension) that refuses two active
sessions of one consultant whose blocked times (``[start - buffer_before, end + buffer_after)``)
overlap. A group session is one ``ConsultingSession`` with several ``Booking`` seats; its
``seats_taken`` never exceeds ``capacity`` (a check constraint)."""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value


class Int8Range(Func):
    function = "int8range"
    output_field = models.Field()


class TsTzRange(Func):
    function = "tstzrange"
    output_field = models.Field()


class ConsultantProfile(models.Model):
    """A seller's calendar settings: their zone, buffers, notice, horizon, interval, caps
    and their cancellation policy (within the operator's bounds)."""

    seller = models.OneToOneField(
        "sellers.Seller", on_delete=models.CASCADE, related_name="consultant_profile"
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    buffer_before = models.PositiveIntegerField(default=0)  # minutes
    buffer_after = models.PositiveIntegerField(default=0)
    min_notice = models.PositiveIntegerField(default=120)  # minutes
    horizon_days = models.PositiveIntegerField(default=60)
    slot_interval = models.PositiveIntegerField(default=30)  # minutes
    max_per_day = models.PositiveIntegerField(null=True, blank=True)
    max_per_week = models.PositiveIntegerField(null=True, blank=True)
    # {"refund_tiers": [[hours_before, percent], ...], "reschedule_cutoff_hours": int,
    #  "cancellation_cutoff_hours": int}; see services.policy.
    policy = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_interval__gte=5, slot_interval__lte=720),
                name="consulting_interval_range",
            ),
        ]

    def __str__(self) -> str:
        return f"consultant {self.seller_id}"


class WeeklyRule(models.Model):
    """One window of a weekday, in minutes after the consultant's local midnight."""

    consultant = models.ForeignKey(
        ConsultantProfile, on_delete=models.CASCADE, related_name="weekly_rules"
    )
    weekday = models.PositiveSmallIntegerField()  # Monday 0
    start_minute = models.PositiveIntegerField()
    end_minute = models.PositiveIntegerField()

    class Meta:
        ordering = ["weekday", "start_minute"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__lte=6, end_minute__lte=1440, start_minute__lt=F("end_minute")),
                name="consulting_rule_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"weekday {self.weekday} {self.start_minute}-{self.end_minute}"


class DateOverride(models.Model):
    """A date whose windows replace the weekly ones; no windows is a day off."""

    consultant = models.ForeignKey(
        ConsultantProfile, on_delete=models.CASCADE, related_name="overrides"
    )
    date = models.DateField()
    windows = models.JSONField(default=list)  # [[start_minute, end_minute], ...]

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["consultant", "date"], name="consulting_one_override")
        ]

    def __str__(self) -> str:
        return f"override {self.date}"


class SessionType(models.Model):
    """What a buyer books: a catalogue product of type ``consult`` with its length, price
    (minor units) and seats (1, or a group's size)."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.CASCADE, related_name="session_type"
    )
    consultant = models.ForeignKey(
        ConsultantProfile, on_delete=models.CASCADE, related_name="session_types"
    )
    minutes = models.PositiveIntegerField()
    price = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    description = models.TextField(blank=True)
    seats = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=5, minutes__lte=720, price__gte=0, seats__gte=1),
                name="consulting_session_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"session type {self.pk} ({self.minutes} min)"


class ConsultingSession(models.Model):
    """An occurrence on the consultant's calendar, while one of its seats is held or booked
    (``is_active``). The exclusion constraint is the guard against double-booking."""

    consultant = models.ForeignKey(
        ConsultantProfile, on_delete=models.PROTECT, related_name="sessions"
    )
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # The blocked time, with the buffers as they were when the session was taken.
    blocked_from = models.DateTimeField()
    blocked_until = models.DateTimeField()
    capacity = models.PositiveIntegerField(default=1)
    seats_taken = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["consultant", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    seats_taken__lte=F("capacity"),
                    ends_at__gt=F("starts_at"),
                    blocked_from__lte=F("starts_at"),
                    blocked_until__gte=F("ends_at"),
                ),
                name="consulting_session_valid",
            ),
            ExclusionConstraint(
                name="consulting_no_double_booking",
                index_type="GIST",
                expressions=[
                    (
                        Int8Range(F("consultant_id"), F("consultant_id"), Value("[]")),
                        RangeOperators.OVERLAPS,
                    ),
                    (
                        TsTzRange(F("blocked_from"), F("blocked_until"), Value("[)")),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(is_active=True),
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} at {self.starts_at.isoformat()}"


class BookingStatus(models.TextChoices):
    HELD = "held", "Held while the buyer pays"
    BOOKED = "booked", "Booked"
    EXPIRED = "expired", "Hold expired"
    CANCELLED = "cancelled", "Cancelled"
    LOST = "lost", "Paid too late: slot taken, refunded"
    COMPLETED = "completed", "Completed"


ACTIVE = (BookingStatus.HELD, BookingStatus.BOOKED)


class Booking(models.Model):
    """One buyer's seat in a session: held while the buyer pays (a custom offer in their
    cart), booked once the order line is paid (the fulfil hook)."""

    session = models.ForeignKey(ConsultingSession, on_delete=models.PROTECT, related_name="seats")
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    consultant = models.ForeignKey(
        ConsultantProfile, on_delete=models.PROTECT, related_name="bookings"
    )
    buyer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=BookingStatus.choices, default="held")
    offer = models.OneToOneField(
        "commerce.CustomOffer", null=True, on_delete=models.PROTECT, related_name="+"
    )
    order_line = models.OneToOneField(
        "commerce.OrderLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hold_expires_at = models.DateTimeField()
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # The cancellation policy as it was when the slot was held (never retroactive).
    policy = models.JSONField(default=dict)
    buyer_zone = models.CharField(max_length=64, default="UTC")
    refunded_amount = models.BigIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.CharField(max_length=10, blank=True)  # buyer / consultant / system
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["buyer", "starts_at"]),
            models.Index(fields=["status", "hold_expires_at"]),
        ]

    def __str__(self) -> str:
        return f"booking {self.pk} ({self.status})"
