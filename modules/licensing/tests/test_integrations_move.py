"""The seller's integration moved from licensing's tables to core/integrations' without losing
a row: a schema taken back to before the move (licensing's tables, no core ones) and filled
there is migrated forward like any existing marketplace, and every row is in core's tables
with its id and its references; new rows get ids after them; licensing's tables are gone.
Going back copies the rows back. Runs on a committed schema of its own (migrations take their
own transactions), built by migrations (as old marketplaces were), and removes it afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from core import crypto
from core.integrations.models import (
    IntegrationCall,
    SellerIntegration,
    WebhookDelivery,
    WebhookEndpoint,
)
from core.integrations.services.secrets import signing_secret
from core.sellers.models import Seller
from tenants.schemas_sql import create_schema, drop_schema, use_public_schema
from tenants.services.schema_pool import migrate_schema
from tests.catalog_helpers import make_seller

SCHEMA = "zz_integrations_move"
MOVED = ["sellerintegration", "webhookendpoint", "webhookdelivery", "integrationcall"]


def _tables(prefix: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_name = ANY(%s) ORDER BY table_name",
            [SCHEMA, [f"{prefix}_{table}" for table in MOVED]],
        )
        return [row[0] for row in cursor.fetchall()]


def _migrate_back() -> None:
    """To the last state before the move: integrations unapplied (licensing's 0002 with it)."""
    call_command(
        "migrate_schemas",
        "integrations",
        "zero",
        schema_name=SCHEMA,
        tenant=True,
        interactive=False,
        verbosity=0,
    )
    use_public_schema()


class _Tenant:  # what make_seller needs of a tenant
    schema_name = SCHEMA


@pytest.fixture
def before_the_move(django_db_setup, django_db_blocker) -> Iterator[Seller]:
    """A schema as it was before the move, with a seller's secret, endpoint, delivery and
    three logged calls (one of the delivery) in licensing's tables."""
    with django_db_blocker.unblock():
        drop_schema(SCHEMA)
        create_schema(SCHEMA)
        migrate_schema(SCHEMA)
        _migrate_back()
        seller = make_seller(_Tenant(), "acme")  # type: ignore[arg-type]
        with schema_context(SCHEMA):  # secrets are encrypted per schema
            secret = crypto.encrypt("whsec_kept")
        with connection.cursor() as cursor:
            cursor.execute(f"SET search_path TO {SCHEMA}")
            cursor.execute(
                "INSERT INTO licensing_sellerintegration (id, seller_id, "
                "signing_secret_encrypted, created_at) VALUES (5, %s, %s, now())",
                [seller.pk, secret],
            )
            cursor.execute(
                "INSERT INTO licensing_webhookendpoint (id, seller_id, url, events, is_active, "
                "created_at) VALUES (7, %s, 'https://93.184.216.34/h', "
                """'["order.paid", "license.issued"]', true, now())""",
                [seller.pk],
            )
            cursor.execute(
                "INSERT INTO licensing_webhookdelivery (id, endpoint_id, event_id, event_type, "
                "payload, status, attempts, next_attempt_at, created_at) VALUES (11, 7, "
                """'evt_kept', 'order.paid', '{"order_id": 3}', 'failed', 6, NULL, now())"""
            )
            for call_id, kind, delivery in [(20, "provision", None), (21, "webhook", 11)]:
                cursor.execute(
                    "INSERT INTO licensing_integrationcall (id, seller_id, kind, url, "
                    "request_body, response_status, response_body, error, latency_ms, "
                    "is_success, delivery_id, created_at) VALUES (%s, %s, %s, "
                    "'https://93.184.216.34/h', '{}', 500, 'down', 'HTTP 500', 42, false, "
                    "%s, now())",
                    [call_id, seller.pk, kind, delivery],
                )
        use_public_schema()
        yield seller
        drop_schema(SCHEMA)
        use_public_schema()


def test_an_existing_schema_keeps_every_row_when_the_integration_moves_to_core(
    before_the_move, django_db_blocker
):
    seller = before_the_move
    with django_db_blocker.unblock():
        assert _tables("licensing") == [f"licensing_{table}" for table in sorted(MOVED)]
        assert _tables("integrations") == []

        migrate_schema(SCHEMA)

        assert _tables("licensing") == []
        connection.set_schema(SCHEMA)
        try:
            assert signing_secret(seller_id=seller.pk) == "whsec_kept"
            assert list(SellerIntegration.objects.values_list("pk", "seller_id")) == [
                (5, seller.pk)
            ]
            endpoint = WebhookEndpoint.objects.get()
            assert (endpoint.pk, endpoint.seller_id, endpoint.events) == (
                7,
                seller.pk,
                ["order.paid", "license.issued"],
            )
            delivery = WebhookDelivery.objects.get()
            assert (delivery.pk, delivery.endpoint_id, delivery.event_id, delivery.payload) == (
                11,
                7,
                "evt_kept",
                {"order_id": 3},
            )
            assert (delivery.status, delivery.attempts) == ("failed", 6)
            calls = IntegrationCall.objects.order_by("pk")
            assert [(c.pk, c.kind, c.delivery_id, c.latency_ms) for c in calls] == [
                (20, "provision", None, 42),
                (21, "webhook", 11, 42),
            ]
            # Identity sequences go on after the copied ids.
            added = WebhookEndpoint.objects.create(seller=seller, url="https://93.184.216.34/n")
            logged = IntegrationCall.objects.create(seller=seller, kind="api", url="GET /x")
            assert (added.pk, logged.pk) == (8, 22)
        finally:
            use_public_schema()


def test_going_back_before_the_move_copies_the_rows_back(before_the_move, django_db_blocker):
    with django_db_blocker.unblock():
        migrate_schema(SCHEMA)
        _migrate_back()

        assert _tables("integrations") == []
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, event_id, status FROM {SCHEMA}.licensing_webhookdelivery")
            assert cursor.fetchall() == [(11, "evt_kept", "failed")]
            cursor.execute(f"SELECT id, kind FROM {SCHEMA}.licensing_integrationcall ORDER BY id")
            assert cursor.fetchall() == [(20, "provision"), (21, "webhook")]

        migrate_schema(SCHEMA)  # and forward again

        assert _tables("licensing") == []
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {SCHEMA}.integrations_integrationcall")
            assert cursor.fetchone() == (2,)
