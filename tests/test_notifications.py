"""Notifications: the service writes in-app rows in the caller's transaction, delivers the other
channels once per (notification, channel) through the outbox by each user's preferences."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django_tenants.utils import schema_context

from core.events import dispatch_pending
from core.notifications.errors import NotificationError, NotificationErrorCode
from core.notifications.models import Delivery, DeliveryStatus, Notification
from core.notifications.services import notify
from core.notifications.services.preferences import update_preferences
from core.outbox.models import OutboxEvent
from tests.accounts_helpers import make_user


@pytest.fixture
def alice(tenant_a):
    return make_user(tenant_a, "alice@example.com")


def test_notify_writes_one_row_per_user_and_dedupe_makes_repeats_no_ops(tenant_a, alice):
    bob = make_user(tenant_a, "bob@example.com")
    with schema_context(tenant_a.schema_name):
        first = notify(
            user_ids=[alice.pk, bob.pk, alice.pk],
            type_key="orders.paid",
            title="Order 1 paid",
            url="/orders/1/",
            dedupe_key="order:1",
        )
        again = notify(
            user_ids=[alice.pk, bob.pk],
            type_key="orders.paid",
            title="Order 1 paid",
            dedupe_key="order:1",
        )
        assert (first, again) == (2, 0)
        assert Notification.objects.filter(user=alice).count() == 1
        assert OutboxEvent.objects.filter(event_type="notifications.created").count() == 1


def test_notify_is_rolled_back_with_the_callers_transaction(tenant_a, alice):
    with schema_context(tenant_a.schema_name):
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(user_ids=[alice.pk], type_key="orders.paid", title="Paid")
            raise RuntimeError("the order failed")
        assert not Notification.objects.exists()
        assert not OutboxEvent.objects.exists()


def test_an_unknown_type_is_refused(tenant_a, alice):
    with schema_context(tenant_a.schema_name), pytest.raises(NotificationError) as refused:
        notify(user_ids=[alice.pk], type_key="nobody.declared", title="?")
    assert refused.value.code == NotificationErrorCode.UNKNOWN_TYPE


def test_a_family_key_covers_its_members(tenant_a, alice):
    with schema_context(tenant_a.schema_name):
        assert notify(user_ids=[alice.pk], type_key="security.password_changed", title="x") == 1


def test_email_goes_once_even_when_the_outbox_event_is_replayed(tenant_a, alice):
    with schema_context(tenant_a.schema_name):
        notify(
            user_ids=[alice.pk],
            type_key="orders.paid",
            title="Your order is paid",
            body="Thanks",
            url="/orders/7/",
        )
        assert dispatch_pending() == 1
        assert [m.to for m in mail.outbox] == [["alice@example.com"]]
        # A worker died after sending but before the event was marked: it is delivered again.
        OutboxEvent.objects.update(dispatched_at=None)
        assert dispatch_pending() == 1
        assert len(mail.outbox) == 1
        delivery = Delivery.objects.get()
        assert (delivery.channel, delivery.status) == ("email", DeliveryStatus.SENT)
    message = mail.outbox[0]
    assert message.subject == f"[{tenant_a.name}] Your order is paid"
    assert "/orders/7/" in message.body
    assert message.alternatives and "Your order is paid" in message.alternatives[0][0]


def test_a_channel_switched_off_is_not_delivered(tenant_a, alice):
    with schema_context(tenant_a.schema_name):
        update_preferences(user_id=alice.pk, channels={"orders.paid": {"email": False}})
        notify(user_ids=[alice.pk], type_key="orders.paid", title="Paid")
        dispatch_pending()
        assert mail.outbox == []
        assert not Delivery.objects.exists()
        assert Notification.objects.filter(user=alice).count() == 1  # in-app still there
