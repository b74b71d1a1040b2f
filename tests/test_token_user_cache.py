"""A personal access token's user is cached beside the token (no query for the user on each
request), and never outlives a change to the user: renamed, made a support agent, deactivated
or deleted, the next request sees it. Cached users stay inside their marketplace."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.accounts.models import User
from core.accounts.services.tokens import create_token
from tests.accounts_helpers import call, make_user


def token_for(tenant, user):
    with schema_context(tenant.schema_name):
        return create_token(
            user=user,
            name="cli",
            scopes=["read", "write"],
            expires_at=None,
            is_two_factor_verified=False,
        ).raw


def me(client, token):
    return call(client, "get", "/me", Authorization=f"Bearer {token}")


def user_queries(captured):
    return [q["sql"] for q in captured.captured_queries if '"accounts_user"' in q["sql"]]


def test_a_repeated_token_request_reads_no_user_row(client_for, tenant_a):
    user = make_user(tenant_a, "ann@example.com")
    token = token_for(tenant_a, user)
    client = client_for(tenant_a)
    assert me(client, token).status_code == 200

    with CaptureQueriesContext(connection) as captured:
        again = me(client, token)

    assert again.status_code == 200
    assert again.json()["email"] == "ann@example.com"
    assert user_queries(captured) == []


def test_a_renamed_user_is_seen_at_once(client_for, tenant_a, django_capture_on_commit_callbacks):
    user = make_user(tenant_a, "ann@example.com", full_name="Ann Old")
    token = token_for(tenant_a, user)
    client = client_for(tenant_a)
    assert me(client, token).json()["full_name"] == "Ann Old"

    with django_capture_on_commit_callbacks(execute=True):
        renamed = call(
            client, "patch", "/me", {"full_name": "Ann New"}, Authorization=f"Bearer {token}"
        )

    assert renamed.status_code == 200
    assert me(client, token).json()["full_name"] == "Ann New"


def test_a_deactivated_or_deleted_user_or_support_agent_loses_the_token_at_once(
    client_for, tenant_a
):
    users = {
        kind: make_user(tenant_a, f"{kind}@example.com")
        for kind in ("inactive", "agent", "deleted")
    }
    tokens = {kind: token_for(tenant_a, user) for kind, user in users.items()}
    client = client_for(tenant_a)
    assert [me(client, token).status_code for token in tokens.values()] == [200, 200, 200]

    with schema_context(tenant_a.schema_name):
        inactive = User.objects.get(pk=users["inactive"].pk)
        inactive.is_active = False
        inactive.save(update_fields=["is_active"])
        agent = User.objects.get(pk=users["agent"].pk)
        agent.is_support_agent = True
        agent.save(update_fields=["is_support_agent"])
        User.objects.get(pk=users["deleted"].pk).delete()

    assert [me(client, token).status_code for token in tokens.values()] == [401, 401, 401]


def test_cached_users_stay_in_their_marketplace(client_for, tenant_a, tenant_b):
    """The same user id in two schemas: each marketplace's token finds its own user."""
    ann = make_user(tenant_a, "ann@a.example")
    bob = make_user(tenant_b, "bob@b.example", id=ann.pk)
    token_a, token_b = token_for(tenant_a, ann), token_for(tenant_b, bob)
    client_a, client_b = client_for(tenant_a), client_for(tenant_b)

    assert me(client_a, token_a).json()["email"] == "ann@a.example"
    assert me(client_b, token_b).json()["email"] == "bob@b.example"
    assert me(client_a, token_a).json()["email"] == "ann@a.example"
    assert me(client_b, token_a).status_code == 401
