"""Money under concurrency, with real commits and one database connection per thread: the
same checkout sent twice at once makes one order and one charge; sixteen buyers racing for
the last units of a limited product never oversell."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django_tenants.utils import schema_context

from core.commerce.models import Inventory, Order, OrderStatus, Payment
from tenants.models import Domain, Tenant
from tenants.schemas_sql import drop_schema, use_public_schema
from tenants.services import fill_schema_pool, provision_tenant
from tests.accounts_helpers import make_user
from tests.commerce_helpers import add, bearer_client, checkout, ledger_totals, make_shop
from tests.concurrency import run_together
from tests.fleet_helpers import TEST_POOL_SIZE

SLUG = "race-shop"
SCHEMA = "t_race_shop"


def _drop() -> None:
    Domain.objects.filter(tenant__slug=SLUG).delete()
    Tenant.objects.filter(slug=SLUG).delete()
    drop_schema(SCHEMA)


@pytest.fixture
def committed_shop(django_db_setup: None, django_db_blocker: Any) -> Iterator[Any]:
    with django_db_blocker.unblock():
        _drop()
        tenant = provision_tenant(
            slug=SLUG, name="Race Shop", owner_email="owner@race.example", owner_password=None
        ).tenant
        use_public_schema()
        yield make_shop(tenant)
        use_public_schema()
        _drop()
        fill_schema_pool(size=TEST_POOL_SIZE)
        use_public_schema()


def test_the_same_checkout_twice_at_once_makes_one_order_and_one_charge(
    committed_shop, client_for, django_db_blocker
):
    shop = committed_shop
    with django_db_blocker.unblock():
        client = bearer_client(client_for, shop.tenant, shop.buyer)
        add(client, shop.editor)
        add(client, shop.scanner)

        responses = run_together([lambda: checkout(client, key="same-key")] * 2)

        assert [r.status_code for r in responses] == [201, 201], [r.content for r in responses]
        assert responses[0].json()["id"] == responses[1].json()["id"]
        with schema_context(SCHEMA):
            assert Order.objects.count() == 1
            assert Payment.objects.count() == 1
            assert Order.objects.get().status != OrderStatus.PENDING_PAYMENT
        assert ledger_totals(shop.tenant) == {"USD": 0}

        replay = checkout(client, key="same-key")
        assert replay.status_code == 201
        assert replay["Idempotent-Replayed"] == "true"
        assert replay.json()["id"] == responses[0].json()["id"]
        with schema_context(SCHEMA):
            assert Payment.objects.count() == 1


def test_sixteen_buyers_racing_for_five_units_never_oversell(
    committed_shop, client_for, django_db_blocker
):
    shop = committed_shop
    with django_db_blocker.unblock():
        with schema_context(SCHEMA):
            Inventory.objects.create(product=shop.editor, available=5)
        clients = []
        for index in range(16):
            buyer = make_user(shop.tenant, f"racer{index}@example.com")
            client = bearer_client(client_for, shop.tenant, buyer)
            assert add(client, shop.editor).status_code == 200
            clients.append(client)

        responses = run_together([lambda c=c: checkout(c) for c in clients])

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] * 5 + [422] * 11, [
            r.content for r in responses if r.status_code != 201
        ]
        refused = [r.json()["error"] for r in responses if r.status_code == 422]
        assert {e["code"] for e in refused} == {"out_of_stock"}
        assert {e["details"]["field"] for e in refused} == {"quantity"}
        with schema_context(SCHEMA):
            assert Inventory.objects.get(product=shop.editor).available == 0
            assert Order.objects.count() == 5
            assert Payment.objects.filter(status="succeeded").count() == 5
        assert ledger_totals(shop.tenant) == {"USD": 0}
