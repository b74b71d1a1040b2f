"""Notifications: the service writes in-app rows in the caller's transaction, delivers the other
channels once per (notification, channel) through the outbox by each user's preferences."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase
from django_tenants.utils import schema_context

from core import events
from core.notifications.errors import NotificationError, NotificationErrorCode
from core.notifications.models import Delivery, DeliveryStatus, Notification
from core.notifications.services import notify
from core.notifications.services.preferences import update_preferences
from core.outbox.models import OutboxEvent
from tests.accounts_helpers import make_user


def dispatch_pending() -> int:
    """The outbox, then what its consumer queued after commit (the sending task), as a worker
    would run them."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return events.dispatch_pending()


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


def test_a_notification_is_dated_by_the_applications_clock(tenant_a, alice):
    """The demo's history and the tests move the clock: an order confirmed 30 days ago says
    so in the notification centre."""
    import datetime as dt

    import time_machine

    then = dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.UTC)
    with schema_context(tenant_a.schema_name), time_machine.travel(then, tick=False):
        notify(user_ids=[alice.pk], type_key="orders.paid", title="Order 7 paid")
        assert Notification.objects.get(user=alice).created_at == then


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


def test_the_new_notification_is_pushed_live_after_commit_with_the_unread_count(
    tenant_a, alice, django_capture_on_commit_callbacks
):
    from asgiref.sync import async_to_sync, sync_to_async
    from channels.layers import get_channel_layer

    from core.realtime.topics import user_group

    layer = get_channel_layer()
    written: dict[str, object] = {}

    def write_two() -> None:  # back on the test's thread and database connection
        with (
            schema_context(tenant_a.schema_name),
            django_capture_on_commit_callbacks(execute=True),  # the pushes go on commit
        ):
            notify(user_ids=[alice.pk], type_key="chat.message", title="Hi", url="/chats/1/")
            notify(user_ids=[alice.pk], type_key="chat.message", title="Again", url="/chats/1/")
            written["ids"] = list(Notification.objects.order_by("id").values_list("id", flat=True))

    async def listen():  # one event loop: the Pub/Sub layer is per loop
        channel = await layer.new_channel()
        await layer.group_add(user_group(tenant_a.schema_name, alice.pk), channel)
        await sync_to_async(write_two)()
        return [await layer.receive(channel), await layer.receive(channel)]

    first, second = async_to_sync(listen)()
    ids = written["ids"]
    assert first == {
        "type": "relay",
        "event": "notification.new",
        "data": {"id": ids[0], "title": "Hi", "url": "/chats/1/", "unread_count": 1},
    }
    assert second["data"] == {"id": ids[1], "title": "Again", "url": "/chats/1/", "unread_count": 2}


def test_a_type_declared_twice_fails_the_system_check():
    from core.notifications.checks import check_notification_types
    from core.registry.notification_types import NotificationTypeSpec

    errors = check_notification_types(
        [
            ("core.notifications", NotificationTypeSpec("orders.paid", "Paid")),
            ("gigs", NotificationTypeSpec("orders.paid", "Paid again")),
            ("gigs", NotificationTypeSpec("gigs.x", "X", default_channels=("pigeon",))),
            ("gigs", NotificationTypeSpec("Bad Key", "Bad")),
        ]
    )
    assert [error.id for error in errors] == ["souk.E101", "souk.E103", "souk.E102"]


def test_the_declared_types_pass_the_system_check():
    from core.notifications.checks import notification_types_check

    assert notification_types_check() == []


def test_an_id_that_is_no_user_of_this_marketplace_gets_nothing(tenant_a, tenant_b, alice):
    with schema_context(tenant_b.schema_name):
        written = notify(user_ids=[alice.pk + 10_000], type_key="orders.paid", title="x")
        assert written == 0
        assert not Notification.objects.exists()
        assert not OutboxEvent.objects.exists()


def test_a_delivery_a_dead_worker_left_is_sent_once_when_its_lease_runs_out(tenant_a, alice):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from core.notifications.delivery import _claim, run_due

    with schema_context(tenant_a.schema_name):
        notify(user_ids=[alice.pk], type_key="orders.paid", title="Paid")
        events.dispatch_pending()  # planned; the sending task never ran (worker died)
        delivery = Delivery.objects.get()
        now = timezone.now()
        _claim(now=now, ids=[delivery.pk])  # ... or died after claiming it
        assert Delivery.objects.get().status == DeliveryStatus.SENDING
        assert run_due(now=now) == 0 and mail.outbox == []
        with time_machine.travel(now + timedelta(minutes=11), tick=False):
            assert run_due() == 1
            assert run_due() == 0
        assert len(mail.outbox) == 1
        assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_a_planned_delivery_whose_task_was_lost_is_sent_by_the_timer(tenant_a, alice):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from core.notifications.delivery import run_due

    with schema_context(tenant_a.schema_name):
        notify(user_ids=[alice.pk], type_key="orders.paid", title="Paid")
        events.dispatch_pending()  # the after-commit task is never queued here
        with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
            assert run_due() == 1
    assert len(mail.outbox) == 1
