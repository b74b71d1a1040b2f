"""Platform staff enter a marketplace as support: audit-logged, no tenant password, scoped to
that marketplace, expiring."""

from __future__ import annotations

import json
from urllib.parse import urlparse

from django.test import Client
from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from tenants.models import SupportSession
from tests.accounts_helpers import call, make_user


def open_session(staff_client, slug: str, reason: str = "Ticket #4411: payouts look wrong"):
    return staff_client.post(
        f"/api/platform/v1/tenants/{slug}/support-sessions",
        json.dumps({"reason": reason}),
        content_type="application/json",
    )


def test_staff_enter_a_tenant_as_a_verified_operator_and_it_is_logged(
    staff_client, staff_user, tenant_a, client_for
):
    response = open_session(staff_client, "alpha-market")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["session"]["staff_email"] == "staff@souk.test"
    assert body["session"]["reason"] == "Ticket #4411: payouts look wrong"
    audit = SupportSession.objects.get()
    assert (audit.staff_id, audit.tenant_id, audit.ended_at) == (staff_user.pk, tenant_a.pk, None)

    url = urlparse(body["url"])
    assert url.hostname == "alpha-market.souk.test"
    support = Client(HTTP_HOST="alpha-market.souk.test")
    assert support.get(f"{url.path}?{url.query}").status_code == 302
    me = call(support, "get", "/me").json()
    assert me["role"] == "operator" and me["email"].startswith("support+")
    # The second factor was checked on the platform: operator tools open.
    make_user(tenant_a, "ann@example.com")
    assert (
        call(support, "get", "/operator/users?q=ann").json()["items"][0]["email"]
        == "ann@example.com"
    )
    assert support.session.get_expiry_age() <= 3600
    with schema_context(tenant_a.schema_name):
        agent = User.objects.get(is_support_agent=True)
        assert not agent.has_usable_password()

    # Single use; and the link means nothing on another marketplace.
    assert (
        Client(HTTP_HOST="alpha-market.souk.test").get(f"{url.path}?{url.query}").status_code == 400
    )


def test_support_link_does_not_work_on_another_tenant(staff_client, tenant_a, tenant_b):
    url = urlparse(open_session(staff_client, "alpha-market").json()["url"])
    other = Client(HTTP_HOST="beta-bazaar.souk.test")
    assert other.get(f"{url.path}?{url.query}").status_code == 400
    assert call(other, "get", "/me").status_code == 401


def test_a_reason_is_required_and_only_verified_staff_may_open_sessions(
    staff_client, platform_client, tenant_a
):
    missing = open_session(staff_client, "alpha-market", reason="  ")
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "reason_required"
    assert open_session(platform_client, "alpha-market").status_code == 401
    assert not SupportSession.objects.exists()


def test_audit_list_and_ending_a_session(staff_client, tenant_a, tenant_b):
    open_session(staff_client, "alpha-market")
    open_session(staff_client, "beta-bazaar", reason="Checking a dispute")
    listed = staff_client.get("/api/platform/v1/support-sessions?tenant=beta-bazaar").json()
    assert [s["reason"] for s in listed["items"]] == ["Checking a dispute"]
    ended = staff_client.post(f"/api/platform/v1/support-sessions/{listed['items'][0]['id']}/end")
    assert ended.json()["ended_at"] is not None


def test_support_agents_can_suspend_operators_but_operators_cannot(staff_client, tenant_a):
    owner = make_user(tenant_a, "op2@example.com", role=Role.OPERATOR)
    url = urlparse(open_session(staff_client, "alpha-market").json()["url"])
    support = Client(HTTP_HOST="alpha-market.souk.test")
    support.get(f"{url.path}?{url.query}")
    response = call(support, "post", f"/operator/users/{owner.pk}/suspend", {"reason": "Fraud"})
    assert response.status_code == 200 and response.json()["is_active"] is False
