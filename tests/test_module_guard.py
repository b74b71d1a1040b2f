"""Per-tenant modules: the guard hides a disabled module's API and pages; config is validated."""

from __future__ import annotations

import pytest

from tenants.errors import TenantError, TenantErrorCode
from tenants.models import TenantModule
from tenants.services import set_module_enabled


def test_enabled_module_api_and_pages_are_served(client_for, tenant_b):
    client = client_for(tenant_b)
    assert client.get("/api/v1/beta/ping").json() == {"module": "beta", "tenant": "beta-bazaar"}
    assert client.get("/alpha/").content == b"alpha storefront of Beta Bazaar"


def test_disabled_module_answers_404_on_api_and_pages(client_for, tenant_a):
    # tenant_a has only the default module (alpha); beta is off.
    client = client_for(tenant_a)
    api = client.get("/api/v1/beta/ping")
    assert api.status_code == 404
    assert api.json()["error"] == {"code": "not_found", "message": "Not found.", "details": None}


def test_switching_a_module_off_hides_it_at_once(client_for, tenant_a):
    client = client_for(tenant_a)
    assert client.get("/alpha/").status_code == 200
    set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=False)
    assert client.get("/alpha/").status_code == 404
    assert client.get("/api/v1/alpha/items").status_code == 404
    assert b"Alpha goods" not in client.get("/").content


def test_disabled_module_is_a_404_even_for_unknown_subpaths_and_writes(client_for, tenant_a):
    response = client_for(tenant_a).post(
        "/api/v1/beta/anything", "{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_enabling_needs_dependencies_on(tenant_a):
    set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=False)
    with pytest.raises(TenantError) as caught:
        set_module_enabled(tenant=tenant_a, key="beta", is_enabled=True)
    assert caught.value.code == TenantErrorCode.MODULE_DEPENDENCY_MISSING
    assert caught.value.details["missing"] == ["alpha"]
    assert not TenantModule.objects.filter(tenant=tenant_a, key="beta").exists()


def test_disabling_a_module_others_depend_on_is_refused(tenant_b):
    with pytest.raises(TenantError) as caught:
        set_module_enabled(tenant=tenant_b, key="alpha", is_enabled=False)
    assert caught.value.code == TenantErrorCode.MODULE_HAS_DEPENDENTS
    assert TenantModule.objects.get(tenant=tenant_b, key="alpha").is_enabled


def test_module_config_is_validated_and_kept(client_for, tenant_a):
    with pytest.raises(TenantError) as caught:
        set_module_enabled(
            tenant=tenant_a, key="alpha", is_enabled=True, config={"greeting": 5, "extra": 1}
        )
    assert caught.value.code == TenantErrorCode.INVALID_MODULE_CONFIG
    assert {d["field"] for d in caught.value.details} == {"greeting", "extra"}

    set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=True, config={"greeting": "salaam"})
    set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=False)
    row = set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=True)

    assert row.config == {"greeting": "salaam", "max_items": 10}
    assert client_for(tenant_a).get("/api/v1/alpha/greeting").json() == {"greeting": "salaam"}


def test_module_config_is_per_tenant(client_for, tenant_a, tenant_b):
    set_module_enabled(tenant=tenant_a, key="alpha", is_enabled=True, config={"greeting": "hej"})
    assert client_for(tenant_a).get("/api/v1/alpha/greeting").json() == {"greeting": "hej"}
    assert client_for(tenant_b).get("/api/v1/alpha/greeting").json() == {"greeting": "hello"}


def test_unknown_module_cannot_be_enabled(tenant_a):
    with pytest.raises(TenantError) as caught:
        set_module_enabled(tenant=tenant_a, key="ghost", is_enabled=True)
    assert caught.value.code == TenantErrorCode.UNKNOWN_MODULE
