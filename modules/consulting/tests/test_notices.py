"""Booking notices: a booking, a move and a cancellation reach the buyer and the consultant
in the app and by e-mail, each e-mail in its reader's own zone with the invite attached
(``text/calendar; method=REQUEST`` then ``method=CANCEL``, one UID, a rising SEQUENCE); a
replayed outbox event sends nothing twice; an e-mail built after the booking was cancelled
carries the cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.mime.base import MIMEBase
from typing import Any

from django.core import mail
from django.core.mail import EmailMessage
from django_tenants.utils import schema_context
from icalendar import Calendar

from core.events import dispatch_pending
from core.notifications.email import build_email
from core.notifications.models import Notification
from core.notifications.services.preferences import update_preferences
from core.outbox.models import OutboxEvent
from modules.consulting.models import Booking
from modules.consulting.services.booking import hold_slot
from modules.consulting.services.cancellation import cancel_by_buyer
from modules.consulting.services.reschedule import reschedule_by_buyer
from modules.consulting.tests.helpers import pay, refreshed

TEN = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # 05:00 in New York, 11:00 in Berlin


def deliver(tenant: Any, capture: Any) -> None:
    """The outbox, then what its consumers queued after commit (the notification deliveries),
    as the workers would run them."""
    with schema_context(tenant.schema_name), capture(execute=True):
        dispatch_pending()


def booked_from_new_york(c: Any, capture: Any) -> Booking:
    with schema_context(c.tenant.schema_name):
        booking = hold_slot(
            buyer=c.buyer,
            session_type_id=c.session_type.pk,
            starts_at=TEN,
            buyer_zone="America/New_York",
        )
    pay(c.tenant, c.buyer, booking, capture)
    return refreshed(c.tenant, booking)


def invite_of(message: EmailMessage) -> tuple[str, Calendar]:
    """The ``method`` parameter of the message's one attachment and its calendar."""
    (part,) = message.attachments
    assert isinstance(part, MIMEBase)
    assert part.get_content_type() == "text/calendar"
    assert part.get_filename() == "invite.ics"
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return str(part.get_param("method")), Calendar.from_ical(payload)


def by_recipient(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    assert len(messages) == len({m.to[0] for m in messages}), [m.to for m in messages]
    return {message.to[0]: message for message in messages}


def consulting_mail() -> list[EmailMessage]:
    """The e-mails with an invite (not the order confirmation with its invoice)."""
    return [
        m
        for m in mail.outbox
        if any(
            isinstance(a, MIMEBase) and a.get_content_type() == "text/calendar"
            for a in m.attachments
        )
    ]


def test_each_change_emails_both_sides_the_invite_with_one_uid_and_a_rising_sequence(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    capture = django_capture_on_commit_callbacks
    mail.outbox.clear()
    booking = booked_from_new_york(c, capture)
    deliver(c.tenant, capture)
    sent = [by_recipient(consulting_mail())]

    mail.outbox.clear()
    with schema_context(c.tenant.schema_name):
        reschedule_by_buyer(
            buyer=c.buyer, booking_id=booking.pk, starts_at=TEN + timedelta(hours=2)
        )
    deliver(c.tenant, capture)
    sent.append(by_recipient(consulting_mail()))

    mail.outbox.clear()
    with schema_context(c.tenant.schema_name):
        cancel_by_buyer(buyer=c.buyer, booking_id=booking.pk)
    deliver(c.tenant, capture)
    sent.append(by_recipient(consulting_mail()))

    assert [sorted(step) for step in sent] == [["ada@example.com", "buyer@example.com"]] * 3
    for reader in ("buyer@example.com", "ada@example.com"):
        invites = [invite_of(step[reader]) for step in sent]
        assert [method for method, _ in invites] == ["REQUEST", "REQUEST", "CANCEL"]
        assert [str(cal["METHOD"]) for _, cal in invites] == ["REQUEST", "REQUEST", "CANCEL"]
        events = [next(iter(cal.walk("VEVENT"))) for _, cal in invites]
        assert {str(event["UID"]) for event in events} == {booking.ical_uid}
        assert [int(event["SEQUENCE"]) for event in events] == [0, 1, 2]
        assert [str(event["STATUS"]) for event in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
        assert events[1].decoded("DTSTART") == TEN + timedelta(hours=2)

    booked_mail = sent[0]
    buyers, consultants = booked_mail["buyer@example.com"], booked_mail["ada@example.com"]
    assert buyers.subject == "[Consult Corner] Booked: Strategy call, Wed 9 Dec 2026, 05:00 EST"
    assert "Starts: Wed 9 Dec 2026, 05:00 EST (America/New_York)" in buyers.body
    assert "CET" not in buyers.body
    assert consultants.subject == (
        "[Consult Corner] New booking: Strategy call with Bea Buyer, Wed 9 Dec 2026, 11:00 CET"
    )
    assert "Starts: Wed 9 Dec 2026, 11:00 CET (Europe/Berlin)" in consultants.body
    assert f"/consulting/bookings/{booking.pk}/join/" in buyers.body
    html, mimetype = buyers.alternatives[0]
    assert mimetype == "text/html" and "05:00 EST" in str(html)
    moved = sent[1]["buyer@example.com"]
    assert moved.subject == "[Consult Corner] Moved: Strategy call, now Wed 9 Dec 2026, 07:00 EST"
    cancelled = sent[2]["ada@example.com"]
    assert cancelled.subject.startswith("[Consult Corner] Cancelled: Strategy call with Bea Buyer")
    assert "Bea Buyer cancelled it." in cancelled.body
    assert "This session is cancelled" in cancelled.body

    with schema_context(c.tenant.schema_name):
        notices = list(
            Notification.objects.filter(type_key__startswith="consulting.")
            .order_by("id")
            .values_list("type_key", "user__email", "url")
        )
    buyer_page = f"/consulting/bookings/{booking.pk}/"
    assert [(kind, who) for kind, who, _ in notices] == [
        ("consulting.booked", "buyer@example.com"),
        ("consulting.booked", "ada@example.com"),
        ("consulting.rescheduled", "buyer@example.com"),
        ("consulting.rescheduled", "ada@example.com"),
        ("consulting.cancelled", "buyer@example.com"),
        ("consulting.cancelled", "ada@example.com"),
    ]
    assert {url for _, who, url in notices if who == "buyer@example.com"} == {buyer_page}
    consultant_urls = {url for _, who, url in notices if who == "ada@example.com"}
    assert len(consultant_urls) == 1
    assert consultant_urls.pop().endswith(f"/consulting/bookings/{booking.pk}/")


def test_a_replayed_event_sends_nothing_twice(consulting, django_capture_on_commit_callbacks):
    c = consulting
    capture = django_capture_on_commit_callbacks
    mail.outbox.clear()
    booking = booked_from_new_york(c, capture)
    with schema_context(c.tenant.schema_name):
        reschedule_by_buyer(
            buyer=c.buyer, booking_id=booking.pk, starts_at=TEN + timedelta(hours=1)
        )
    deliver(c.tenant, capture)
    first = len(consulting_mail())
    with schema_context(c.tenant.schema_name):
        count = Notification.objects.filter(type_key__startswith="consulting.").count()

    # A worker died after sending: every consulting event is delivered again.
    with schema_context(c.tenant.schema_name):
        replayed = OutboxEvent.objects.filter(event_type__startswith="consulting.").update(
            dispatched_at=None
        )
    deliver(c.tenant, capture)

    assert (replayed, first, count) == (2, 4, 4)
    assert len(consulting_mail()) == 4
    with schema_context(c.tenant.schema_name):
        assert Notification.objects.filter(type_key__startswith="consulting.").count() == 4


def test_an_email_built_after_the_cancellation_carries_the_cancel(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    capture = django_capture_on_commit_callbacks
    booking = booked_from_new_york(c, capture)
    with schema_context(c.tenant.schema_name):
        notice = Notification.objects.get(user=c.buyer, type_key="consulting.booked")
        before = build_email(notice)
        cancel_by_buyer(buyer=c.buyer, booking_id=booking.pk)
        # The booked e-mail sent late (a retry, the quiet hours, a slow worker).
        after = build_email(notice)
    assert before is not None and after is not None

    method, calendar = invite_of(before)
    (event,) = calendar.walk("VEVENT")
    assert (method, str(event["STATUS"]), int(event["SEQUENCE"])) == ("REQUEST", "CONFIRMED", 0)
    method, calendar = invite_of(after)
    (event,) = calendar.walk("VEVENT")
    assert (method, str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCEL", "CANCELLED", 1)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert after.subject.startswith("[Consult Corner] Booked: Strategy call")
    assert "This session is cancelled" in after.body


def test_a_buyer_who_switched_the_email_off_is_told_in_the_app_only(
    consulting, django_capture_on_commit_callbacks
):
    c = consulting
    capture = django_capture_on_commit_callbacks
    mail.outbox.clear()
    with schema_context(c.tenant.schema_name):
        update_preferences(user_id=c.buyer.pk, channels={"consulting.booked": {"email": False}})
    booked_from_new_york(c, capture)
    deliver(c.tenant, capture)

    assert [m.to for m in consulting_mail()] == [["ada@example.com"]]
    with schema_context(c.tenant.schema_name):
        assert Notification.objects.filter(user=c.buyer, type_key="consulting.booked").count() == 1
