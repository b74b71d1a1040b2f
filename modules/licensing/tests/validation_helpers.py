"""Helpers for the tests of the API the seller's software calls (validation, activation,
heartbeats, offline files): licences made directly as rows under a policy of the shop's
product (the purchase path is tested by the issuing tests), and JSON calls with a chosen
client IP."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.test import Client
from django_tenants.utils import schema_context

from modules.licensing.keys import new_key
from modules.licensing.models import License, Machine, Policy
from modules.licensing.services.software import PolicyData, create_policy
from modules.licensing.tests.helpers import LicensingShop
from tenants.models import Tenant

PATH = "/api/v1/licenses"


def make_policy(shop: LicensingShop, name: str = "Test policy", **fields: Any) -> Policy:
    """A policy of the shop's product (``fields`` are ``PolicyData`` fields)."""
    with schema_context(shop.tenant.schema_name):
        return create_policy(product=shop.product, data=PolicyData(name=name, **fields))


def make_license(shop: LicensingShop, policy: Policy | None = None, **fields: Any) -> License:
    """A licence of the shop's buyer for the shop's product (default policy: 2 machines,
    strict, perpetual, entitlements pro + export)."""
    with schema_context(shop.tenant.schema_name):
        return License.objects.create(
            key=fields.pop("key", None) or new_key(),
            product=shop.product,
            policy=policy or shop.policy,
            seller=shop.seller,
            buyer=shop.buyer,
            **fields,
        )


def add_machine(tenant: Tenant, license: License, fingerprint: str, **fields: Any) -> Machine:
    with schema_context(tenant.schema_name):
        return Machine.objects.create(license_id=license.pk, fingerprint=fingerprint, **fields)


def machines_of(tenant: Tenant, license: License) -> list[str]:
    with schema_context(tenant.schema_name):
        return list(
            Machine.objects.filter(license_id=license.pk)
            .order_by("fingerprint")
            .values_list("fingerprint", flat=True)
        )


def age_machine(
    tenant: Tenant,
    license: License,
    fingerprint: str,
    *,
    activated_ago: timedelta | None = None,
    heartbeat_ago: timedelta | None = None,
    now: datetime,
) -> None:
    """Move a machine's activation and last heartbeat into the past."""
    changes: dict[str, Any] = {}
    if activated_ago is not None:
        changes["activated_at"] = now - activated_ago
    if heartbeat_ago is not None:
        changes["last_heartbeat_at"] = now - heartbeat_ago
    with schema_context(tenant.schema_name):
        machines: QuerySet[Machine] = Machine.objects.filter(
            license_id=license.pk, fingerprint=fingerprint
        )
        assert machines.update(**changes) == 1


def post(client: Client, path: str, body: Any, *, ip: str = "127.0.0.1") -> Any:
    """``POST /api/v1/licenses<path>`` with a JSON body, from ``ip``."""
    return client.post(
        PATH + path, json.dumps(body), content_type="application/json", REMOTE_ADDR=ip
    )


def validate(client: Client, key: str, **scope: Any) -> dict[str, Any]:
    """The validation's answer (asserting the 200 every validation answers)."""
    response = post(client, "/validate", {"key": key, **scope})
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body
