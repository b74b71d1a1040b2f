"""Schemathesis against the disputes API only (the whole-API run is tests/test_api_fuzz.py),
with disputes that exist, so generated ids and bodies reach the services: as the buyer, the
seller (bearer tokens) and an operator with the second factor, data valid and invalid by the
schema must never answer 5xx, documented answers must match their schema, and no value may
reach the database's DataError safety net."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django_tenants.utils import schema_context

from core.disputes import services
from tests.accounts_helpers import PASSWORD, call, signed_in_operator
from tests.catalog_helpers import make_product, make_seller
from tests.commerce_helpers import make_shop
from tests.fleet_helpers import host_of
from tests.test_api_fuzz import (
    DatabaseRefusals,
    FuzzRole,
    InProcessWsgiApp,
    assert_signed_in,
    bearer_headers,
    fuzz,
    refusals,  # noqa: F401  (fixture)
    session_role,
)
from tests.test_disputes import buy

pytestmark = pytest.mark.slow


def test_the_disputes_api_has_no_server_errors_and_answers_as_documented(
    tenant_b: Any,
    client_for: Any,
    refusals: DatabaseRefusals,  # noqa: F811
) -> None:
    shop = make_shop(tenant_b)
    consultant = make_seller(tenant_b, "sage", "Sage Advice", product_types=("software", "service"))
    audit = make_product(
        tenant_b, consultant, "Security Audit", price=10_000, product_type="service"
    )
    with schema_context(tenant_b.schema_name):
        for _ in range(3):
            line = buy(shop, audit)
            services.open_dispute(
                user=shop.buyer, order_line_id=line.pk, kind="quality", reason="x"
            )
    base_url = f"http://{host_of(tenant_b)}"
    buyer = client_for(tenant_b)
    call(buyer, "post", "/auth/login", {"email": shop.buyer.email, "password": PASSWORD})
    seller = client_for(tenant_b)
    call(seller, "post", "/auth/login", {"email": consultant.owner.email, "password": PASSWORD})
    operator, _ = signed_in_operator(client_for, tenant_b)
    roles = [
        FuzzRole("buyer", bearer_headers(buyer, ["read", "write"])),
        FuzzRole("seller", bearer_headers(seller, ["read", "write", "seller"])),
        session_role("operator", operator),
    ]
    app = InProcessWsgiApp()
    for role in roles:
        assert_signed_in(app, base_url, role, "/api/v1/disputes")
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", app, headers={"Host": host_of(tenant_b)}
    ).include(path_regex="^/api/v1/disputes")
    report = fuzz(schema, roles, base_url, refusals)
    assert not report.failures, report.describe()
    assert report.operations >= 10
