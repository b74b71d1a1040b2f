"""Platform support inside a marketplace lasts exactly as long as its support session: ending or
expiry signs the agent out (pages and API), support cannot mint credentials that would outlive
it, the marketplace's operators see every visit, and no one can pre-register the support
account's address."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlparse

from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from core.accounts.errors import AccountError, AccountErrorCode
from core.accounts.models import LoginHandoff, PersonalAccessToken, Role, User
from core.accounts.services.tokens import create_token
from core.sellers.models import SellerApiKey
from core.sellers.services.api_keys import create_api_key
from tenants.models import SupportSession
from tests.accounts_helpers import PASSWORD, call, make_user, signed_in_operator
from tests.catalog_helpers import make_seller

REASON = "Ticket #4411: payouts look wrong"


def open_session(staff_client, slug="alpha-market", reason=REASON):
    return staff_client.post(
        f"/api/platform/v1/tenants/{slug}/support-sessions",
        json.dumps({"reason": reason}),
        content_type="application/json",
    )


def enter(staff_client, slug="alpha-market", host="alpha-market.souk.test"):
    """Open a support session and follow its link: the agent's browser and the audit row."""
    opened = open_session(staff_client, slug)
    assert opened.status_code == 201, opened.content
    url = urlparse(opened.json()["url"])
    agent = Client(HTTP_HOST=host)
    assert agent.get(f"{url.path}?{url.query}").status_code == 302
    return agent, SupportSession.objects.get(pk=opened.json()["session"]["id"])


def is_signed_in(agent):
    """(API, page): the agent's /me and the operator's user list."""
    return call(agent, "get", "/me").status_code, agent.get("/operator/users/").status_code


def test_ending_the_support_session_signs_the_agent_out(staff_client, tenant_a):
    agent, session = enter(staff_client)
    assert is_signed_in(agent) == (200, 200)

    ended = staff_client.post(f"/api/platform/v1/support-sessions/{session.pk}/end")
    assert ended.status_code == 200

    me = call(agent, "get", "/me")
    assert me.status_code == 401
    page = agent.get("/operator/users/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    # Signed out for good: the cookie no longer names a session.
    assert is_signed_in(agent)[0] == 401


def test_an_expired_support_session_signs_the_agent_out(staff_client, tenant_a):
    agent, session = enter(staff_client)

    def opened_ago(minutes):
        """Move the session's clock: it was opened ``minutes`` ago (and lasts an hour)."""
        started = timezone.now() - timedelta(minutes=minutes)
        SupportSession.objects.filter(pk=session.pk).update(
            started_at=started, expires_at=started + timedelta(hours=1)
        )

    opened_ago(59)
    assert is_signed_in(agent) == (200, 200)
    opened_ago(61)
    assert call(agent, "get", "/me").status_code == 401
    assert agent.get("/operator/users/").status_code == 302


def test_a_session_on_one_marketplace_does_not_keep_another_open(staff_client, tenant_a, tenant_b):
    """Each agent session is tied to its own SupportSession, on its own marketplace."""
    alpha, alpha_session = enter(staff_client)
    beta, _ = enter(staff_client, "beta-bazaar", "beta-bazaar.souk.test")

    staff_client.post(f"/api/platform/v1/support-sessions/{alpha_session.pk}/end")

    assert call(alpha, "get", "/me").status_code == 401
    assert call(beta, "get", "/me").status_code == 200


def test_support_agents_cannot_create_tokens_or_api_keys(staff_client, tenant_a):
    agent, _ = enter(staff_client)

    refused = call(agent, "post", "/me/tokens", {"name": "forever", "scopes": ["operator"]})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_for_support_agents"
    page = agent.post("/accounts/tokens/", {"name": "forever", "scopes": ["operator"]})
    assert page.status_code == 200 and "Platform support cannot create" in page.content.decode()

    seller = make_seller(tenant_a, "acme")
    with schema_context(tenant_a.schema_name):
        support = User.objects.get(is_support_agent=True)
        try:
            create_api_key(seller=seller, name="forever", created_by=support)
        except AccountError as error:
            assert error.code == AccountErrorCode.NOT_FOR_SUPPORT_AGENTS
        else:
            raise AssertionError("a support agent created an API key")
        assert not PersonalAccessToken.objects.exists()
        assert not SellerApiKey.objects.exists()


def test_a_token_a_support_agent_made_before_is_refused(staff_client, tenant_a):
    enter(staff_client)
    with schema_context(tenant_a.schema_name):
        support = User.objects.get(is_support_agent=True)
        # As if made before tokens were refused to support: minted while unmarked.
        User.objects.filter(pk=support.pk).update(is_support_agent=False)
        support.is_support_agent = False
        raw = create_token(
            user=support,
            name="old",
            scopes=["operator"],
            expires_at=None,
            is_two_factor_verified=True,
        ).raw
        User.objects.filter(pk=support.pk).update(is_support_agent=True)

    bearer = Client(HTTP_HOST="alpha-market.souk.test")
    assert call(bearer, "get", "/me", Authorization=f"Bearer {raw}").status_code == 401


def test_operators_see_platform_support_visits(staff_client, client_for, tenant_a, tenant_b):
    _, session = enter(staff_client)
    open_session(staff_client, "beta-bazaar", reason="Another marketplace's ticket")
    staff_client.post(f"/api/platform/v1/support-sessions/{session.pk}/end")
    open_session(staff_client, reason="Second look at payouts")
    operator, _ = signed_in_operator(client_for, tenant_a)

    listed = call(operator, "get", "/operator/support-sessions")

    assert listed.status_code == 200, listed.content
    items = listed.json()["items"]
    assert [(i["staff_email"], i["reason"], i["is_open"]) for i in items] == [
        ("staff@souk.test", "Second look at payouts", True),
        ("staff@souk.test", REASON, False),
    ]
    assert items[1]["ended_at"] is not None and items[0]["ended_at"] is None
    assert items[1]["started_at"] < items[0]["started_at"] < items[0]["expires_at"]
    first_page = call(operator, "get", "/operator/support-sessions?limit=1").json()
    assert [i["reason"] for i in first_page["items"]] == ["Second look at payouts"]
    second_page = call(
        operator, "get", f"/operator/support-sessions?limit=1&cursor={first_page['next_cursor']}"
    ).json()
    assert [i["reason"] for i in second_page["items"]] == [REASON]

    page = operator.get("/operator/support/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "staff@souk.test" in html and REASON in html and "Second look at payouts" in html
    assert "Another marketplace" not in html

    buyer = client_for(tenant_a)
    make_user(tenant_a, "ann@example.com")
    call(buyer, "post", "/auth/login", {"email": "ann@example.com", "password": PASSWORD})
    assert call(buyer, "get", "/operator/support-sessions").status_code == 403


def test_no_one_can_sign_up_with_a_support_address(client_for, tenant_a, staff_user):
    client = client_for(tenant_a)
    for email in [
        f"support+{staff_user.pk}@support.souk.test",
        "SUPPORT@Support.Souk.Test",
        "anyone@eu.support.souk.test",
    ]:
        refused = call(
            client,
            "post",
            "/auth/signup",
            {"email": email, "password": "a long and fine passphrase"},
        )
        assert refused.status_code == 422, email
        assert refused.json()["error"] == {
            "code": "email_reserved",
            "message": "Addresses under this domain are reserved for the platform's support staff.",
            "details": {"field": "email"},
        }
    with schema_context(tenant_a.schema_name):
        assert not User.objects.filter(email__contains="support.souk.test").exists()


def test_an_account_holding_the_support_address_is_never_used_for_support(
    staff_client, staff_user, tenant_a
):
    squatter = make_user(tenant_a, f"support+{staff_user.pk}@support.souk.test")

    refused = open_session(staff_client)

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "support_account_conflict"
    assert not SupportSession.objects.exists()
    with schema_context(tenant_a.schema_name):
        squatter.refresh_from_db()
        assert (squatter.role, squatter.is_support_agent) == (Role.BUYER, False)
        assert squatter.check_password(PASSWORD)
        assert not LoginHandoff.objects.exists()
        assert list(User.objects.filter(email__contains="support.souk.test")) == [squatter]
