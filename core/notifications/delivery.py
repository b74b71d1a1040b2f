"""Delivering the channels beyond in-app. ``plan`` (the outbox consumer) writes one delivery
row per (notification, channel) the user wants — the unique constraint makes a replayed event
a no-op — and sends the ones due now. Quiet hours hold non-critical push and SMS until they
end; digest users' non-critical e-mails wait for the daily digest; failures are retried by the
timer (``run_due``) with backoff."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.marketplace import current_marketplace
from core.notifications import push
from core.notifications.email import absolute_url, build_digest, build_email, site_origin
from core.notifications.models import Delivery, DeliveryStatus, Notification, Preferences
from core.notifications.services.preferences import channels_for, quiet_until, zone_of
from core.notifications.sms import sms_backend
from core.notifications.types import find_type, is_digestible

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
QUIET_CHANNELS = ("push", "sms")


def plan(notification_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Returns how many deliveries were sent now."""
    now = now or timezone.now()
    notifications = list(
        Notification.objects.filter(pk__in=list(notification_ids)).select_related("user")
    )
    if not notifications:
        return 0
    preferences = {
        p.user_id: p
        for p in Preferences.objects.filter(user_id__in={n.user_id for n in notifications})
    }
    existing = set(
        Delivery.objects.filter(notification__in=notifications).values_list(
            "notification_id", "channel"
        )
    )
    rows = []
    for notification in notifications:
        spec = find_type(notification.type_key)
        if spec is None:
            continue
        choice = preferences.get(notification.user_id) or Preferences(user_id=notification.user_id)
        for channel in channels_for(choice, notification.type_key):
            if channel == "in_app" or (notification.pk, channel) in existing:
                continue
            status, hold_until = DeliveryStatus.PENDING, None
            if channel == "email" and choice.is_daily_digest and is_digestible(spec):
                status = DeliveryStatus.DIGEST
            elif channel in QUIET_CHANNELS and not spec.is_critical:
                hold_until = quiet_until(choice, now)
                if hold_until is not None:
                    status = DeliveryStatus.HELD
            rows.append(
                Delivery(
                    notification=notification, channel=channel, status=status, hold_until=hold_until
                )
            )
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    due = Delivery.objects.filter(
        notification__in=notifications, status=DeliveryStatus.PENDING, attempts=0
    ).select_related("notification__user")
    return sum(attempt(delivery, preferences=preferences) for delivery in due)


def attempt(delivery: Delivery, *, preferences: dict[int, Preferences] | None = None) -> bool:
    """Sends one delivery and records the outcome; never raises (a failure is retried)."""
    notification = delivery.notification
    choice = (preferences or {}).get(notification.user_id) or Preferences.objects.filter(
        user_id=notification.user_id
    ).first()
    delivery.attempts += 1
    try:
        with transaction.atomic():
            is_sent = _send(delivery.channel, notification, choice)
    except Exception as error:  # recorded on the row, retried with backoff
        logger.warning("notification delivery %s failed: %s", delivery.pk, error)
        delivery.last_error = f"{type(error).__name__}: {error}"[:500]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.DROPPED
        else:
            delivery.status = DeliveryStatus.FAILED
            delivery.hold_until = timezone.now() + timedelta(minutes=2**delivery.attempts)
        delivery.save(update_fields=["attempts", "status", "hold_until", "last_error"])
        return False
    delivery.status = DeliveryStatus.SENT if is_sent else DeliveryStatus.DROPPED
    delivery.sent_at = timezone.now() if is_sent else None
    if not is_sent:
        delivery.last_error = "nowhere to send it"
    delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return is_sent


def _send(channel: str, notification: Notification, choice: Preferences | None) -> bool:
    if channel == "email":
        message = build_email(notification)
        if message is None or not message.to:
            return False
        message.send(fail_silently=False)
        return True
    if channel == "push":
        return push.send_push(notification, vapid_subject=site_origin()) > 0
    if channel == "sms":
        if choice is None or not choice.phone_number:
            return False
        name = current_marketplace().name
        link = absolute_url(notification.url)
        text = f"{name}: {notification.title}" + (f" {link}" if link else "")
        sms_backend().send(to=choice.phone_number, body=text[:320])
        return True
    return False


def run_due(*, now: datetime | None = None) -> int:
    """The timer: held and failed deliveries whose time came, then digests due. Returns how
    many were sent."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=[DeliveryStatus.HELD, DeliveryStatus.FAILED], hold_until__lte=now)
            .select_related("notification__user")
            .order_by("id")[:500]
        )
        for delivery in due:
            sent += attempt(delivery)
    sent += send_due_digests(now=now)
    return sent


def send_due_digests(*, now: datetime | None = None) -> int:
    """One e-mail per user whose local digest hour has come today and who has waiting items;
    at most one per local day (``last_digest_on``)."""
    now = now or timezone.now()
    hour = push.marketplace_settings().digest_hour
    sent = 0
    user_ids = set(
        Delivery.objects.filter(status=DeliveryStatus.DIGEST).values_list(
            "notification__user_id", flat=True
        )
    )
    for user_id in sorted(user_ids):
        with transaction.atomic():
            choice, _ = Preferences.objects.select_for_update().get_or_create(user_id=user_id)
            local = now.astimezone(zone_of(choice))
            if local.hour < hour or choice.last_digest_on == local.date():
                continue
            waiting = list(
                Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=DeliveryStatus.DIGEST, notification__user_id=user_id)
                .select_related("notification__user")
                .order_by("notification_id")
            )
            if not waiting:
                continue
            notifications = [delivery.notification for delivery in waiting]
            build_digest(email=notifications[0].user.email, notifications=notifications).send(
                fail_silently=False
            )
            Delivery.objects.filter(pk__in=[d.pk for d in waiting]).update(
                status=DeliveryStatus.SENT, sent_at=now, attempts=1
            )
            choice.last_digest_on = local.date()
            choice.save(update_fields=["last_digest_on"])
            sent += 1
    return sent
