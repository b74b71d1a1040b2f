"""Existing marketplaces keep what they had when product types moved to the modules: each
``can_sell_*`` boolean becomes its type key in ``product_type_grants`` (and back), and a
marketplace still at the old escrow default (["service"]) follows the manifests while any
other choice stays the operator's override. Runs on a committed schema of its own (migrations
take their own transactions), built by migrations, and removes it afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from tenants.schemas_sql import create_schema, drop_schema, use_public_schema
from tenants.services.schema_pool import migrate_schema
from tests.catalog_helpers import make_seller

SCHEMA = "zz_product_type_keys"
FLAGS = ["can_sell_courses", "can_sell_digital", "can_sell_services", "can_sell_software"]


class _Tenant:  # what make_seller needs of a tenant
    schema_name = SCHEMA


def _migrate(app: str, migration: str) -> None:
    call_command(
        "migrate_schemas",
        app,
        migration,
        schema_name=SCHEMA,
        tenant=True,
        interactive=False,
        verbosity=0,
    )
    use_public_schema()


def _rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path TO {SCHEMA}")
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
        cursor.execute("SET search_path TO public")
    return rows


@pytest.fixture
def migrated_schema(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        drop_schema(SCHEMA)
        create_schema(SCHEMA)
        migrate_schema(SCHEMA)
        yield
        drop_schema(SCHEMA)
        use_public_schema()


def test_seller_booleans_become_type_keys_and_back(migrated_schema, django_db_blocker):
    with django_db_blocker.unblock():
        made = {
            "every": ("course", "digital", "service", "software"),
            "none": (),
            "mixed": ("software", "service"),
        }
        for slug, types in made.items():
            make_seller(_Tenant(), slug, product_types=types)
        for flag in FLAGS:  # a seller for every boolean on its own
            make_seller(_Tenant(), flag.removeprefix("can_sell_"), product_types=())

        _migrate("sellers", "0002_sellerapikey_permissions")

        columns = ", ".join(FLAGS)
        flags = {row[0]: row[1:] for row in _rows(f"SELECT slug, {columns} FROM sellers_seller")}
        assert (flags["every"], flags["none"], flags["mixed"]) == (
            (True, True, True, True),
            (False, False, False, False),
            (False, False, True, True),
        )
        for flag in FLAGS:  # as sellers had them before the change
            _rows(
                f"UPDATE sellers_seller SET {flag} = true WHERE slug = %s",
                [flag.removeprefix("can_sell_")],
            )

        _migrate("sellers", "0003_product_type_grants")

        grants = dict(_rows("SELECT slug, product_type_grants FROM sellers_seller"))
        assert grants == {
            "every": ["course", "digital", "service", "software"],
            "none": [],
            "mixed": ["service", "software"],
            "courses": ["course"],
            "digital": ["digital"],
            "services": ["service"],
            "software": ["software"],
        }


def test_the_old_escrow_default_follows_the_manifests_and_a_choice_stays(
    migrated_schema, django_db_blocker
):
    with django_db_blocker.unblock():
        _rows(
            "INSERT INTO commerce_commercesettings (id, commission_rate_bp, "
            "prices_include_tax, minimum_payout, invoice_prefix, next_invoice_number, "
            "escrow_product_types) VALUES (1, 1000, false, 1000, 'INV-', 1, NULL)"
        )

        _migrate("commerce", "0003_payment_charge_options")
        assert _rows("SELECT escrow_product_types::text FROM commerce_commercesettings") == [
            ('["service"]',)
        ]
        _migrate("commerce", "0004_escrow_types_from_modules")
        assert _rows("SELECT escrow_product_types::text FROM commerce_commercesettings") == [
            (None,)
        ]

        _migrate("commerce", "0003_payment_charge_options")
        _rows("""UPDATE commerce_commercesettings SET escrow_product_types = '["software"]'""")
        _migrate("commerce", "0004_escrow_types_from_modules")
        assert _rows("SELECT escrow_product_types::text FROM commerce_commercesettings") == [
            ('["software"]',)
        ]
