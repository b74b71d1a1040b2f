"""Every string an API writes to the database is limited to its column: a longer value is a
422 naming the field (never a database error), and the column's full length is accepted."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import set_urlconf
from django_tenants.utils import schema_context

from api.platform import api as platform_api
from api.v1 import api as tenant_api
from core.accounts.models import User
from core.catalog.models import Product
from core.sellers.models import Seller
from tenants.models import Tenant
from tests.accounts_helpers import call, make_user, sign_in
from tests.catalog_helpers import make_seller
from tests.test_api_errors import assert_envelope
from tests.testmodules.alpha.models import AlphaItem

PRODUCT = {"name": "Swift Code Editor", "product_type": "software", "prices": {"USD": 4900}}


def invalid_fields(response: Any) -> list[str]:
    error = assert_envelope(response, 422, "validation_error")
    return [detail["field"] for detail in error["details"]]


@pytest.fixture
def seller(client_for, tenant_a) -> Client:
    make_seller(tenant_a, "acme")
    client = client_for(tenant_a)
    assert sign_in(client, "acme@example.com").json()["status"] == "signed_in"
    return client


def test_over_long_product_name_is_422_naming_the_field_and_saves_nothing(seller, tenant_a):
    response = call(seller, "post", "/seller/products", {**PRODUCT, "name": "x" * 161})

    assert invalid_fields(response) == ["name"]
    with schema_context(tenant_a.schema_name):
        assert not Product.objects.exists()


def test_product_names_up_to_the_catalogue_rule_are_saved(seller, tenant_a):
    """The column holds 160; the catalogue's own rule (150, with its message) is stricter."""
    saved = call(seller, "post", "/seller/products", {**PRODUCT, "name": "x" * 150})
    refused = call(seller, "post", "/seller/products", {**PRODUCT, "name": "y" * 160})

    assert saved.status_code == 201, saved.content
    assert refused.status_code == 422
    assert refused.json()["error"]["details"] == {"field": "name"}
    with schema_context(tenant_a.schema_name):
        assert list(Product.objects.values_list("name", flat=True)) == ["x" * 150]


def test_over_long_product_image_url_is_422(seller, tenant_a):
    url = "https://cdn.example.com/" + "a" * 480 + ".png"  # 508 characters, the column has 500
    response = call(seller, "post", "/seller/products", {**PRODUCT, "images": [url]})

    assert invalid_fields(response) == ["images.0"]
    with schema_context(tenant_a.schema_name):
        assert not Product.objects.exists()


def test_over_long_business_name_is_422_and_makes_no_seller(client_for, tenant_a):
    make_user(tenant_a, "new@example.com")
    client = client_for(tenant_a)
    sign_in(client, "new@example.com")

    details = {"business_name": "x" * 121, "legal_form": "company", "tax_id": "1" * 41}
    response = call(client, "post", "/seller/onboarding", details)

    assert invalid_fields(response) == ["business_name", "tax_id"]
    with schema_context(tenant_a.schema_name):
        assert not Seller.objects.exists()


def test_over_long_seller_website_is_422(seller, tenant_a):
    website = "https://example.com/" + "a" * 190  # 210 characters, the column has 200
    response = call(seller, "put", "/seller/profile", {"website": website})

    assert invalid_fields(response) == ["website"]
    with schema_context(tenant_a.schema_name):
        assert Seller.objects.get().website == ""


def test_over_long_full_name_is_422_and_creates_no_account(client_for, tenant_a):
    body = {"email": "ann@example.com", "password": "a long and fine passphrase"}
    response = call(client_for(tenant_a), "post", "/auth/signup", {**body, "full_name": "x" * 151})

    assert invalid_fields(response) == ["full_name"]
    with schema_context(tenant_a.schema_name):
        assert not User.objects.filter(email="ann@example.com").exists()


def test_over_long_logo_url_on_the_platform_api_is_422_and_opens_nothing(staff_client):
    logo = "https://cdn.example.com/" + "a" * 190 + ".png"  # 218 characters, the column has 200
    body = {
        "slug": "long-logo",
        "name": "Long Logo",
        "owner_email": "owner@long-logo.example",
        "branding": {"logo_url": logo},
    }
    response = staff_client.post("/api/platform/v1/tenants", body, content_type="application/json")

    assert invalid_fields(response) == ["branding.logo_url"]
    assert not Tenant.objects.filter(slug="long-logo").exists()


def test_a_database_error_is_a_422_envelope_not_a_500(client_for, tenant_a):
    """The safety net under the per-field limits (the alpha test module's unchecked input)."""
    with transaction.atomic():  # the test's transaction outlives the failed statement
        response = call(client_for(tenant_a), "post", "/alpha/items/unchecked", {"name": "x" * 81})

    error = assert_envelope(response, 422, "validation_error")
    assert error["message"] == "A value is too long or out of range."
    with schema_context(tenant_a.schema_name):
        assert not AlphaItem.objects.exists()


# --- every string of every request body is bounded -------------------------------------------

# Test-module operations without limits on purpose.
UNBOUNDED_ON_PURPOSE = {("/api/v1/alpha/items/unchecked", "post")}


def is_bounded_pattern(pattern: str) -> bool:
    """``^#[0-9a-f]{6}$`` or ``^(publish|archive)$``: anchored, with no open-ended repeat."""
    return (
        pattern.startswith("^")
        and pattern.endswith("$")
        and not any(repeat in pattern for repeat in ("*", "+", ",}"))
    )


def unbounded_strings(schema: dict[str, Any], node: Any, where: str, seen: set[str]) -> list[str]:
    """Paths of string schemas under ``node`` with no maxLength (nor enum or fixed pattern)."""
    if isinstance(node, list):
        return [
            hit
            for index, item in enumerate(node)
            for hit in unbounded_strings(schema, item, where, seen)
        ]
    if not isinstance(node, dict):
        return []
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return unbounded_strings(
            schema, schema["components"]["schemas"][name], f"{where}>{name}", {*seen, name}
        )
    hits = []
    if node.get("type") == "string" and not (
        "maxLength" in node
        or "enum" in node
        or "const" in node
        or node.get("format") in {"date-time", "date", "binary"}
        or is_bounded_pattern(node.get("pattern", ""))
    ):
        hits.append(where)
    for key, value in node.items():
        if key == "properties":
            for name, child in value.items():
                hits += unbounded_strings(schema, child, f"{where}.{name}", seen)
        elif key in {"items", "anyOf", "oneOf", "allOf", "additionalProperties"}:
            hits += unbounded_strings(schema, value, where, seen)
    return hits


@pytest.mark.parametrize(
    ("api", "urlconf"),
    [(tenant_api, None), (platform_api, settings.PUBLIC_SCHEMA_URLCONF)],
    ids=["tenant", "platform"],
)
def test_every_string_in_a_request_body_has_a_maximum_length(api, urlconf):
    set_urlconf(urlconf)
    try:
        schema = api.get_openapi_schema()
    finally:
        set_urlconf(None)
    unbounded = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if (path, method) in UNBOUNDED_ON_PURPOSE:
                continue
            for content in operation.get("requestBody", {}).get("content", {}).values():
                where = f"{method.upper()} {path}"
                unbounded += unbounded_strings(schema, content["schema"], where, set())
    assert unbounded == []
