"""Web push: each marketplace's VAPID key pair (made on first use with py_vapid, the private
key encrypted with core.crypto), browsers' subscriptions, and sending with pywebpush. A push
service answering 404 or 410 means the subscription is gone: it is deleted."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.db import IntegrityError, transaction
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from core import crypto
from core.integrations.errors import IntegrationError
from core.integrations.ssrf import check_url
from core.notifications.errors import NotificationError, NotificationErrorCode
from core.notifications.models import (
    MarketplaceNotificationSettings,
    Notification,
    PushSubscription,
)

logger = logging.getLogger(__name__)
GONE = {404, 410}
TIMEOUT = 10.0


class PushFailed(Exception):
    pass


def marketplace_settings() -> MarketplaceNotificationSettings:
    """This marketplace's row, made (with a fresh VAPID key pair) the first time it is asked."""
    found = MarketplaceNotificationSettings.objects.filter(singleton=1).first()
    if found is not None:
        return found
    vapid = Vapid02()
    vapid.generate_keys()
    private_pem = vapid.private_pem().decode()
    public = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    try:
        with transaction.atomic():
            return MarketplaceNotificationSettings.objects.create(
                vapid_public_key=base64.urlsafe_b64encode(public).decode().rstrip("="),
                vapid_private_key_encrypted=crypto.encrypt(private_pem),
            )
    except IntegrityError:  # made meanwhile by another request
        return MarketplaceNotificationSettings.objects.get(singleton=1)


def vapid_public_key() -> str:
    return marketplace_settings().vapid_public_key


def _vapid() -> Vapid02:
    pem = crypto.decrypt(marketplace_settings().vapid_private_key_encrypted)
    return Vapid02.from_pem(pem.encode())


def subscribe(
    *, user_id: int, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """The endpoint must be a public address (the SSRF guard of core.integrations): Souk
    will POST to it."""
    try:
        if not p256dh or not auth:
            raise ValueError("keys missing")
        check_url(endpoint, field="endpoint")
    except (IntegrationError, ValueError) as error:
        raise NotificationError(
            NotificationErrorCode.INVALID_SUBSCRIPTION,
            "A push subscription needs a public endpoint URL and its keys.",
            details={"field": "endpoint"},
        ) from error
    subscription, _ = PushSubscription.objects.update_or_create(
        endpoint=endpoint,
        defaults={
            "user_id": user_id,
            "p256dh": p256dh,
            "auth": auth,
            "user_agent": user_agent[:300],
        },
    )
    return subscription


def unsubscribe(*, user_id: int, endpoint: str) -> bool:
    deleted, _ = PushSubscription.objects.filter(user_id=user_id, endpoint=endpoint).delete()
    return bool(deleted)


def payload_of(notification: Notification) -> str:
    return json.dumps(
        {
            "id": notification.pk,
            "title": notification.title,
            "body": notification.body,
            "url": notification.url or "/notifications/",
        }
    )


def send_push(notification: Notification, *, vapid_subject: str) -> int:
    """Sends to every subscription of the user; returns how many accepted it. Gone ones are
    deleted; any other failure raises ``PushFailed`` (the delivery is retried)."""
    subscriptions = list(PushSubscription.objects.filter(user_id=notification.user_id))
    if not subscriptions:
        return 0
    vapid = _vapid()
    data = payload_of(notification)
    accepted, failures = 0, []
    for subscription in subscriptions:
        info: dict[str, Any] = {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
        try:
            check_url(subscription.endpoint, field="endpoint")  # DNS may have changed since
        except IntegrationError:
            subscription.delete()
            continue
        try:
            webpush(
                subscription_info=info,
                data=data,
                vapid_private_key=vapid,
                vapid_claims={"sub": vapid_subject},
                timeout=TIMEOUT,
                ttl=86400,
            )
        except WebPushException as error:
            status = getattr(error.response, "status_code", None)
            if status in GONE:
                logger.info("push subscription %s gone (%s): deleted", subscription.pk, status)
                subscription.delete()
                continue
            failures.append(f"{status}: {error.message}"[:200])
            continue
        accepted += 1
    if failures and not accepted:
        raise PushFailed("; ".join(failures))
    return accepted
