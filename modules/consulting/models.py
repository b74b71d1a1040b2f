"""Consultants' availability, session types, and the sessions and seats on their calendars.
Everything lives in the marketplace's schema.

Double-booking is impossible by construction: ``ConsultingSession`` carries an exclusion
constraint (core PostgreSQL GiST over range types, no extension) that refuses two active
sessions of one consultant whose blocked times (``[start - buffer_before, end + buffer_after)``)
overlap. A group session is one ``ConsultingSession`` with several ``Booking`` seats; its
``seats_taken`` never exceeds ``capacity`` (a check constraint)."""

from __future__ import annotations

import secrets
import uuid

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value

from core.schema import current_schema_name


class Int8Range(Func):
    function = "int8range"
    output_field = models.Field()


class TsTzRange(Func):
    function = "tstzrange"
    output_field = models.Field()


def default_reminders() -> list[int]:
    return [1440, 60]  # minutes before a session: 24 h and 1 h


def new_ical_uid() -> str:
    return f"{uuid.uuid4()}@souk-consulting"


def new_room() -> str:
    return secrets.token_urlsafe(24)


class VideoProvider(models.TextChoices):
    JITSI = "jitsi", "Souk's video rooms (Jitsi)"
    OWN_LINK = "own_link", "A link of my own"


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
    # A date range in the consultant's zone instead of the rolling horizon, when set.
    horizon_start = models.DateField(null=True, blank=True)
    horizon_end = models.DateField(null=True, blank=True)
    slot_interval = models.PositiveIntegerField(default=30)  # minutes
    max_per_day = models.PositiveIntegerField(null=True, blank=True)
    max_per_week = models.PositiveIntegerField(null=True, blank=True)
    # {"refund_tiers": [[hours_before, percent], ...], "reschedule_cutoff_hours": int,
    #  "cancellation_cutoff_hours": int}; see services.policy.
    policy = models.JSONField(default=dict)
    video_provider = models.CharField(
        max_length=16, choices=VideoProvider.choices, default=VideoProvider.JITSI
    )
    own_video_link = models.URLField(max_length=500, blank=True)
    # Minutes before a session at which both sides are reminded; copied onto each booking.
    reminder_minutes = models.JSONField(default=default_reminders)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_interval__gte=5, slot_interval__lte=720),
                name="consulting_interval_range",
            ),
            models.CheckConstraint(
                condition=Q(horizon_start__isnull=True)
                | Q(horizon_end__isnull=True)
                | Q(horizon_start__lte=F("horizon_end")),
                name="consulting_horizon_range",
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
    # Calendar invites (RFC 5546): one UID for the booking's life, SEQUENCE up on each change.
    ical_uid = models.CharField(max_length=80, unique=True, default=new_ical_uid)
    sequence = models.PositiveIntegerField(default=0)
    # The video room's name: unguessable, reached only through Souk's join page.
    room = models.CharField(max_length=64, unique=True, default=new_room)
    # Reminder offsets (minutes before the start) as they were when the slot was booked.
    reminder_minutes = models.JSONField(default=list)
    # Who did not turn up ("buyer" / "consultant"), as reported after the start.
    no_show = models.CharField(max_length=10, blank=True)
    no_show_reported_at = models.DateTimeField(null=True, blank=True)
    rebook_offer = models.ForeignKey(
        "RebookOffer", null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["buyer", "starts_at"]),
            models.Index(fields=["status", "hold_expires_at"]),
        ]

    def __str__(self) -> str:
        return f"booking {self.pk} ({self.status})"


class CalendarFeed(models.Model):
    """A user's private ICS feed of their upcoming sessions (as buyer and as consultant):
    ``/consulting/calendar/<token>.ics``; a new token cuts off the old URL."""

    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"calendar feed of {self.user_id}"


def booking_file_path(instance: BookingFile, filename: str) -> str:
    # Tenant-prefixed and private; the uploader's name is kept separately for display.
    return f"{current_schema_name()}/consulting/bookings/{instance.booking_id}/{instance.key}"


class BookingFile(models.Model):
    """A document shared in a booking, seen only by its buyer and consultant."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="files")
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=64, default=new_room)
    file = models.FileField(upload_to=booking_file_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"file {self.pk} of booking {self.booking_id}"


class BookingNote(models.Model):
    """Meeting notes: the consultant's private notes, or notes shared with the buyer."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    is_shared = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} of booking {self.booking_id}"


class FollowUp(models.Model):
    """One task agreed in a session, ticked off by either side."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="follow_ups")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    text = models.CharField(max_length=300)
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"follow-up {self.pk} of booking {self.booking_id}"


class RebookOffer(models.Model):
    """The consultant's "book again" offer after a session: a session type at a price of
    their choosing (minor units) until it expires, used by one new booking at most."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="rebook_offers")
    session_type = models.ForeignKey(SessionType, on_delete=models.CASCADE, related_name="+")
    price = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    message = models.CharField(max_length=500, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="consulting_rebook_price")
        ]

    def __str__(self) -> str:
        return f"rebook offer {self.pk}"
