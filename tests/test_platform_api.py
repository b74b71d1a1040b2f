"""/api/platform/v1/: fleet management for platform staff with a verified second factor."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_exists

from core.accounts.models import User
from tenants.models import Domain, Tenant, TenantModule


def post(client: Client, path: str, body: dict | None = None):
    return client.post(
        "/api/platform/v1" + path, json.dumps(body or {}), content_type="application/json"
    )


def test_anonymous_and_non_staff_are_refused(platform_client, db):
    assert platform_client.get("/api/platform/v1/tenants").status_code == 401
    User.objects.create_user("buyer@souk.test", "a long passphrase")
    platform_client.login(username="buyer@souk.test", password="a long passphrase")
    response = platform_client.get("/api/platform/v1/tenants")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_staff_without_a_verified_second_factor_is_refused(platform_client, staff_user):
    platform_client.force_login(staff_user)
    assert platform_client.get("/api/platform/v1/tenants").status_code == 401


def test_staff_creates_a_tenant(staff_client):
    response = post(
        staff_client,
        "/tenants",
        {
            "slug": "api-shop",
            "name": "API Shop",
            "owner_email": "owner@api.example",
            "modules": ["beta"],
            "custom_domains": ["api-shop.example"],
            "branding": {"theme": "bazaar", "primary_colour": "#010203"},
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["schema_source"] == "pool"
    tenant = body["tenant"]
    assert tenant["slug"] == "api-shop" and tenant["status"] == "active"
    assert [d["domain"] for d in tenant["domains"]] == ["api-shop.souk.test", "api-shop.example"]
    # Every installed module is listed; licensing also sells software, so it stays off here.
    assert {m["key"]: m["is_enabled"] for m in tenant["modules"]} == {
        "alpha": True,
        "beta": True,
        "licensing": False,
        "gigs": False,
        "consulting": False,
        "digital": False,
        "courses": False,
    }
    assert tenant["branding"]["primary_colour"] == "#010203"


def test_create_with_bad_input_names_the_problem_and_creates_nothing(staff_client):
    before = Tenant.objects.count()
    bad_slug = post(staff_client, "/tenants", {"slug": "A!", "name": "x", "owner_email": "a@b.co"})
    unknown_field = post(
        staff_client,
        "/tenants",
        {"slug": "okay-shop", "name": "x", "owner_email": "a@b.co", "colour": "red"},
    )
    bad_branding = post(
        staff_client,
        "/tenants",
        {
            "slug": "okay-shop",
            "name": "x",
            "owner_email": "a@b.co",
            "branding": {"primary_colour": "blue"},
        },
    )
    assert (bad_slug.status_code, bad_slug.json()["error"]["code"]) == (400, "invalid_slug")
    assert unknown_field.status_code == 422
    assert unknown_field.json()["error"]["details"][0]["field"] == "colour"
    assert bad_branding.status_code == 422
    assert bad_branding.json()["error"]["details"][0]["field"] == "branding.primary_colour"
    assert Tenant.objects.count() == before


def test_list_is_cursor_paginated_and_filterable(staff_client, make_tenant):
    for slug in ("shop-one", "shop-two", "shop-three"):
        make_tenant(slug)
    first = staff_client.get("/api/platform/v1/tenants?limit=2").json()
    second = staff_client.get(
        f"/api/platform/v1/tenants?limit=2&cursor={first['next_cursor']}"
    ).json()
    assert [t["slug"] for t in first["items"]] == ["shop-three", "shop-two"]
    assert [t["slug"] for t in second["items"]] == ["shop-one"]
    assert second["next_cursor"] is None
    found = staff_client.get("/api/platform/v1/tenants?q=two").json()
    assert [t["slug"] for t in found["items"]] == ["shop-two"]


def test_suspend_resume_and_delete(staff_client, tenant_a, client_for):
    suspended = post(staff_client, "/tenants/alpha-market/suspend", {"reason": "Fraud check"})
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["suspended_reason"] == "Fraud check"
    again = post(staff_client, "/tenants/alpha-market/suspend", {"reason": "Again"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_in_state")
    assert post(staff_client, "/tenants/alpha-market/resume").json()["status"] == "active"

    wrong = staff_client.delete(
        "/api/platform/v1/tenants/alpha-market",
        json.dumps({"confirm_slug": "nope"}),
        content_type="application/json",
    )
    assert wrong.status_code == 422 and schema_exists(tenant_a.schema_name)
    before = timezone.now()
    deleted = staff_client.delete(
        "/api/platform/v1/tenants/alpha-market",
        json.dumps({"confirm_slug": "alpha-market"}),
        content_type="application/json",
    )
    # Deleting is a request: suspended now, purged after the grace period (fleet_ops).
    assert deleted.status_code == 202, deleted.content
    body = deleted.json()
    assert (body["slug"], body["status"]) == ("alpha-market", "suspended")
    purge_after = datetime.fromisoformat(body["purge_after"])
    grace = timedelta(days=settings.SOUK_TENANT_DELETION_GRACE_DAYS)
    assert before + grace <= purge_after <= timezone.now() + grace
    assert schema_exists(tenant_a.schema_name)
    assert Domain.objects.filter(domain="alpha-market.souk.test").exists()
    assert client_for(tenant_a).get("/").status_code == 403  # the storefront is suspended
    twice = staff_client.delete(
        "/api/platform/v1/tenants/alpha-market",
        json.dumps({"confirm_slug": "alpha-market"}),
        content_type="application/json",
    )
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "deletion_pending")
    resumed = post(staff_client, "/tenants/alpha-market/resume")
    assert (resumed.status_code, resumed.json()["error"]["code"]) == (409, "deletion_pending")

    cancelled = post(staff_client, "/tenants/alpha-market/cancel-deletion")
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["suspended_reason"]) == ("active", "")
    tenant = Tenant.objects.get(slug="alpha-market")
    assert (tenant.deletion_requested_at, tenant.purge_after) == (None, None)
    again = post(staff_client, "/tenants/alpha-market/cancel-deletion")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "not_scheduled_for_deletion")


def test_the_platform_itself_cannot_be_suspended(staff_client):
    response = post(staff_client, "/tenants/platform/suspend", {"reason": "oops"})
    assert response.status_code == 404  # the platform is not in the fleet listing


def test_modules_on_and_off(staff_client, tenant_a):
    on = staff_client.put(
        "/api/platform/v1/tenants/alpha-market/modules/beta",
        json.dumps({"is_enabled": True}),
        content_type="application/json",
    )
    assert {m["key"]: m["is_enabled"] for m in on.json()["modules"]} == {
        "alpha": True,
        "beta": True,
        "licensing": False,
        "gigs": False,
        "consulting": False,
        "digital": False,
        "courses": False,
    }
    refused = staff_client.put(
        "/api/platform/v1/tenants/alpha-market/modules/alpha",
        json.dumps({"is_enabled": False}),
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "module_has_dependents"
    bad = staff_client.put(
        "/api/platform/v1/tenants/alpha-market/modules/alpha",
        json.dumps({"is_enabled": True, "config": {"max_items": "many"}}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_module_config"
    assert TenantModule.objects.get(tenant=tenant_a, key="alpha").config["max_items"] == 10


def test_domains(staff_client, tenant_a, tenant_b):
    added = post(staff_client, "/tenants/alpha-market/domains", {"domain": "Alpha.Example"})
    assert added.status_code == 201 and added.json()["domain"] == "alpha.example"
    taken = post(staff_client, "/tenants/beta-bazaar/domains", {"domain": "alpha.example"})
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "domain_taken")
    primary = post(staff_client, "/tenants/alpha-market/domains/alpha.example/primary")
    assert primary.json()["is_primary"] is True
    assert Domain.objects.get(domain="alpha-market.souk.test").is_primary is False
    refused = staff_client.delete("/api/platform/v1/tenants/alpha-market/domains/alpha.example")
    assert refused.json()["error"]["code"] == "primary_domain_required"
    removed = staff_client.delete(
        "/api/platform/v1/tenants/alpha-market/domains/alpha-market.souk.test"
    )
    assert removed.status_code == 204
    missing = staff_client.delete("/api/platform/v1/tenants/alpha-market/domains/nope.example")
    assert missing.status_code == 404


@pytest.mark.parametrize("path", ["/tenants/ghost", "/tenants/ghost/resume"])
def test_unknown_tenant_is_a_404_envelope(staff_client, path):
    response = (
        staff_client.get("/api/platform/v1" + path)
        if path.count("/") == 2
        else post(staff_client, path)
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "tenant_not_found"


def test_csrf_is_required_for_session_writes(staff_user, db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(HTTP_HOST="souk.test", enforce_csrf_checks=True)
    device = TOTPDevice.objects.create(user=staff_user, name="phone", confirmed=True)
    client.force_login(staff_user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    response = post(client, "/tenants", {"slug": "csrf-shop", "name": "x", "owner_email": "a@b.co"})
    assert response.status_code in {401, 403}
    assert "error" in response.json()
    assert not Tenant.objects.filter(slug="csrf-shop").exists()


def test_tenant_list_query_count_does_not_grow_with_page_size(staff_client, make_tenant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for index in range(6):
        make_tenant(f"count-shop-{index}", custom_domains=[f"count-{index}.example"])
    counts = []
    for limit in (1, 6):
        with CaptureQueriesContext(connection) as queries:
            items = staff_client.get(f"/api/platform/v1/tenants?limit={limit}").json()["items"]
        assert len(items) == limit
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_second_module_selling_the_same_product_type_is_refused(staff_client, tenant_a):
    response = staff_client.put(
        "/api/platform/v1/tenants/alpha-market/modules/licensing",
        json.dumps({"is_enabled": True}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "module_conflict"
    assert response.json()["error"]["details"] == {"module": "licensing", "conflicts_with": "alpha"}
