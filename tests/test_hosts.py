"""Hosts: each tenant on its own domains; unknown hosts and suspended tenants answered clearly."""

from __future__ import annotations

from tenants.services import add_domain, resume_tenant, suspend_tenant


def test_tenant_is_served_on_its_subdomain_and_custom_domain(client_for, tenant_a, client):
    add_domain(tenant=tenant_a, domain="alpha-shop.example")

    on_subdomain = client_for(tenant_a).get("/")
    on_custom = client.get("/", HTTP_HOST="alpha-shop.example")
    with_port_and_www = client.get("/", HTTP_HOST="www.alpha-shop.example:8000")

    for response in (on_subdomain, on_custom, with_port_and_www):
        assert response.status_code == 200
        assert b"Alpha Market" in response.content


def test_unknown_host_gets_a_clear_404_page(client, db):
    response = client.get("/", HTTP_HOST="nobody-here.souk.test")
    assert response.status_code == 404
    assert b"No marketplace here" in response.content
    assert b"nobody-here.souk.test" in response.content
    assert response["X-Request-ID"]


def test_unknown_host_on_the_api_gets_the_envelope(client, db):
    response = client.get("/api/v1/marketplace", HTTP_HOST="nobody-here.souk.test")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_host"
    assert response.json()["request_id"] == response["X-Request-ID"]


def test_suspended_tenant_gets_a_suspended_page_and_403_json(client_for, tenant_a):
    suspend_tenant(tenant=tenant_a, reason="Unpaid invoices")
    client = client_for(tenant_a)

    page = client.get("/")
    api = client.get("/api/v1/marketplace")

    assert page.status_code == 403
    assert b"temporarily unavailable" in page.content
    assert b"Alpha Market" in page.content
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "tenant_suspended"


def test_resumed_tenant_is_served_again(client_for, tenant_a):
    suspend_tenant(tenant=tenant_a, reason="Checking")
    resume_tenant(tenant=tenant_a)
    assert client_for(tenant_a).get("/").status_code == 200


def test_suspension_of_one_tenant_does_not_touch_another(client_for, tenant_a, tenant_b):
    suspend_tenant(tenant=tenant_a, reason="Checking")
    assert client_for(tenant_b).get("/").status_code == 200


def test_platform_host_serves_the_sign_up_form_not_a_storefront(platform_client, tenant_a):
    response = platform_client.get("/")
    assert response.status_code == 200
    assert b"Open your marketplace" in response.content


def test_platform_api_is_not_reachable_on_a_tenant_host(client_for, tenant_a):
    response = client_for(tenant_a).get("/api/platform/v1/tenants")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_every_response_carries_a_request_id_and_keeps_a_sane_inbound_one(client_for, tenant_a):
    client = client_for(tenant_a)
    generated = client.get("/")
    kept = client.get("/", HTTP_X_REQUEST_ID="proxy-abc-12345")
    refused = client.get("/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert len(generated["X-Request-ID"]) == 32
    assert kept["X-Request-ID"] == "proxy-abc-12345"
    assert refused["X-Request-ID"] != "bad id\nwith newline"
