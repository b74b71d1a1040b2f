"""The ``dispute`` topic over real sockets (Channels' communicator, the real Redis layer): the
buyer and the seller join their dispute and hear its decision (``dispute.resolution.made``)
and new evidence (``dispute.evidence.new``); another user of the marketplace, and a user of
another marketplace asking for the same id, are refused and hear nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from core.commerce.models import LineStatus, OrderLine
from core.commerce.services import cart as carts
from core.commerce.services.checkout import CheckoutInput, pay_order, place_order
from core.commerce.services.fulfilment import fulfil_line
from core.disputes import services
from core.disputes.models import Dispute
from core.payments.providers.sandbox import SUCCESS_CARD
from core.realtime.services.tickets import mint_ticket
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import make_user
from tests.catalog_helpers import make_product, make_seller
from tests.fleet_helpers import TEST_POOL_SIZE
from tests.test_realtime import frame, hears_nothing, run, socket

pytestmark = pytest.mark.redis

SLUGS = ("dispute-live-a", "dispute-live-b")


@dataclass
class World:
    tenant: Tenant
    host: str
    dispute: Dispute
    buyer: User
    seller_owner: User
    stranger: User
    operator: User
    other_tenant: Tenant
    other_host: str
    other_user: User


def _drop() -> None:
    for slug in SLUGS:
        Domain.objects.filter(tenant__slug=slug).delete()
        Tenant.objects.filter(slug=slug).delete()
        drop_schema("t_" + slug.replace("-", "_"))


def _host(tenant: Tenant) -> str:
    return str(Domain.objects.get(tenant=tenant, is_primary=True).domain)


@pytest.fixture
def world(django_db_setup: None, django_db_blocker: Any, redis_url: str) -> Iterator[World]:
    channel_layers.backends.clear()
    with django_db_blocker.unblock():
        _drop()
        tenants = [
            provision_tenant(
                slug=slug,
                name=slug.title(),
                owner_email=f"owner@{slug}.example",
                owner_password=None,
                modules=["alpha", "beta"],
            ).tenant
            for slug in SLUGS
        ]
        use_public_schema()
        tenant, other = tenants
        consultant = make_seller(tenant, "sage", "Sage", product_types=("software", "service"))
        audit = make_product(tenant, consultant, "Audit", price=10_000, product_type="service")
        buyer = make_user(tenant, "buyer@live.example")
        stranger = make_user(tenant, "stranger@live.example")
        operator = make_user(tenant, "op@live.example", role=Role.OPERATOR)
        other_user = make_user(other, "buyer@live.example")
        with schema_context(tenant.schema_name):
            cart = carts.get_or_create_cart(buyer=buyer, token=None)
            carts.add_product(cart=cart, product_id=audit.pk, quantity=1)
            order = place_order(
                buyer=buyer,
                cart=cart,
                details=CheckoutInput(country="DE"),
                idempotency_key=uuid.uuid4().hex,
            )
            pay_order(order=order, payment_method=SUCCESS_CARD)
            line = OrderLine.objects.get(order=order)
            if line.status == LineStatus.FULFILLING:
                fulfil_line(line_id=line.pk)
            dispute = services.open_dispute(
                user=buyer, order_line_id=line.pk, kind="quality", reason="Half done"
            )
            seller_owner = User.objects.get(pk=consultant.owner_id)
        use_public_schema()
        try:
            yield World(
                tenant,
                _host(tenant),
                dispute,
                buyer,
                seller_owner,
                stranger,
                operator,
                other,
                _host(other),
                other_user,
            )
        finally:
            use_public_schema()
            _drop()
            fill_schema_pool(size=TEST_POOL_SIZE)
            use_public_schema()


def _ticket(tenant: Tenant, user: User) -> str:
    with schema_context(tenant.schema_name):
        return mint_ticket(user=user).ticket


async def _open(tenant: Tenant, host: str, user: User) -> Any:
    ticket = await database_sync_to_async(_ticket)(tenant, user)
    communicator = socket(host, ticket)
    connected, code = await communicator.connect()
    assert connected, code
    return communicator


async def _dispute_frame(listener: Any) -> dict[str, Any]:
    """The next frame of the dispute's topic (the user's own notifications come too)."""
    while True:
        answer: dict[str, Any] = await listener.receive_json_from(timeout=3)
        if answer["type"].startswith("dispute."):
            return answer
        assert answer["type"] == "notification.new", answer


def test_the_disputes_people_hear_its_decision_and_nobody_else_does(world: World) -> None:
    dispute_id = world.dispute.pk
    subscribe = {"type": "subscribe", "topic": "dispute", "id": dispute_id}

    def decide() -> None:
        with schema_context(world.tenant.schema_name):
            services.add_evidence(user=world.seller_owner, dispute_id=dispute_id, text="Log")
            services.resolve(
                operator=world.operator,
                dispute_id=dispute_id,
                resolution_type="refund",
                refund_to_buyer=6000,
                release_to_seller=3000,
                platform_compensation=0,
            )

    async def scenario() -> None:
        buyer = await _open(world.tenant, world.host, world.buyer)
        seller = await _open(world.tenant, world.host, world.seller_owner)
        stranger = await _open(world.tenant, world.host, world.stranger)
        outsider = await _open(world.other_tenant, world.other_host, world.other_user)
        for listener in (buyer, seller):
            assert (await frame(listener, subscribe))["type"] == "subscribed"
        for refused in (stranger, outsider):
            answer = await frame(refused, subscribe)
            assert answer["type"] == "error" and answer["code"] == "not_allowed"

        await database_sync_to_async(decide)()

        for listener in (buyer, seller):
            evidence = await _dispute_frame(listener)
            assert evidence["type"] == "dispute.evidence.new"
            assert evidence["data"]["id"] == dispute_id
            decision = await _dispute_frame(listener)
            assert decision["type"] == "dispute.resolution.made"
            assert decision["data"]["status"] == "resolved"
            assert decision["data"]["refund_to_buyer"] == 6000
        await hears_nothing(stranger, outsider)
        for communicator in (buyer, seller, stranger, outsider):
            await communicator.disconnect()

    run(scenario)
