"""Rate limits on the identity endpoints and the API: 429 in the envelope with Retry-After,
per IP / account / token / tenant, recovering when the window passes."""

from __future__ import annotations

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from core import ratelimit
from core.accounts.models import Role
from tests.accounts_helpers import PASSWORD, call, enrol_two_factor, make_user, sign_in


@pytest.fixture
def tight_rates(settings):
    settings.SOUK_RATES = {
        "login_ip": "100/m",
        "login_account": "3/m",
        "otp_account": "2/m",
        "password_reset_email": "2/h",
        "signup_ip": "2/h",
        "api_principal": "1000/m",
        "api_anonymous_ip": "1000/m",
    }


def assert_limited(response, scope: str) -> int:
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["details"]["scope"] == scope
    retry_after = int(response["Retry-After"])
    assert retry_after == error["details"]["retry_after"] >= 1
    return retry_after


def test_login_is_limited_per_account_with_a_lockout_notice(
    client_for, tenant_a, tight_rates, django_capture_on_commit_callbacks
):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    for _ in range(3):
        assert sign_in(client, "ann@example.com", "wrong guess").status_code == 401
    with django_capture_on_commit_callbacks(execute=True):
        limited = sign_in(client, "ann@example.com", PASSWORD)  # even the right password waits
        sign_in(client, "ann@example.com", PASSWORD)
    assert_limited(limited, "login_account")
    notices = [m for m in mail.outbox if "Too many attempts" in m.subject]
    assert len(notices) == 1 and notices[0].to == ["ann@example.com"]
    # Another account from the same IP is unaffected.
    make_user(tenant_a, "bob@example.com")
    assert sign_in(client, "bob@example.com").json()["status"] == "signed_in"


def test_limits_recover_when_the_window_passes(client_for, tenant_a, tight_rates, monkeypatch):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    for _ in range(3):
        sign_in(client, "ann@example.com", "wrong guess")
    assert sign_in(client, "ann@example.com").status_code == 429
    with schema_context(tenant_a.schema_name):
        ratelimit.reset(scope="login_account", key="ann@example.com")  # the window passing
    assert sign_in(client, "ann@example.com").json()["status"] == "signed_in"


def test_login_buckets_are_per_tenant(client_for, tenant_a, tenant_b, tight_rates):
    make_user(tenant_a, "ann@example.com")
    make_user(tenant_b, "ann@example.com")
    for _ in range(4):
        sign_in(client_for(tenant_a), "ann@example.com", "wrong guess")
    assert sign_in(client_for(tenant_a), "ann@example.com").status_code == 429
    assert sign_in(client_for(tenant_b), "ann@example.com").json()["status"] == "signed_in"


def test_second_factor_codes_are_limited(client_for, tenant_a, tight_rates):
    user = make_user(tenant_a, "op@example.com", role=Role.OPERATOR)
    enrol_two_factor(tenant_a, user)
    client = client_for(tenant_a)
    sign_in(client, "op@example.com")
    for _ in range(2):
        assert call(client, "post", "/auth/login/otp", {"code": "111111"}).status_code == 400
    assert_limited(call(client, "post", "/auth/login/otp", {"code": "111111"}), "otp_account")


def test_password_reset_is_limited_per_address(client_for, tenant_a, tight_rates):
    client = client_for(tenant_a)
    for _ in range(2):
        assert (
            call(client, "post", "/auth/password-reset", {"email": "x@example.com"}).status_code
            == 202
        )
    assert_limited(
        call(client, "post", "/auth/password-reset", {"email": "x@example.com"}),
        "password_reset_email",
    )


def test_sign_up_is_limited_per_ip(client_for, tenant_a, tight_rates):
    client = client_for(tenant_a)
    for index in range(2):
        body = {"email": f"new{index}@example.com", "password": PASSWORD}
        assert call(client_for(tenant_a), "post", "/auth/signup", body).status_code == 201
    limited = call(client, "post", "/auth/signup", {"email": "x@example.com", "password": PASSWORD})
    assert_limited(limited, "signup_ip")


def test_api_calls_are_limited_per_token_and_for_anonymous_callers(client_for, tenant_a, settings):
    settings.SOUK_RATES = {"api_principal": "5/m", "api_anonymous_ip": "6/m"}
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    sign_in(client, "ann@example.com")
    token = call(client, "post", "/me/tokens", {"name": "t", "scopes": ["read"]}).json()["token"]
    bearer = client_for(tenant_a)
    for _ in range(5):
        assert call(bearer, "get", "/me", Authorization=f"Bearer {token}").status_code == 200
    assert_limited(call(bearer, "get", "/me", Authorization=f"Bearer {token}"), "api_principal")

    ratelimit.clear_all_buckets()
    anonymous = client_for(tenant_a)
    for _ in range(6):
        assert anonymous.get("/api/v1/marketplace").status_code == 200
    assert_limited(anonymous.get("/api/v1/marketplace"), "api_anonymous")
