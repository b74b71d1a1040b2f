"""Real time over the real Redis channel layer (channels_redis on REDIS_URL), through the
project's ASGI application (core.asgi): Channels' communicators open sockets on two committed
marketplaces, and what each socket hears is checked - including what it must not hear.

The marketplaces are committed (the consumer reads them from its own database calls, outside
any test transaction) and dropped at the end of the module."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import redis
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from core import asgi
from core.accounts.models import TokenScope, User
from core.accounts.services.tokens import create_token
from core.realtime import consumer as consumer_module
from core.realtime.models import SocketTicket
from core.realtime.services.tickets import mint_ticket
from core.realtime.topics import publish_to_topic, publish_to_user, register_topic
from core.schema import current_schema_name
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.fleet_helpers import TEST_POOL_SIZE

pytestmark = pytest.mark.redis

SLUGS = ("live-alpha", "live-beta")
CUSTOM_DOMAIN = "shop.live-alpha.example"
application = asgi.application

# A topic for these tests: (schema, user id, object id) triples that may join, so can_join
# also shows that it ran in the socket's own schema.
PROBE_MEMBERS: set[tuple[str, int, int]] = set()


def can_join_probe(user_id: int, object_id: int) -> bool:
    return (current_schema_name(), user_id, object_id) in PROBE_MEMBERS


register_topic("live_probe", can_join_probe, relayed_client_events=("probe.typing",))


@dataclass
class Market:
    tenant: Tenant
    host: str
    alice: User  # the first user after the owner: the same id on both marketplaces
    bob: User

    @property
    def schema(self) -> str:
        return str(self.tenant.schema_name)


def _drop() -> None:
    for slug in SLUGS:
        schema = "t_" + slug.replace("-", "_")
        Domain.objects.filter(tenant__slug=slug).delete()
        Tenant.objects.filter(slug=slug).delete()
        drop_schema(schema)


@pytest.fixture(scope="module")
def markets(
    django_db_setup: None, django_db_blocker: Any, redis_url: str
) -> Iterator[dict[str, Market]]:
    with django_db_blocker.unblock():
        _drop()
        made = {}
        for slug in SLUGS:
            tenant = provision_tenant(
                slug=slug,
                name=slug.title(),
                owner_email=f"owner@{slug}.example",
                owner_password=None,
                custom_domains=[CUSTOM_DOMAIN] if slug == SLUGS[0] else [],
            ).tenant
            with schema_context(tenant.schema_name):
                # The same ids on both marketplaces (a pool schema's sequences may have moved).
                alice = User.objects.create_user(
                    f"alice@{slug}.example", None, full_name="Alice", pk=9001
                )
                bob = User.objects.create_user(
                    f"bob@{slug}.example", None, full_name="Bob", pk=9002
                )
            use_public_schema()
            host = Domain.objects.get(tenant=tenant, is_primary=True).domain
            made[slug] = Market(tenant, host, alice, bob)
        assert made[SLUGS[0]].alice.pk == made[SLUGS[1]].alice.pk
        layers: dict[str, Any] = settings.CHANNEL_LAYERS
        layer_host = layers["default"]["CONFIG"]["hosts"][0]
        layer_url = layer_host["address"] if isinstance(layer_host, dict) else layer_host
        redis.Redis.from_url(layer_url).flushdb()
        yield made
        use_public_schema()
        _drop()
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


@pytest.fixture
def live(markets: dict[str, Market], django_db_blocker: Any) -> Iterator[dict[str, Market]]:
    # Each test runs its sockets in a new event loop (async_to_sync); the Redis layer keeps
    # asyncio locks and connections of the loop it last received in, so each test gets its own.
    channel_layers.backends.clear()
    with django_db_blocker.unblock():
        PROBE_MEMBERS.clear()
        yield markets
        for market in markets.values():
            with schema_context(market.schema):
                User.objects.filter(pk__in=[market.alice.pk, market.bob.pk]).update(is_active=True)
                SocketTicket.objects.all().delete()
        PROBE_MEMBERS.clear()
        use_public_schema()


def alpha(live: dict[str, Market]) -> Market:
    return live[SLUGS[0]]


def beta(live: dict[str, Market]) -> Market:
    return live[SLUGS[1]]


def ticket_for(market: Market, user: User) -> str:
    with schema_context(market.schema):
        return mint_ticket(user=user).ticket


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(scenario)()


def socket(
    host: str, ticket: str, *, origin: str | None = "", path: str = "/ws/"
) -> WebsocketCommunicator:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", (origin or f"https://{host}").encode()))
    return WebsocketCommunicator(application, f"{path}?ticket={ticket}", headers=headers)


async def opened(market: Market, user: User) -> WebsocketCommunicator:
    ticket = await database_sync_to_async(ticket_for)(market, user)
    communicator = socket(market.host, ticket)
    connected, code = await communicator.connect()
    assert connected, code
    return communicator


async def refused_with(communicator: WebsocketCommunicator) -> int:
    connected, code = await communicator.connect()
    assert not connected
    return int(code)


async def frame(communicator: WebsocketCommunicator, payload: dict[str, Any]) -> dict[str, Any]:
    await communicator.send_json_to(payload)
    answer: dict[str, Any] = await communicator.receive_json_from(timeout=3)
    return answer


async def hears_nothing(*communicators: WebsocketCommunicator) -> None:
    for communicator in communicators:
        assert await communicator.receive_nothing(timeout=0.3)


def publish(market: Market, send: Callable[[], None]) -> Awaitable[None]:
    """Publish as a service does: in the marketplace's schema, pushed after commit."""

    def in_schema() -> None:
        with schema_context(market.schema):
            send()

    return database_sync_to_async(in_schema)()


# --- events reach the right sockets -----------------------------------------------------------


def test_an_event_published_to_a_user_reaches_their_socket_and_not_another_users(live):
    market = alpha(live)

    async def scenario() -> None:
        alice = await opened(market, market.alice)
        bob = await opened(market, market.bob)
        await publish(
            market, lambda: publish_to_user(market.alice.pk, "chat.message.new", {"text": "hi"})
        )
        assert await alice.receive_json_from(timeout=3) == {
            "type": "chat.message.new",
            "data": {"text": "hi"},
        }
        await hears_nothing(alice, bob)
        await alice.disconnect()
        await bob.disconnect()

    run(scenario)


def test_a_topic_is_joined_only_when_can_join_says_yes(live):
    market = alpha(live)
    PROBE_MEMBERS.add((market.schema, market.alice.pk, 7))

    async def scenario() -> None:
        alice = await opened(market, market.alice)
        bob = await opened(market, market.bob)
        subscribe = {"type": "subscribe", "topic": "live_probe", "id": 7}
        assert await frame(alice, subscribe) == {
            "type": "subscribed",
            "topic": "live_probe",
            "id": 7,
        }
        refusal = await frame(bob, subscribe)
        assert refusal["type"] == "error" and refusal["code"] == "not_allowed"

        await publish(market, lambda: publish_to_topic("live_probe", 7, "probe.update", {"n": 1}))
        assert await alice.receive_json_from(timeout=3) == {
            "type": "probe.update",
            "data": {"n": 1},
        }
        await hears_nothing(alice, bob)

        assert await frame(alice, {"type": "unsubscribe", "topic": "live_probe", "id": 7}) == {
            "type": "unsubscribed",
            "topic": "live_probe",
            "id": 7,
        }
        await publish(market, lambda: publish_to_topic("live_probe", 7, "probe.update", {"n": 2}))
        await hears_nothing(alice, bob)
        await alice.disconnect()
        await bob.disconnect()

    run(scenario)


def test_a_client_event_is_relayed_to_the_other_subscribers_with_the_senders_real_identity(live):
    market = alpha(live)
    PROBE_MEMBERS.update({(market.schema, market.alice.pk, 8), (market.schema, market.bob.pk, 8)})

    async def scenario() -> None:
        alice = await opened(market, market.alice)
        bob = await opened(market, market.bob)
        for communicator in (alice, bob):
            await frame(communicator, {"type": "subscribe", "topic": "live_probe", "id": 8})

        await alice.send_json_to(
            {
                "type": "client_event",
                "topic": "live_probe",
                "id": 8,
                "event": "probe.typing",
                "data": {"user_id": market.bob.pk, "user_name": "Bob", "at": 5},
            }
        )
        assert await bob.receive_json_from(timeout=3) == {
            "type": "probe.typing",
            "data": {
                "at": 5,
                "topic": "live_probe",
                "id": 8,
                "user_id": market.alice.pk,
                "user_name": "Alice",
            },
        }
        await hears_nothing(alice, bob)  # the sender is not echoed

        not_listed = await frame(
            alice,
            {"type": "client_event", "topic": "live_probe", "id": 8, "event": "chat.message.new"},
        )
        assert not_listed["code"] == "event_not_relayed"
        not_subscribed = await frame(
            alice,
            {"type": "client_event", "topic": "live_probe", "id": 9, "event": "probe.typing"},
        )
        assert not_subscribed["code"] == "not_subscribed"
        await hears_nothing(bob)
        await alice.disconnect()
        await bob.disconnect()

    run(scenario)


def test_a_quiet_socket_still_hears_events_after_the_layers_blocking_pop_times_out(live):
    """channels-redis waits for messages in 5 s blocking pops; the Redis connection's own
    read timeout must be longer, or a socket that heard nothing for 5 s loses its consumer."""
    market = alpha(live)

    async def scenario() -> None:
        alice = await opened(market, market.alice)
        assert await alice.receive_nothing(timeout=7, interval=0.5)
        await publish(market, lambda: publish_to_user(market.alice.pk, "after.quiet", {}))
        assert await alice.receive_json_from(timeout=3) == {"type": "after.quiet", "data": {}}
        await alice.disconnect()

    run(scenario)


# --- tickets --------------------------------------------------------------------------------


def test_a_ticket_minted_over_the_api_opens_one_socket_and_is_refused_when_replayed(live):
    market = alpha(live)
    client = Client(HTTP_HOST=market.host)
    with schema_context(market.schema):
        client.force_login(market.alice)
    response = client.post("/api/v1/realtime/tickets")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["expires_in"] == 30
    assert body["url"] == f"/ws/?ticket={body['ticket']}"
    with schema_context(market.schema):
        stored = SocketTicket.objects.get(user=market.alice)
        assert body["ticket"] not in stored.digest  # only its hash is kept
        assert stored.session_key == client.session.session_key
    assert Client(HTTP_HOST=market.host).post("/api/v1/realtime/tickets").status_code == 401

    async def scenario() -> None:
        first = socket(market.host, body["ticket"])
        assert (await first.connect())[0]
        await publish(market, lambda: publish_to_user(market.alice.pk, "ping.me", {}))
        assert (await first.receive_json_from(timeout=3))["type"] == "ping.me"
        assert await refused_with(socket(market.host, body["ticket"])) == 4401
        await first.disconnect()

    run(scenario)


def test_an_expired_ticket_is_refused(live):
    market = alpha(live)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ticket = ticket_for(market, market.alice)
        traveller.shift(timedelta(seconds=31))

        async def scenario() -> None:
            assert await refused_with(socket(market.host, ticket)) == 4401

        run(scenario)
    with schema_context(market.schema):
        assert not SocketTicket.objects.exists()  # consumed, not left lying around


def test_a_ticket_of_one_marketplace_is_refused_on_another_marketplaces_host(live):
    a, b = alpha(live), beta(live)
    ticket = ticket_for(a, a.alice)

    async def scenario() -> None:
        # alice has the same user id on B; the ticket still does not exist in B's schema.
        assert await refused_with(socket(b.host, ticket)) == 4401
        # ...and it was never A's to spend there: it still opens A's socket once.
        communicator = socket(a.host, ticket)
        assert (await communicator.connect())[0]
        await communicator.disconnect()

    run(scenario)


# --- hosts and origins ----------------------------------------------------------------------


def test_a_page_of_another_host_cannot_open_a_socket(live):
    a, b = alpha(live), beta(live)
    ticket = ticket_for(a, a.alice)

    async def scenario() -> None:
        for origin in (f"https://{b.host}", "https://evil.example", "null", f"ftp://{a.host}"):
            assert await refused_with(socket(a.host, ticket, origin=origin)) == 4403, origin
        assert await refused_with(socket(a.host, ticket, origin=None)) == 4403
        # Unknown hosts, the platform host and other paths have no socket at all.
        assert await refused_with(socket("nowhere.example", ticket)) == 4404
        assert await refused_with(socket(settings.PLATFORM_DOMAIN, ticket)) == 4404
        assert await refused_with(socket(a.host, ticket, path="/ws/other/")) == 4404
        # None of that spent the ticket; a page on the marketplace's custom domain may use it.
        communicator = socket(a.host, ticket, origin=f"https://{CUSTOM_DOMAIN}")
        assert (await communicator.connect())[0]
        await communicator.disconnect()

    run(scenario)


def test_a_socket_opens_on_a_custom_domain_with_its_own_origin(live):
    a = alpha(live)
    ticket = ticket_for(a, a.bob)

    async def scenario() -> None:
        communicator = socket(f"www.{CUSTOM_DOMAIN}:443", ticket)
        assert (await communicator.connect())[0]
        await publish(a, lambda: publish_to_user(a.bob.pk, "hello", {"to": "bob"}))
        assert await communicator.receive_json_from(timeout=3) == {
            "type": "hello",
            "data": {"to": "bob"},
        }
        await communicator.disconnect()

    run(scenario)


# --- forged names and cross-tenant isolation -------------------------------------------------


def test_forged_topics_and_another_marketplaces_objects_get_nothing(live):
    a, b = alpha(live), beta(live)
    # Object 11 is alice's in B only; object 12 is nobody's in A.
    PROBE_MEMBERS.add((b.schema, b.alice.pk, 11))

    async def scenario() -> None:
        alice = await opened(a, a.alice)
        forged = [
            ({"type": "subscribe", "topic": "../t_live_beta", "id": 11}, "unknown_topic"),
            ({"type": "subscribe", "topic": f"{b.schema}.live_probe", "id": 11}, "unknown_topic"),
            ({"type": "subscribe", "topic": "user", "id": a.bob.pk}, "unknown_topic"),
            ({"type": "subscribe", "topic": "live_probe", "id": "11"}, "bad_frame"),
            ({"type": "subscribe", "topic": "live_probe", "id": -11}, "bad_frame"),
            ({"type": "subscribe", "topic": "live_probe", "id": True}, "bad_frame"),
            ({"type": "subscribe", "topic": "live_probe", "id": 11}, "not_allowed"),
            ({"type": "subscribe", "topic": "live_probe", "id": 12}, "not_allowed"),
            ({"type": "group_add", "group": f"t.{b.schema}.live_probe.11"}, "bad_frame"),
        ]
        for payload, code in forged:
            answer = await frame(alice, payload)
            assert answer["type"] == "error" and answer["code"] == code, (payload, answer)

        await publish(b, lambda: publish_to_topic("live_probe", 11, "probe.update", {"secret": 1}))
        await publish(b, lambda: publish_to_user(a.bob.pk, "chat.message.new", {"secret": 2}))
        await hears_nothing(alice)
        await alice.disconnect()

    run(scenario)


def test_a_socket_on_one_marketplace_never_hears_another_marketplaces_publishes(live):
    a, b = alpha(live), beta(live)
    user_id = a.alice.pk  # == b.alice.pk
    PROBE_MEMBERS.update({(a.schema, user_id, 21), (b.schema, user_id, 21)})

    async def scenario() -> None:
        on_a = await opened(a, a.alice)
        on_b = await opened(b, b.alice)
        for communicator in (on_a, on_b):
            await frame(communicator, {"type": "subscribe", "topic": "live_probe", "id": 21})

        await publish(b, lambda: publish_to_user(user_id, "chat.message.new", {"on": "b"}))
        await publish(b, lambda: publish_to_topic("live_probe", 21, "probe.update", {"on": "b"}))
        assert await on_b.receive_json_from(timeout=3) == {
            "type": "chat.message.new",
            "data": {"on": "b"},
        }
        assert await on_b.receive_json_from(timeout=3) == {
            "type": "probe.update",
            "data": {"on": "b"},
        }
        await hears_nothing(on_a, on_b)

        # A client event sent on B reaches only B's subscribers of the same id.
        await on_b.send_json_to(
            {"type": "client_event", "topic": "live_probe", "id": 21, "event": "probe.typing"}
        )
        await hears_nothing(on_a)
        await on_a.disconnect()
        await on_b.disconnect()

    run(scenario)


# --- limits and standing --------------------------------------------------------------------


def test_per_socket_limits_answer_with_error_frames(live, monkeypatch):
    market = alpha(live)
    monkeypatch.setattr(consumer_module, "MAX_SUBSCRIPTIONS", 2)
    PROBE_MEMBERS.update({(market.schema, market.alice.pk, n) for n in (31, 32, 33)})

    async def scenario() -> None:
        alice = await opened(market, market.alice)
        for n in (31, 32):
            assert (await frame(alice, {"type": "subscribe", "topic": "live_probe", "id": n}))[
                "type"
            ] == "subscribed"
        third = await frame(alice, {"type": "subscribe", "topic": "live_probe", "id": 33})
        assert third["code"] == "too_many_subscriptions"

        big = {"type": "ping", "padding": "x" * consumer_module.MAX_FRAME_BYTES}
        assert (await frame(alice, big))["code"] == "frame_too_large"
        await alice.send_to(text_data="not json")
        assert (await alice.receive_json_from(timeout=3))["code"] == "bad_frame"

        for _ in range(40):
            await alice.send_to(text_data=json.dumps({"type": "ping"}))
        answers = [await alice.receive_json_from(timeout=3) for _ in range(40)]
        kinds = {a.get("code", a["type"]) for a in answers}
        assert kinds == {"pong", "rate_limited"}
        await alice.disconnect()

    run(scenario)


def test_a_suspended_or_signed_out_users_socket_is_closed_and_gets_no_new_ticket(live):
    market = alpha(live)
    PROBE_MEMBERS.add((market.schema, market.bob.pk, 41))
    client = Client(HTTP_HOST=market.host)
    with schema_context(market.schema):
        client.force_login(market.bob)
    ticket = client.post("/api/v1/realtime/tickets").json()["ticket"]
    spare = ticket_for(market, market.alice)

    async def scenario() -> None:
        bob = socket(market.host, ticket)
        assert (await bob.connect())[0]

        def sign_bob_out() -> None:
            with schema_context(market.schema):
                client.logout()  # deletes bob's session

        await database_sync_to_async(sign_bob_out)()
        answer = await frame(bob, {"type": "subscribe", "topic": "live_probe", "id": 41})
        assert answer["code"] == "signed_out"
        assert (await bob.receive_output(timeout=3))["type"] == "websocket.close"

        def suspend_alice() -> None:
            with schema_context(market.schema):
                User.objects.filter(pk=market.alice.pk).update(is_active=False)

        await database_sync_to_async(suspend_alice)()
        assert await refused_with(socket(market.host, spare)) == 4401

    run(scenario)
    with schema_context(market.schema):
        client.force_login(market.alice)  # a session of a suspended user...
    assert client.post("/api/v1/realtime/tickets").status_code == 401  # ...mints nothing


def test_a_suspended_marketplaces_sockets_are_closed_and_it_opens_no_new_ones(live):
    market = beta(live)
    PROBE_MEMBERS.add((market.schema, market.bob.pk, 51))
    tickets = [ticket_for(market, market.bob) for _ in range(2)]

    def set_status(status: str) -> None:
        Tenant.objects.filter(pk=market.tenant.pk).update(status=status)

    async def scenario() -> None:
        bob = socket(market.host, tickets[0])
        assert (await bob.connect())[0]
        await database_sync_to_async(set_status)("suspended")
        try:
            answer = await frame(bob, {"type": "subscribe", "topic": "live_probe", "id": 51})
            assert answer["code"] == "signed_out"
            assert (await bob.receive_output(timeout=3))["type"] == "websocket.close"
            assert await refused_with(socket(market.host, tickets[1])) == 4403
        finally:
            await database_sync_to_async(set_status)("active")

    run(scenario)


def test_a_personal_access_token_mints_a_ticket_without_a_session(live):
    market = alpha(live)
    with schema_context(market.schema):
        token = create_token(
            user=market.bob,
            name="cli",
            scopes=[TokenScope.READ],
            expires_at=None,
            is_two_factor_verified=False,
        ).raw
    response = Client(HTTP_HOST=market.host).post(
        "/api/v1/realtime/tickets", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 201, response.content
    with schema_context(market.schema):
        assert SocketTicket.objects.get(user=market.bob).session_key == ""

    async def scenario() -> None:
        communicator = socket(market.host, response.json()["ticket"])
        assert (await communicator.connect())[0]
        assert await frame(communicator, {"type": "ping"}) == {"type": "pong"}
        await communicator.disconnect()

    run(scenario)


# --- HTTP through the same ASGI application ------------------------------------------------


def test_the_asgi_application_still_serves_pages_and_the_api(live):
    market = alpha(live)

    async def scenario() -> None:
        headers = [(b"host", market.host.encode())]
        page = await HttpCommunicator(application, "GET", "/", headers=headers).get_response(
            timeout=30
        )
        assert page["status"] == 200
        assert b"<html" in page["body"].lower()
        api = await HttpCommunicator(
            application,
            "GET",
            "/api/v1/catalog",
            headers=[*headers, (b"accept", b"application/json")],
        ).get_response(timeout=30)
        assert api["status"] == 200, api["body"][:300]
        assert "items" in json.loads(api["body"])
        refused = await HttpCommunicator(
            application,
            "POST",
            "/api/v1/realtime/tickets",
            headers=[*headers, (b"accept", b"application/json")],
        ).get_response(timeout=30)
        # Not signed in: refused, CSRF first (as the same call always was under WSGI).
        assert refused["status"] == 403

    run(scenario)
