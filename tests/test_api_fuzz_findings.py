"""What the OpenAPI fuzz run (tests/test_api_fuzz.py) found, pinned as plain tests: each
answered 5xx or an answer that did not match its documented schema."""

from __future__ import annotations

from django_tenants.utils import schema_context

from core.sellers.models import Seller
from tests.accounts_helpers import call, sign_in
from tests.catalog_helpers import make_seller


def test_updating_the_seller_profile_answers_the_public_profile(client_for, tenant_a):
    make_seller(tenant_a, "acme", "Acme Tools")
    seller = client_for(tenant_a)
    sign_in(seller, "acme@example.com")

    response = call(seller, "put", "/seller/profile", {"bio": "We make tools."})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["slug"], body["business_name"], body["bio"]) == (
        "acme",
        "Acme Tools",
        "We make tools.",
    )
    assert body == call(client_for(tenant_a), "get", "/sellers/acme").json()
    with schema_context(tenant_a.schema_name):
        assert Seller.objects.get().bio == "We make tools."
