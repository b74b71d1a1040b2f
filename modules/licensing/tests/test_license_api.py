"""Licence management over the API: buyers see and free their own licences' machines; sellers
(``manage_customers``) manage their customers' licences and (``manage_products``) set up their
software. Another buyer's or seller's licence is a 404, as is everything of another
marketplace, and the whole API is gone when the module is off."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from core.accounts.services.tokens import create_token
from core.crypto import encrypt
from modules.licensing.models import (
    License,
    Machine,
    Policy,
    ProvisionedAccount,
    SoftwareDetails,
    UsageEvent,
)
from modules.licensing.tests.helpers import (
    api,
    buy,
    emitted,
    fresh,
    make_licensing_shop,
    seller_client,
    signed_in,
    team_member_client,
)
from tenants.services import set_module_enabled
from tests.accounts_helpers import call


def _machines(shop, license, *fingerprints):
    with schema_context(shop.tenant.schema_name):
        return [
            Machine.objects.create(
                license_id=license.pk, fingerprint=fp, name=f"{fp} laptop", platform="linux"
            )
            for fp in fingerprints
        ]


def _machine_ids(shop, license):
    with schema_context(shop.tenant.schema_name):
        return list(
            Machine.objects.filter(license_id=license.pk)
            .order_by("id")
            .values_list("pk", flat=True)
        )


def _account(shop, license, credentials):
    with schema_context(shop.tenant.schema_name):
        return ProvisionedAccount.objects.create(
            license_id=license.pk,
            status="provisioned",
            external_account_id="acct_42",
            credentials_encrypted=encrypt(json.dumps(credentials)),
        )


# --- buyers -------------------------------------------------------------------------------------


def test_buyers_see_their_licences_with_keys_machines_and_their_account(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    [machine] = _machines(shop, license, "fp-1")
    _account(shop, license, {"login": "bea", "password": "temporary-123"})
    client = signed_in(client_for, shop.tenant, shop.buyer)

    listed = api(client, "get", "/mine")
    detail = api(client, "get", f"/mine/{license.pk}")

    assert listed.status_code == 200 and detail.status_code == 200
    body = detail.json()
    assert listed.json() == {"items": [body], "next_cursor": None}
    assert body["machines"][0].pop("activated_at")
    assert body.pop("created_at")
    assert body == {
        "id": license.pk,
        "key": license.key,
        "status": "active",
        "status_reason": "",
        "product": {
            "id": shop.product.pk,
            "name": "Swift Editor",
            "slug": shop.product.slug,
        },
        "seller": {"slug": "acme", "business_name": "Acme Tools"},
        "policy": {
            "id": shop.policy.pk,
            "name": "Standard",
            "is_floating": False,
            "is_heartbeat_required": False,
            "heartbeat_interval_seconds": 3600,
            "entitlements": ["pro", "export"],
        },
        "seat": 1,
        "max_activations": 2,
        "subscription_id": None,
        "expires_at": None,
        "machines": [
            {
                "id": machine.pk,
                "fingerprint": "fp-1",
                "name": "fp-1 laptop",
                "platform": "linux",
                "last_heartbeat_at": None,
            }
        ],
        "account": {
            "status": "provisioned",
            "status_label": "Set up",
            "external_account_id": "acct_42",
            "credentials": {"login": "bea", "password": "temporary-123"},
        },
    }


def test_another_buyers_licence_is_not_found(shop, client_for, django_capture_on_commit_callbacks):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    [machine] = _machines(shop, license, "fp-1")
    other = signed_in(client_for, shop.tenant, shop.other_buyer)

    responses = [
        api(other, "get", f"/mine/{license.pk}"),
        api(other, "post", f"/mine/{license.pk}/machines/{machine.pk}/deactivate"),
    ]

    assert [r.status_code for r in responses] == [404, 404]
    assert {r.json()["error"]["code"] for r in responses} == {"license_not_found"}
    assert api(other, "get", "/mine").json() == {"items": [], "next_cursor": None}
    assert _machine_ids(shop, license) == [machine.pk]


def test_buyers_deactivate_their_machines_to_free_a_seat(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    [other_license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    first, second = _machines(shop, license, "fp-1", "fp-2")
    [elsewhere] = _machines(shop, other_license, "fp-9")
    client = signed_in(client_for, shop.tenant, shop.buyer)

    freed = api(client, "post", f"/mine/{license.pk}/machines/{first.pk}/deactivate")
    again = api(client, "post", f"/mine/{license.pk}/machines/{first.pk}/deactivate")
    crossed = api(client, "post", f"/mine/{license.pk}/machines/{elsewhere.pk}/deactivate")

    assert freed.status_code == 200
    assert [m["id"] for m in freed.json()["machines"]] == [second.pk]
    assert (again.status_code, again.json()["error"]["code"]) == (404, "machine_not_found")
    assert (crossed.status_code, crossed.json()["error"]["code"]) == (404, "machine_not_found")
    assert _machine_ids(shop, other_license) == [elsewhere.pk]
    [event] = emitted(shop.tenant, "license.machine_deactivated")
    assert (event["license_id"], event["machine_id"], event["fingerprint"], event["actor"]) == (
        license.pk,
        first.pk,
        "fp-1",
        "buyer",
    )


def test_a_read_only_token_may_list_but_not_deactivate(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    [machine] = _machines(shop, license, "fp-1")
    with schema_context(shop.tenant.schema_name):
        token = create_token(
            user=shop.buyer,
            name="reader",
            scopes=["read"],
            expires_at=None,
            is_two_factor_verified=False,
        ).raw
    client = client_for(shop.tenant)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    listed = api(client, "get", "/mine")
    denied = api(client, "post", f"/mine/{license.pk}/machines/{machine.pk}/deactivate")
    anonymous = api(client_for(shop.tenant), "get", "/mine")

    assert [item["key"] for item in listed.json()["items"]] == [license.key]
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "insufficient_scope")
    assert anonymous.status_code == 401
    assert _machine_ids(shop, license) == [machine.pk]


def test_the_buyers_list_costs_the_same_queries_for_one_licence_or_many(
    shop, client_for, django_capture_on_commit_callbacks
):
    client = signed_in(client_for, shop.tenant, shop.buyer)
    [first] = buy(client_for, shop, django_capture_on_commit_callbacks)
    _machines(shop, first, "fp-1")
    api(client, "get", "/mine")  # warm the per-request caches (modules, session)

    with CaptureQueriesContext(connection) as one:
        assert len(api(client, "get", "/mine").json()["items"]) == 1
    for _ in range(3):
        [more] = buy(client_for, shop, django_capture_on_commit_callbacks)
        _machines(shop, more, "fp-a", "fp-b")
        _account(shop, more, {"login": "x"})
    with CaptureQueriesContext(connection) as four:
        assert len(api(client, "get", "/mine").json()["items"]) == 4

    assert len(four.captured_queries) == len(one.captured_queries)


# --- sellers: customers' licences ---------------------------------------------------------------


def test_sellers_list_their_customers_licences_filtered(
    shop, client_for, django_capture_on_commit_callbacks
):
    [bea] = buy(client_for, shop, django_capture_on_commit_callbacks)
    [otto] = buy(client_for, shop, django_capture_on_commit_callbacks, buyer=shop.other_buyer)
    [foreign] = buy(
        client_for, shop, django_capture_on_commit_callbacks, product=shop.other_product
    )
    with schema_context(shop.tenant.schema_name):
        License.objects.filter(pk=otto.pk).update(status="suspended", status_reason="x")
    seller = seller_client(client_for, shop.tenant, shop.seller)

    def ids(query=""):
        response = api(seller, "get", f"/seller/licenses{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids() == [otto.pk, bea.pk]
    assert ids("?status=suspended") == [otto.pk]
    assert ids("?buyer_email=BUYER@example.com") == [bea.pk]
    assert ids(f"?product_id={shop.product.pk}") == [otto.pk, bea.pk]
    assert ids(f"?product_id={shop.other_product.pk}") == []
    assert ids("?limit=1") == [otto.pk]
    bad = api(seller, "get", "/seller/licenses?status=lost")
    assert bad.status_code == 422 and "status" in json.dumps(bad.json()["error"]["details"])
    item = api(seller, "get", "/seller/licenses?limit=1").json()["items"][0]
    assert item["buyer"] == {
        "id": shop.other_buyer.pk,
        "email": "other-buyer@example.com",
        "name": "Otto Other",
    }
    assert foreign.seller_id == shop.other_seller.pk


def test_sellers_see_machines_and_usage_but_not_the_buyers_credentials(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    _machines(shop, license, "fp-1")
    _account(shop, license, {"password": "secret"})
    now = timezone.now()
    with schema_context(shop.tenant.schema_name):
        UsageEvent.objects.bulk_create(
            UsageEvent(
                license_id=license.pk,
                event_id=f"e{i}",
                metric=metric,
                quantity=qty,
                occurred_at=now - timedelta(hours=i),
            )
            for i, (metric, qty) in enumerate([("api_calls", 10), ("api_calls", 5), ("exports", 1)])
        )
    seller = seller_client(client_for, shop.tenant, shop.seller)

    body = api(seller, "get", f"/seller/licenses/{license.pk}").json()

    assert [m["fingerprint"] for m in body["machines"]] == ["fp-1"]
    assert body["usage"] == [
        {"metric": "api_calls", "total": 15, "events": 2, "last_at": now.isoformat()},
        {
            "metric": "exports",
            "total": 1,
            "events": 1,
            "last_at": (now - timedelta(hours=2)).isoformat(),
        },
    ]
    assert body["account"] == {
        "status": "provisioned",
        "status_label": "Set up",
        "external_account_id": "acct_42",
        "attempts": 0,
        "last_error": "",
    }
    assert "secret" not in json.dumps(body)
    assert (body["max_activations"], body["max_activations_override"]) == (2, None)


def test_sellers_extend_suspend_reinstate_reset_and_change_the_limit(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    _machines(shop, license, "fp-1", "fp-2")
    seller = seller_client(client_for, shop.tenant, shop.seller)
    path = f"/seller/licenses/{license.pk}"
    before = timezone.now()

    extended = api(seller, "post", f"{path}/extend", {"days": 30})
    suspended = api(seller, "post", f"{path}/suspend", {"reason": "  chargeback   risk "})
    reinstated = api(seller, "post", f"{path}/reinstate", {})
    too_low = api(seller, "patch", path, {"max_activations": 1})
    reset = api(seller, "post", f"{path}/reset-activations")
    lowered = api(seller, "patch", path, {"max_activations": 1})
    back = api(seller, "patch", path, {"max_activations": None})

    assert extended.status_code == 200, extended.content
    expires = fresh(shop.tenant, license).expires_at
    assert before + timedelta(days=30) <= expires <= timezone.now() + timedelta(days=30)
    assert (suspended.json()["status"], suspended.json()["status_reason"]) == (
        "suspended",
        "chargeback risk",
    )
    assert (reinstated.json()["status"], reinstated.json()["status_reason"]) == ("active", "")
    assert too_low.status_code == 422
    assert too_low.json()["error"]["code"] == "invalid_license_change"
    assert too_low.json()["error"]["details"] == {"field": "max_activations"}
    assert (reset.json()["deactivated"], reset.json()["license"]["machines"]) == (2, [])
    assert (lowered.json()["max_activations"], lowered.json()["max_activations_override"]) == (1, 1)
    assert (back.json()["max_activations"], back.json()["max_activations_override"]) == (2, None)
    assert [
        event_type
        for event_type in (
            "license.extended",
            "license.suspended",
            "license.reinstated",
            "license.activations_reset",
            "license.updated",
        )
        for _ in emitted(shop.tenant, event_type)
    ] == [
        "license.extended",
        "license.suspended",
        "license.reinstated",
        "license.activations_reset",
        "license.updated",
        "license.updated",
    ]
    assert {e["actor"] for e in emitted(shop.tenant, "license.suspended")} == {
        f"seller:{shop.seller.owner_id}"
    }


def test_seller_changes_are_checked_and_name_the_field(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    seller = seller_client(client_for, shop.tenant, shop.seller)
    path = f"/seller/licenses/{license.pk}"

    cases = {
        "days": api(seller, "post", f"{path}/extend", {"days": 0}),
        "both": api(seller, "post", f"{path}/extend", {}),
        "past": api(
            seller,
            "post",
            f"{path}/extend",
            {"expires_at": (timezone.now() - timedelta(days=1)).isoformat()},
        ),
        "reason": api(seller, "post", f"{path}/suspend", {"reason": "   "}),
        "limit": api(seller, "patch", path, {"max_activations": 0}),
        "unknown": api(seller, "patch", path, {"max_activations": 3, "colour": "red"}),
    }

    assert {name: r.status_code for name, r in cases.items()} == dict.fromkeys(cases, 422)
    fields = {name: r.json()["error"]["details"] for name, r in cases.items()}
    assert fields["days"] == {"field": "days"}
    assert fields["both"] == {"field": "days"}
    assert fields["past"] == {"field": "expires_at"}
    assert fields["reason"] == {"field": "reason"}
    assert fields["limit"] == {"field": "max_activations"}
    assert "colour" in json.dumps(fields["unknown"])
    after = fresh(shop.tenant, license)
    assert (after.status, after.expires_at, after.max_activations) == ("active", None, None)


def test_a_revoked_licence_cannot_be_brought_back_by_its_seller(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    with schema_context(shop.tenant.schema_name):
        License.objects.filter(pk=license.pk).update(status="revoked", status_reason="refunded")
    seller = seller_client(client_for, shop.tenant, shop.seller)
    path = f"/seller/licenses/{license.pk}"

    responses = [
        api(seller, "post", f"{path}/extend", {"days": 5}),
        api(seller, "post", f"{path}/reinstate", {}),
        api(seller, "post", f"{path}/suspend", {"reason": "x"}),
    ]

    assert [r.status_code for r in responses] == [409, 409, 409]
    assert {r.json()["error"]["code"] for r in responses} == {"invalid_license_change"}
    assert (fresh(shop.tenant, license).status, fresh(shop.tenant, license).expires_at) == (
        "revoked",
        None,
    )


def test_another_sellers_licence_is_not_found(shop, client_for, django_capture_on_commit_callbacks):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    bolt = seller_client(client_for, shop.tenant, shop.other_seller)
    path = f"/seller/licenses/{license.pk}"

    responses = [
        api(bolt, "get", path),
        api(bolt, "post", f"{path}/suspend", {"reason": "mine now"}),
        api(bolt, "post", f"{path}/reset-activations"),
        api(bolt, "patch", path, {"max_activations": 9}),
    ]

    assert [r.status_code for r in responses] == [404] * 4
    assert {r.json()["error"]["code"] for r in responses} == {"license_not_found"}
    assert api(bolt, "get", "/seller/licenses").json()["items"] == []
    assert fresh(shop.tenant, license).status == "active"


def test_team_members_need_manage_customers(shop, client_for, django_capture_on_commit_callbacks):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    orders_only = team_member_client(
        client_for, shop.tenant, shop.seller, "packer@example.com", ["process_orders"]
    )
    support = team_member_client(
        client_for, shop.tenant, shop.seller, "support@example.com", ["manage_customers"]
    )
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    path = f"/seller/licenses/{license.pk}"

    denied = [
        api(orders_only, "get", "/seller/licenses"),
        api(orders_only, "post", f"{path}/suspend", {"reason": "no"}),
    ]
    not_a_seller = api(buyer, "get", "/seller/licenses")
    allowed = api(support, "post", f"{path}/suspend", {"reason": "support ticket 7"})

    assert [r.status_code for r in denied] == [403, 403]
    assert {r.json()["error"]["code"] for r in denied} == {"permission_denied"}
    assert denied[0].json()["error"]["details"] == {"required_permission": "manage_customers"}
    assert (not_a_seller.status_code, not_a_seller.json()["error"]["code"]) == (403, "not_a_seller")
    assert allowed.status_code == 200 and allowed.json()["status"] == "suspended"
    assert len(emitted(shop.tenant, "license.suspended")) == 1


# --- sellers: software set-up -------------------------------------------------------------------

POLICY = {
    "name": "Team",
    "max_activations": 3,
    "is_floating": True,
    "duration_days": 365,
    "is_heartbeat_required": True,
    "heartbeat_interval_seconds": 600,
    "on_missed_heartbeat": "keep",
    "entitlements": ["pro", "sso", "pro"],
    "is_license_per_seat": True,
}


def test_sellers_set_up_their_software_and_its_policies(shop, client_for):
    seller = seller_client(client_for, shop.tenant, shop.seller)
    base = f"/seller/products/{shop.product.pk}"

    put = api(
        seller,
        "put",
        f"{base}/software",
        {
            "license_type": "subscription",
            "provisioning": "automatic",
            "provisioning_url": "https://acme.example/provision",
            "deprovisioning_url": "https://acme.example/deprovision",
            "integration_notes": "Accounts are made in our EU region.",
            "trial_days": 14,
        },
    )
    added = api(seller, "post", f"{base}/policies", {**POLICY, "is_default": True})
    team_id = added.json()["policies"][-1]["id"]
    changed = api(seller, "put", f"{base}/policies/{team_id}", {**POLICY, "max_activations": 5})
    read = api(seller, "get", f"{base}/software")

    assert (put.status_code, added.status_code, changed.status_code) == (200, 201, 200)
    assert read.json() == {
        "license_type": "subscription",
        "provisioning": "automatic",
        "provisioning_url": "https://acme.example/provision",
        "deprovisioning_url": "https://acme.example/deprovision",
        "integration_notes": "Accounts are made in our EU region.",
        "trial_days": 14,
        "default_policy_id": team_id,
        "policies": [
            {
                "id": shop.policy.pk,
                "name": "Standard",
                "max_activations": 2,
                "is_floating": False,
                "duration_days": None,
                "is_heartbeat_required": False,
                "heartbeat_interval_seconds": 3600,
                "on_missed_heartbeat": "deactivate",
                "entitlements": ["pro", "export"],
                "is_license_per_seat": False,
                "is_default": False,
            },
            {
                "id": team_id,
                "name": "Team",
                "max_activations": 5,
                "is_floating": True,
                "duration_days": 365,
                "is_heartbeat_required": True,
                "heartbeat_interval_seconds": 600,
                "on_missed_heartbeat": "keep",
                "entitlements": ["pro", "sso"],
                "is_license_per_seat": True,
                "is_default": True,
            },
        ],
    }
    catalog = call(client_for(shop.tenant), "get", f"/catalog/products/{shop.product.slug}")
    assert catalog.json()["details"] == {
        "license_type": "subscription",
        "provisioning": "automatic",
        "trial_days": 14,
    }


def test_software_set_up_is_validated_field_by_field(shop, client_for):
    seller = seller_client(client_for, shop.tenant, shop.seller)
    base = f"/seller/products/{shop.product.pk}"
    policy_cases = {
        "max_activations": {"max_activations": 0},
        "duration_days": {"duration_days": 0},
        "heartbeat_interval_seconds": {"heartbeat_interval_seconds": 59},
        "entitlements": {"entitlements": ["ok", "not ok!"]},
        "name": {"name": "   "},
        "on_missed_heartbeat": {"on_missed_heartbeat": "explode"},
    }
    software_cases = {
        "provisioning_url": {"provisioning": "automatic"},
        "trial_days": {"trial_days": 400},
        "deprovisioning_url": {"deprovisioning_url": "ftp://acme.example/x"},
    }

    for field, change in policy_cases.items():
        response = api(seller, "post", f"{base}/policies", {**POLICY, **change})
        assert response.status_code == 422, (field, response.content)
        assert field in json.dumps(response.json()["error"]["details"]), (field, response.json())
    for field, change in software_cases.items():
        response = api(seller, "put", f"{base}/software", change)
        assert response.status_code == 422, (field, response.content)
        assert response.json()["error"]["details"] == {"field": field}
    with schema_context(shop.tenant.schema_name):
        assert list(Policy.objects.filter(product=shop.product).values_list("name", flat=True)) == [
            "Standard"
        ]
        details = SoftwareDetails.objects.get(product=shop.product)
        assert (details.provisioning, details.trial_days) == ("manual", 0)


def test_software_set_up_is_only_for_the_sellers_own_products_and_needs_manage_products(
    shop, client_for
):
    bolt = seller_client(client_for, shop.tenant, shop.other_seller)
    support = team_member_client(
        client_for, shop.tenant, shop.seller, "support@example.com", ["manage_customers"]
    )
    base = f"/seller/products/{shop.product.pk}"

    foreign = [
        api(bolt, "get", f"{base}/software"),
        api(bolt, "put", f"{base}/software", {"trial_days": 3}),
        api(bolt, "post", f"{base}/policies", POLICY),
        api(bolt, "put", f"{base}/policies/{shop.policy.pk}", POLICY),
    ]
    own_product_other_policy = api(
        seller_client(client_for, shop.tenant, shop.seller),
        "put",
        f"{base}/policies/{shop.policy.pk + 1000}",
        POLICY,
    )
    denied = api(support, "post", f"{base}/policies", POLICY)

    assert [r.status_code for r in foreign] == [404] * 4
    assert {r.json()["error"]["code"] for r in foreign} == {"product_not_found"}
    assert (
        own_product_other_policy.status_code,
        own_product_other_policy.json()["error"]["code"],
    ) == (
        404,
        "policy_not_found",
    )
    assert (denied.status_code, denied.json()["error"]["code"]) == (403, "permission_denied")
    with schema_context(shop.tenant.schema_name):
        assert Policy.objects.filter(product=shop.product).count() == 1


# --- isolation ----------------------------------------------------------------------------------


def test_licences_of_one_marketplace_are_not_found_on_another(
    shop, other_licensing_tenant, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    other = make_licensing_shop(other_licensing_tenant)
    seller_b = seller_client(client_for, other_licensing_tenant, other.seller)
    path = f"/seller/licenses/{license.pk}"

    responses = [
        api(seller_b, "get", path),
        api(seller_b, "post", f"{path}/suspend", {"reason": "x"}),
        api(seller_b, "post", f"{path}/extend", {"days": 3}),
    ]

    assert [r.status_code for r in responses] == [404] * 3
    assert api(seller_b, "get", "/seller/licenses").json()["items"] == []
    assert fresh(shop.tenant, license).status == "active"
    assert emitted(shop.tenant, "license.suspended") == []


def test_with_the_module_off_its_api_and_pages_are_gone_and_the_rest_works(
    shop, client_for, django_capture_on_commit_callbacks
):
    [license] = buy(client_for, shop, django_capture_on_commit_callbacks)
    buyer = signed_in(client_for, shop.tenant, shop.buyer)
    seller = seller_client(client_for, shop.tenant, shop.seller)

    set_module_enabled(tenant=shop.tenant, key="licensing", is_enabled=False)

    gone = [
        api(buyer, "get", "/mine"),
        api(buyer, "get", f"/mine/{license.pk}"),
        api(seller, "get", "/seller/licenses"),
        api(seller, "post", f"/seller/licenses/{license.pk}/suspend", {"reason": "x"}),
        api(seller, "get", f"/seller/products/{shop.product.pk}/software"),
    ]
    assert [r.status_code for r in gone] == [404] * 5
    assert {r.json()["error"]["code"] for r in gone} == {"not_found"}
    assert buyer.get("/licenses/").status_code == 404
    assert buyer.get(f"/licenses/{license.pk}/").status_code == 404
    assert buyer.get("/").status_code == 200
    assert b'data-module="licensing"' not in buyer.get("/").content
    assert call(buyer, "get", "/orders").status_code == 200
    assert call(buyer, "get", "/catalog").status_code == 200
    assert fresh(shop.tenant, license).status == "active"

    set_module_enabled(tenant=shop.tenant, key="licensing", is_enabled=True)
    assert [item["id"] for item in api(buyer, "get", "/mine").json()["items"]] == [license.pk]
