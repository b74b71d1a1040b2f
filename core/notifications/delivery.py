"""Delivering the channels beyond in-app. ``plan`` (the outbox consumer) writes one delivery
row per (notification, channel) the user wants — the unique constraint makes a replayed event
a no-op — and, after commit, ``deliver`` sends the ones due now. Quiet hours hold non-critical
push and SMS until they end; digest users' non-critical e-mails wait for the daily digest;
failures are retried by the timer (``run_due``) with backoff.

Provider calls happen outside locks and transactions: a row is claimed first (``sending``, with
a lease), committed, then sent, then its outcome recorded. A worker that dies between the
claim and the record leaves the lease to expire, and the timer sends it again (so a crash at
the worst moment can repeat one message; nothing else does)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
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
LEASE = timedelta(minutes=10)
BATCH = 500


def plan(notification_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Writes the deliveries; returns how many are due now (sent after commit)."""
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
    due = list(
        Delivery.objects.filter(
            notification__in=notifications, status=DeliveryStatus.PENDING, attempts=0
        ).values_list("id", flat=True)
    )
    if due:
        transaction.on_commit(lambda: _queue(due))
    return len(due)


def _queue(delivery_ids: list[int]) -> None:
    from core.notifications.tasks import deliver_notifications

    deliver_notifications.delay(delivery_ids)


def _claim(
    *, now: datetime, ids: list[int] | None = None, is_due_only: bool = False
) -> list[Delivery]:
    """Locks and leases the rows to send (skipping rows another worker holds), in a short
    transaction of its own."""
    with transaction.atomic():
        rows = Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        if ids is not None:
            rows = rows.filter(pk__in=ids, status=DeliveryStatus.PENDING)
        if is_due_only:  # held or failed whose time came, leases run out, lost tasks
            rows = rows.filter(
                Q(
                    status__in=[DeliveryStatus.HELD, DeliveryStatus.FAILED, DeliveryStatus.SENDING],
                    hold_until__lte=now,
                )
                | Q(status=DeliveryStatus.PENDING, created_at__lte=now - LEASE)
            )
        claimed = list(rows.order_by("id").values_list("id", flat=True)[:BATCH])
        Delivery.objects.filter(pk__in=claimed).update(
            status=DeliveryStatus.SENDING, hold_until=now + LEASE
        )
    return list(
        Delivery.objects.filter(pk__in=claimed).select_related("notification__user").order_by("id")
    )


def deliver(delivery_ids: list[int], *, now: datetime | None = None) -> int:
    """Sends the given pending deliveries (the task queued after ``plan``); returns how many
    went out. A delivery already claimed or done is skipped."""
    claimed = _claim(now=now or timezone.now(), ids=delivery_ids)
    return sum(attempt(delivery) for delivery in claimed)


def attempt(delivery: Delivery) -> bool:
    """Sends one claimed delivery and records the outcome; never raises (a failure is
    retried). Called outside any transaction: the provider call holds no lock."""
    notification = delivery.notification
    choice = Preferences.objects.filter(user_id=notification.user_id).first()
    delivery.attempts += 1
    try:
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
    delivery.hold_until = None
    if not is_sent:
        delivery.last_error = "nowhere to send it"
    delivery.save(update_fields=["attempts", "status", "sent_at", "hold_until", "last_error"])
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
    """The timer: held and failed deliveries whose time came, deliveries a dead worker left
    (lease run out, or their task lost), then digests due. Returns how many were sent."""
    now = now or timezone.now()
    sent = sum(attempt(delivery) for delivery in _claim(now=now, is_due_only=True))
    sent += send_due_digests(now=now)
    return sent


def send_due_digests(*, now: datetime | None = None) -> int:
    """One e-mail per user whose local digest hour has come today and who has waiting items;
    at most one per local day (``last_digest_on``). The items are claimed in a short
    transaction and the e-mail sent after it; a failed send puts them back for the next tick
    (a worker that dies meanwhile leaves them leased: the timer then sends them one by one)."""
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
                .order_by("notification_id")
                .values_list("id", flat=True)
            )
            if not waiting:
                continue
            Delivery.objects.filter(pk__in=waiting).update(
                status=DeliveryStatus.SENDING, hold_until=now + LEASE
            )
            previous_digest_on = choice.last_digest_on
            choice.last_digest_on = local.date()
            choice.save(update_fields=["last_digest_on"])
        notifications = [
            delivery.notification
            for delivery in Delivery.objects.filter(pk__in=waiting)
            .select_related("notification__user")
            .order_by("notification_id")
        ]
        try:
            build_digest(email=notifications[0].user.email, notifications=notifications).send(
                fail_silently=False
            )
        except Exception:  # back in the queue for the next tick
            logger.warning("daily digest for user %s failed", user_id, exc_info=True)
            Delivery.objects.filter(pk__in=waiting).update(
                status=DeliveryStatus.DIGEST, hold_until=None
            )
            Preferences.objects.filter(pk=choice.pk).update(last_digest_on=previous_digest_on)
            continue
        Delivery.objects.filter(pk__in=waiting).update(
            status=DeliveryStatus.SENT, sent_at=now, attempts=1, hold_until=None
        )
        sent += 1
    return sent
