"""The licensing partner API checks the team permissions an API key carries: a key made by a
teammate who may only configure integrations cannot read customers or reprice products."""

from __future__ import annotations

import importlib

from django.apps import apps
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.catalog.models import Product, ProductPrice
from core.sellers.models import SellerApiKey, TeamMember
from modules.licensing.tests.helpers import team_member_client
from modules.licensing.tests.integration_helpers import partner
from tests.accounts_helpers import call, make_user

CARRY_PERMISSIONS = "core.sellers.migrations.0002_sellerapikey_permissions"


def integration_only_key(client_for, shop):
    """A key minted through the seller API by a teammate holding only configure_integration."""
    member = team_member_client(
        client_for, shop.tenant, shop.seller, "dev@acme.example", ["configure_integration"]
    )
    issued = call(member, "post", "/seller/api-keys", {"name": "CI"})
    assert issued.status_code == 201, issued.content
    assert issued.json()["permissions"] == ["configure_integration"]
    client = client_for(shop.tenant)
    client.defaults["HTTP_X_API_KEY"] = issued.json()["key"]
    return client


def base_price(shop):
    with schema_context(shop.tenant.schema_name):
        return ProductPrice.objects.get(product=shop.product, variant__isnull=True).amount


def test_an_integration_only_key_cannot_read_customers_or_reprice(shop, client_for):
    key = integration_only_key(client_for, shop)
    price_before = base_price(shop)

    refused = {
        "licenses": partner(key, "get", "/licenses"),
        "orders": partner(key, "get", "/orders"),
        "reprice": partner(
            key, "put", f"/products/{shop.product.pk}/prices", {"prices": {"USD": 1}}
        ),
        "products": partner(key, "get", "/products"),
        "metrics": partner(
            key, "get", "/metrics?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z"
        ),
    }

    assert {name: answer.status_code for name, answer in refused.items()} == {
        "licenses": 403,
        "orders": 403,
        "reprice": 403,
        "products": 403,
        "metrics": 403,
    }
    assert refused["licenses"].json()["error"]["code"] == "permission_denied"
    assert refused["licenses"].json()["error"]["details"] == {
        "required_permission": "manage_customers"
    }
    assert refused["reprice"].json()["error"]["details"] == {
        "required_permission": "manage_products"
    }
    assert base_price(shop) == price_before
    # What the key was made for still works.
    assert partner(key, "get", "/webhooks").status_code == 200
    assert partner(key, "get", "/health").status_code == 200
    assert partner(key, "get", "/signing-secret").status_code == 200


def test_a_teammate_cannot_mint_a_key_beyond_their_permissions(shop, client_for):
    member = team_member_client(
        client_for, shop.tenant, shop.seller, "dev@acme.example", ["configure_integration"]
    )
    refused = call(
        member,
        "post",
        "/seller/api-keys",
        {"name": "CI", "permissions": ["configure_integration", "manage_products"]},
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["details"]["lacking"] == ["manage_products"]
    with schema_context(shop.tenant.schema_name):
        assert not SellerApiKey.objects.filter(seller=shop.seller).exists()
        assert not Product.objects.filter(seller=shop.seller).exclude(pk=shop.product.pk).exists()


def test_a_key_with_the_permission_reprices(shop, client_for):
    member = team_member_client(
        client_for,
        shop.tenant,
        shop.seller,
        "stock@acme.example",
        ["configure_integration", "manage_products"],
    )
    issued = call(
        member, "post", "/seller/api-keys", {"name": "Stock", "permissions": ["manage_products"]}
    ).json()
    key = client_for(shop.tenant)
    key.defaults["HTTP_X_API_KEY"] = issued["key"]

    repriced = partner(key, "put", f"/products/{shop.product.pk}/prices", {"prices": {"USD": 777}})

    assert repriced.status_code == 200, repriced.content
    assert base_price(shop) == 777
    assert partner(key, "get", "/webhooks").status_code == 403


def test_existing_keys_get_their_creators_current_permissions(shop):
    """The data migration: the owner's keys get every permission, a teammate's their grants,
    and a key whose creator is gone or off the team gets none."""
    carry = importlib.import_module(CARRY_PERMISSIONS)
    seller = shop.seller
    with schema_context(shop.tenant.schema_name):
        owner = User.objects.get(pk=seller.owner_id)
        member = make_user(shop.tenant, "dev@acme.example")
        former = make_user(shop.tenant, "gone@acme.example")
    with schema_context(shop.tenant.schema_name):
        TeamMember.objects.create(seller=seller, user=member, permissions=["process_orders"])
        for name, creator in [
            ("owner", owner),
            ("member", member),
            ("former", former),
            ("nobody", None),
        ]:
            SellerApiKey.objects.create(
                seller=seller,
                name=name,
                prefix=name[:6],
                key_hash=name,
                created_by=creator,
                permissions=[],
            )

        carry.carry_creators_permissions(apps, None)

        assert dict(SellerApiKey.objects.values_list("name", "permissions")) == {
            "owner": [
                "configure_integration",
                "manage_customers",
                "manage_products",
                "process_orders",
                "view_analytics",
            ],
            "member": ["process_orders"],
            "former": [],
            "nobody": [],
        }
