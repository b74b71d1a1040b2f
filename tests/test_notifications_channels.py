"""The channels beyond in-app against real counterparts: web push against a local HTTP server
playing the push service (VAPID-signed, aes128gcm-encrypted, pruned on 410), SMS against a
local server playing Twilio's Messages API; quiet hours hold push and SMS; the daily digest
is one e-mail of N items, once."""

from __future__ import annotations

import base64
import json
import os
import threading
from datetime import UTC, datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import http_ece
import pytest
import time_machine
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core import mail
from django.test import TestCase
from django_tenants.utils import schema_context

from core import events
from core.notifications import push
from core.notifications.delivery import run_due
from core.notifications.models import Delivery, DeliveryStatus, PushSubscription
from core.notifications.services import notify
from core.notifications.services.preferences import update_preferences
from core.notifications.sms import SmsError, TwilioSmsBackend, sms_backend
from tests.accounts_helpers import make_user


def dispatch_pending() -> int:
    """The outbox, then what its consumer queued after commit (the sending task), as a worker
    would run them."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return events.dispatch_pending()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FakeServer:
    """A local HTTP server: records every request, answers ``status`` with ``body``."""

    def __init__(self, status: int = 201, body: dict | None = None) -> None:
        self.status, self.body = status, body or {}
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                outer.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                payload = json.dumps(outer.body).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service(settings):
    settings.SOUK_WEBHOOKS_ALLOW_LOOPBACK = True  # the local push service listens on 127.0.0.1
    server = FakeServer(status=201)
    yield server
    server.close()


@pytest.fixture
def browser_keys():
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return private, _b64(public), os.urandom(16)


def _push_user(tenant, push_service, browser_keys, email="alice@example.com"):
    user = make_user(tenant, email)
    _, p256dh, auth = browser_keys
    with schema_context(tenant.schema_name):
        update_preferences(user_id=user.pk, channels={"orders.paid": {"push": True}})
        push.subscribe(
            user_id=user.pk,
            endpoint=f"{push_service.url}/push/{email}",
            p256dh=p256dh,
            auth=_b64(auth),
        )
    return user


def test_a_push_is_signed_with_the_marketplaces_vapid_key_and_decrypts_in_the_browser(
    tenant_a, push_service, browser_keys
):
    alice = _push_user(tenant_a, push_service, browser_keys)
    with schema_context(tenant_a.schema_name):
        notify(user_ids=[alice.pk], type_key="orders.paid", title="Paid!", url="/orders/3/")
        dispatch_pending()
        public_key = push.vapid_public_key()
        assert Delivery.objects.get(channel="push").status == DeliveryStatus.SENT
    (request,) = push_service.requests
    assert request["path"] == "/push/alice@example.com"
    authorization = request["headers"]["authorization"]
    assert authorization.startswith("vapid t=") and authorization.endswith(f",k={public_key}")
    # The JWT is signed by the marketplace's key, for this push service's origin.
    header, claims, signature = authorization[len("vapid t=") :].split(",")[0].split(".")
    raw = _unb64(signature)
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(public_key)).verify(
        encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:])),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    assert json.loads(_unb64(claims))["aud"] == push_service.url
    plain = http_ece.decrypt(
        request["body"],
        private_key=browser_keys[0],
        auth_secret=browser_keys[2],
        version="aes128gcm",
    )
    assert json.loads(plain)["title"] == "Paid!"
    assert json.loads(plain)["url"] == "/orders/3/"


def test_a_subscription_the_push_service_calls_gone_is_pruned(tenant_a, push_service, browser_keys):
    alice = _push_user(tenant_a, push_service, browser_keys)
    push_service.status = 410
    with schema_context(tenant_a.schema_name):
        notify(user_ids=[alice.pk], type_key="orders.paid", title="Paid!")
        dispatch_pending()
        assert len(push_service.requests) == 1
        assert not PushSubscription.objects.exists()
        assert Delivery.objects.get(channel="push").status == DeliveryStatus.DROPPED


def test_a_push_service_error_is_retried_not_lost(tenant_a, push_service, browser_keys):
    alice = _push_user(tenant_a, push_service, browser_keys)
    push_service.status = 503
    with schema_context(tenant_a.schema_name):
        notify(user_ids=[alice.pk], type_key="orders.paid", title="Paid!")
        dispatch_pending()
        delivery = Delivery.objects.get(channel="push")
        assert delivery.status == DeliveryStatus.FAILED
        assert PushSubscription.objects.exists()
        push_service.status = 201
        with time_machine.travel(delivery.hold_until, tick=False):
            run_due()
        assert Delivery.objects.get(channel="push").status == DeliveryStatus.SENT
    assert len(push_service.requests) == 2


def test_vapid_keys_are_per_marketplace_and_stored_encrypted(tenant_a, tenant_b):
    with schema_context(tenant_a.schema_name):
        row_a = push.marketplace_settings()
        assert "PRIVATE KEY" not in row_a.vapid_private_key_encrypted
    with schema_context(tenant_b.schema_name):
        assert push.vapid_public_key() != row_a.vapid_public_key


def test_twilio_adapter_speaks_the_messages_api():
    twilio = FakeServer(status=201, body={"sid": "SM123", "status": "queued"})
    try:
        backend = TwilioSmsBackend(
            account_sid="AC42", auth_token="secret", from_number="+15550001", api_base=twilio.url
        )
        assert backend.send(to="+4915112345678", body="Your order is paid") == "SM123"
        (request,) = twilio.requests
        assert request["path"] == "/2010-04-01/Accounts/AC42/Messages.json"
        assert (
            request["headers"]["Authorization"]
            == "Basic " + base64.b64encode(b"AC42:secret").decode()
        )
        assert parse_qs(request["body"].decode()) == {
            "To": ["+4915112345678"],
            "From": ["+15550001"],
            "Body": ["Your order is paid"],
        }
        twilio.status, twilio.body = 400, {"code": 21211, "message": "Invalid 'To' Phone Number"}
        with pytest.raises(SmsError, match="Invalid 'To'"):
            backend.send(to="+1", body="x")
    finally:
        twilio.close()


def test_the_twilio_backend_is_chosen_by_settings(settings):
    settings.SOUK_SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC42", "secret"
    settings.TWILIO_FROM_NUMBER = "+15550001"
    assert isinstance(sms_backend(), TwilioSmsBackend)
    settings.SOUK_SMS_BACKEND = "console"
    assert sms_backend().name == "console"


@pytest.fixture
def texts():
    backend = sms_backend()
    backend.sent.clear()
    return backend.sent


def _night_owl(tenant):
    """Quiet 22:00-07:00 in Berlin, texts and e-mail on for paid orders and refunds."""
    user = make_user(tenant, "owl@example.com")
    with schema_context(tenant.schema_name):
        update_preferences(
            user_id=user.pk,
            channels={"orders.paid": {"sms": True}, "orders.refunded": {"sms": True}},
            time_zone="Europe/Berlin",
            quiet_start=time(22, 0),
            quiet_end=time(7, 0),
            phone_number="+4915112345678",
        )
    return user


def test_quiet_hours_hold_texts_until_they_end_but_not_email(tenant_a, texts):
    owl = _night_owl(tenant_a)
    with schema_context(tenant_a.schema_name):
        with time_machine.travel(datetime(2026, 12, 6, 22, 30, tzinfo=UTC), tick=False):
            # 23:30 in Berlin
            notify(user_ids=[owl.pk], type_key="orders.paid", title="Paid at night")
            dispatch_pending()
            assert texts == []
            assert [m.subject for m in mail.outbox] == [f"[{tenant_a.name}] Paid at night"]
            held = Delivery.objects.get(channel="sms")
            assert held.status == DeliveryStatus.HELD
            assert held.hold_until == datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # 07:00 Berlin
        with time_machine.travel(datetime(2026, 12, 7, 5, 59, tzinfo=UTC), tick=False):
            run_due()
            assert texts == []
        with time_machine.travel(datetime(2026, 12, 7, 6, 1, tzinfo=UTC), tick=False):
            run_due()
            run_due()
    assert texts == [("+4915112345678", f"{tenant_a.name}: Paid at night")]


def test_a_critical_text_is_not_held_by_quiet_hours(tenant_a, texts):
    owl = _night_owl(tenant_a)
    with (
        schema_context(tenant_a.schema_name),
        time_machine.travel(datetime(2026, 12, 6, 22, 30, tzinfo=UTC), tick=False),
    ):
        notify(user_ids=[owl.pk], type_key="orders.refunded", title="Refunded")
        dispatch_pending()
    assert texts == [("+4915112345678", f"{tenant_a.name}: Refunded")]


def test_the_daily_digest_is_one_email_of_all_items_once(tenant_a):
    reader = make_user(tenant_a, "reader@example.com")
    name = tenant_a.name
    with schema_context(tenant_a.schema_name):
        update_preferences(user_id=reader.pk, is_daily_digest=True, time_zone="Asia/Tokyo")
        with time_machine.travel(datetime(2026, 12, 6, 20, 0, tzinfo=UTC), tick=False):
            # 05:00 in Tokyo; the marketplace's digest hour is 08:00 (the default).
            for n in range(3):
                notify(user_ids=[reader.pk], type_key="chat.message", title=f"Message {n}")
            notify(user_ids=[reader.pk], type_key="orders.refunded", title="Refund (critical)")
            dispatch_pending()
            run_due()
        # The critical one went at once; the three wait for the digest.
        assert [m.subject for m in mail.outbox] == [f"[{name}] Refund (critical)"]
        with time_machine.travel(datetime(2026, 12, 6, 22, 59, tzinfo=UTC), tick=False):
            run_due()  # 07:59
        assert len(mail.outbox) == 1
        with time_machine.travel(datetime(2026, 12, 6, 23, 1, tzinfo=UTC), tick=False):
            run_due()  # 08:01: the digest
            run_due()  # the next tick: nothing more
        assert len(mail.outbox) == 2
        digest = mail.outbox[1]
        assert digest.subject == f"[{name}] Your daily summary: 3 updates"
        assert digest.to == ["reader@example.com"]
        assert [line for line in digest.body.splitlines() if line.startswith("- ")] == [
            "- Message 0",
            "- Message 1",
            "- Message 2",
        ]
        assert "Message 2" in digest.alternatives[0][0]
        assert not Delivery.objects.filter(status=DeliveryStatus.DIGEST).exists()
        with time_machine.travel(datetime(2026, 12, 6, 23, 30, tzinfo=UTC), tick=False):
            notify(user_ids=[reader.pk], type_key="chat.message", title="Later that morning")
            dispatch_pending()
            run_due()  # one digest a day: this one waits for tomorrow
        assert len(mail.outbox) == 2
        with time_machine.travel(datetime(2026, 12, 7, 23, 0, tzinfo=UTC), tick=False):
            run_due()
        assert len(mail.outbox) == 3
        assert mail.outbox[2].subject == f"[{name}] Your daily summary: 1 update"


def test_the_timer_of_one_marketplace_never_sends_anothers_held_texts(tenant_a, tenant_b, texts):
    owl = _night_owl(tenant_a)
    with (
        time_machine.travel(datetime(2026, 12, 6, 22, 30, tzinfo=UTC), tick=False),
        schema_context(tenant_a.schema_name),
    ):
        notify(user_ids=[owl.pk], type_key="orders.paid", title="Held on A")
        dispatch_pending()
    with time_machine.travel(datetime(2026, 12, 7, 6, 1, tzinfo=UTC), tick=False):
        with schema_context(tenant_b.schema_name):
            assert run_due() == 0
        assert texts == []
        with schema_context(tenant_a.schema_name):
            assert run_due() == 1
    assert texts == [("+4915112345678", f"{tenant_a.name}: Held on A")]


def test_a_push_subscription_is_a_users_own_in_their_own_marketplace(
    tenant_a, tenant_b, push_service, browser_keys
):
    alice = _push_user(tenant_a, push_service, browser_keys)
    bea = make_user(tenant_b, "bea@example.com")
    with schema_context(tenant_b.schema_name):
        assert not PushSubscription.objects.exists()
        update_preferences(user_id=bea.pk, channels={"orders.paid": {"push": True}})
        notify(user_ids=[bea.pk], type_key="orders.paid", title="On B")
        dispatch_pending()  # B's user has no subscription there: nothing is pushed
        assert Delivery.objects.get(channel="push").status == DeliveryStatus.DROPPED
    assert push_service.requests == []
    with schema_context(tenant_a.schema_name):
        other = make_user(tenant_a, "mallory@example.com")
        assert not push.unsubscribe(
            user_id=other.pk, endpoint=f"{push_service.url}/push/alice@example.com"
        )
        assert PushSubscription.objects.filter(user=alice).exists()


def test_the_beat_runs_the_notification_timer_in_every_marketplace(tenant_a, tenant_b, texts):
    from django.conf import settings

    from core.notifications.tasks import run_due_notifications
    from tenants.tasks import fan_out

    entry = settings.CELERY_BEAT_SCHEDULE["notifications-due"]
    assert (entry["task"], list(entry["args"])) == (
        "tenants.tasks.fan_out",
        [run_due_notifications.name],
    )
    owl = _night_owl(tenant_a)
    with (
        time_machine.travel(datetime(2026, 12, 6, 22, 30, tzinfo=UTC), tick=False),
        schema_context(tenant_a.schema_name),
    ):
        notify(user_ids=[owl.pk], type_key="orders.paid", title="Held")
        dispatch_pending()
    with time_machine.travel(datetime(2026, 12, 7, 6, 1, tzinfo=UTC), tick=False):
        fan_out(run_due_notifications.name)  # eager in the suite
    assert texts == [("+4915112345678", f"{tenant_a.name}: Held")]
