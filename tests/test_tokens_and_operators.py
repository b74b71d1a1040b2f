"""Personal access tokens, the cross-tenant matrix, and operators moderating users."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from core.accounts.models import PersonalAccessToken, Role, User
from tests.accounts_helpers import (
    PASSWORD,
    call,
    current_code,
    enrol_two_factor,
    make_user,
    sign_in,
    signed_in_operator,
)


def new_token(client, name="cli", scopes=("read",), **extra):
    response = call(client, "post", "/me/tokens", {"name": name, "scopes": list(scopes), **extra})
    assert response.status_code == 201, response.content
    return response.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_is_shown_once_stored_hashed_and_works_as_bearer(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    sign_in(client, "ann@example.com")

    issued = new_token(client, scopes=["read", "write"])
    listed = call(client, "get", "/me/tokens").json()

    assert issued["token"].startswith("souk_pat_" + issued["prefix"] + "_")
    assert [t["name"] for t in listed] == ["cli"] and "token" not in listed[0]
    with schema_context(tenant_a.schema_name):
        stored = PersonalAccessToken.objects.get()
        assert issued["token"] not in (stored.token_hash, stored.prefix)
    anonymous = client_for(tenant_a)
    me = call(anonymous, "get", "/me", **bearer(issued["token"]))
    assert me.status_code == 200 and me.json()["email"] == "ann@example.com"
    with schema_context(tenant_a.schema_name):
        assert PersonalAccessToken.objects.get().last_used_at is not None


def test_scopes_limit_what_a_token_may_do(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    sign_in(client, "ann@example.com")
    read_only = new_token(client, scopes=["read"])["token"]

    other = client_for(tenant_a)
    assert call(other, "get", "/me", **bearer(read_only)).status_code == 200
    denied = call(other, "patch", "/me", {"full_name": "Mallory"}, **bearer(read_only))
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "insufficient_scope"
    # Tokens never manage credentials, whatever their scopes.
    assert (
        call(
            other, "post", "/me/tokens", {"name": "x", "scopes": ["read"]}, **bearer(read_only)
        ).status_code
        == 403
    )


def test_bad_token_requests(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    sign_in(client, "ann@example.com")
    assert (
        call(client, "post", "/me/tokens", {"name": "x", "scopes": ["root"]}).json()["error"][
            "code"
        ]
        == "invalid_scope"
    )
    assert (
        call(client, "post", "/me/tokens", {"name": " ", "scopes": ["read"]}).json()["error"][
            "code"
        ]
        == "invalid_token_name"
    )
    past = (timezone.now() - timedelta(days=1)).isoformat()
    assert (
        call(
            client, "post", "/me/tokens", {"name": "x", "scopes": ["read"], "expires_at": past}
        ).json()["error"]["code"]
        == "invalid_expiry"
    )
    new_token(client, name="dup")
    assert (
        call(client, "post", "/me/tokens", {"name": "dup", "scopes": ["read"]}).status_code == 409
    )


def test_revoked_and_expired_tokens_stop_working_at_once(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    sign_in(client, "ann@example.com")
    revoked = new_token(client, name="old")
    expiring = new_token(
        client, name="short", expires_at=(timezone.now() + timedelta(hours=1)).isoformat()
    )
    other = client_for(tenant_a)
    assert call(other, "get", "/me", **bearer(revoked["token"])).status_code == 200  # now cached

    assert call(client, "delete", f"/me/tokens/{revoked['id']}").status_code == 204
    with schema_context(tenant_a.schema_name):
        PersonalAccessToken.objects.filter(pk=expiring["id"]).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        from django.core.cache import cache

        cache.clear()

    assert call(other, "get", "/me", **bearer(revoked["token"])).status_code == 401
    assert call(other, "get", "/me", **bearer(expiring["token"])).status_code == 401
    assert call(client, "delete", f"/me/tokens/{revoked['id']}").status_code == 404


def test_another_users_token_cannot_be_revoked(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com")
    make_user(tenant_a, "bob@example.com")
    ann, bob = client_for(tenant_a), client_for(tenant_a)
    sign_in(ann, "ann@example.com")
    sign_in(bob, "bob@example.com")
    anns = new_token(ann)
    assert call(bob, "delete", f"/me/tokens/{anns['id']}").status_code == 404
    assert call(client_for(tenant_a), "get", "/me", **bearer(anns["token"])).status_code == 200


def test_a_user_with_two_factor_makes_tokens_only_from_a_verified_session(client_for, tenant_a):
    user = make_user(tenant_a, "ann@example.com")
    device, _ = enrol_two_factor(tenant_a, user)
    unverified = client_for(tenant_a)
    with schema_context(tenant_a.schema_name):
        unverified.force_login(user)  # e.g. a session from before two-factor was turned on
    refused = call(unverified, "post", "/me/tokens", {"name": "x", "scopes": ["read"]})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "two_factor_required"

    verified = client_for(tenant_a)
    sign_in(verified, "ann@example.com")
    with schema_context(tenant_a.schema_name):
        code = current_code(device)
    call(verified, "post", "/auth/login/otp", {"code": code})
    assert (
        call(verified, "post", "/me/tokens", {"name": "x", "scopes": ["read"]}).status_code == 201
    )


def test_cross_tenant_matrix(client_for, tenant_a, tenant_b):
    """The same e-mail on both marketplaces: nothing of A's works on B's host."""
    make_user(tenant_a, "ann@example.com")
    with schema_context(tenant_b.schema_name):
        User.objects.create_user("ann@example.com", "a different passphrase on b")
    on_a = client_for(tenant_a)
    sign_in(on_a, "ann@example.com")
    token = new_token(on_a, scopes=["read", "write"])["token"]
    session_cookie = on_a.cookies["souk_session"].value

    on_b = client_for(tenant_b)
    assert sign_in(on_b, "ann@example.com").status_code == 401  # A's password
    on_b.cookies["souk_session"] = session_cookie
    assert call(on_b, "get", "/me").status_code == 401  # A's session
    assert call(client_for(tenant_b), "get", "/me", **bearer(token)).status_code == 401  # A's token
    assert call(on_a, "get", "/me").status_code == 200


def test_operator_lists_searches_suspends_and_reinstates_users(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    client, op = signed_in_operator(client_for, tenant_a)
    ann = make_user(tenant_a, "ann@example.com", full_name="Ann Lee")
    make_user(tenant_a, "bob@example.com", full_name="Bob")
    ann_session = client_for(tenant_a)
    sign_in(ann_session, "ann@example.com")

    found = call(client, "get", "/operator/users?q=lee").json()
    assert [u["email"] for u in found["items"]] == ["ann@example.com"]

    with django_capture_on_commit_callbacks(execute=True):
        suspended = call(
            client, "post", f"/operator/users/{ann.pk}/suspend", {"reason": "Chargebacks"}
        )
    assert suspended.json()["suspended_reason"] == "Chargebacks"
    assert mail.outbox[-1].to == ["ann@example.com"] and "Chargebacks" in mail.outbox[-1].body
    assert call(ann_session, "get", "/me").status_code == 401
    blocked = sign_in(client_for(tenant_a), "ann@example.com")
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (403, "account_suspended")
    assert (
        call(client, "get", "/operator/users?is_suspended=true").json()["items"][0]["id"] == ann.pk
    )

    assert call(client, "post", f"/operator/users/{ann.pk}/reinstate").json()["is_active"] is True
    assert sign_in(client_for(tenant_a), "ann@example.com").json()["status"] == "signed_in"
    assert (
        call(client, "post", f"/operator/users/{op.pk}/suspend", {"reason": "x"}).status_code == 409
    )


def test_operator_tools_need_the_operator_role_and_a_second_factor(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com")
    buyer = client_for(tenant_a)
    sign_in(buyer, "ann@example.com")
    assert call(buyer, "get", "/operator/users").json()["error"]["code"] == "forbidden_role"

    op = make_user(tenant_a, "op@example.com", role=Role.OPERATOR)
    no_second_factor = client_for(tenant_a)
    sign_in(no_second_factor, "op@example.com")
    response = call(no_second_factor, "get", "/operator/users")
    assert response.status_code == 403 and response.json()["error"]["code"] == "two_factor_required"
    assert op.pk


def test_operators_cannot_reach_users_of_another_marketplace(client_for, tenant_a, tenant_b):
    client, _ = signed_in_operator(client_for, tenant_a)
    stranger = make_user(tenant_b, "stranger@example.com")
    response = call(
        client, "post", f"/operator/users/{stranger.pk + 1000}/suspend", {"reason": "x"}
    )
    assert response.status_code == 404
    with schema_context(tenant_b.schema_name):
        assert User.objects.get(pk=stranger.pk).is_active


@pytest.mark.parametrize("reason", ["", "   "])
def test_suspension_needs_a_reason(client_for, tenant_a, reason):
    client, _ = signed_in_operator(client_for, tenant_a)
    ann = make_user(tenant_a, "ann@example.com")
    response = call(client, "post", f"/operator/users/{ann.pk}/suspend", {"reason": reason})
    assert response.json()["error"]["code"] == "reason_required"
    assert PASSWORD
