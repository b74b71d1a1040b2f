"""Personal access tokens do not outlive the password: a reset revokes every token, a change
revokes them unless the user explicitly keeps them (API and page)."""

from __future__ import annotations

from django.core import mail
from django_tenants.utils import schema_context

from core.accounts.models import PersonalAccessToken
from tests.accounts_helpers import PASSWORD, call, last_link, make_user, sign_in

NEW_PASSWORD = "a brand new passphrase"


def make_token(client, name="cli"):
    issued = call(client, "post", "/me/tokens", {"name": name, "scopes": ["read"]})
    assert issued.status_code == 201, issued.content
    return issued.json()["token"]


def with_token(client_for, tenant, token):
    """The token's answer on /me from a client without a session."""
    return call(client_for(tenant), "get", "/me", Authorization=f"Bearer {token}").status_code


def live_tokens(tenant):
    with schema_context(tenant.schema_name):
        return sorted(
            PersonalAccessToken.objects.filter(revoked_at__isnull=True).values_list(
                "name", flat=True
            )
        )


def test_a_password_reset_revokes_every_token(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    make_user(tenant_a, "ann@example.com")
    session = client_for(tenant_a)
    sign_in(session, "ann@example.com")
    tokens = [make_token(session, "cli"), make_token(session, "ci")]
    assert [with_token(client_for, tenant_a, token) for token in tokens] == [200, 200]

    stranger = client_for(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        call(stranger, "post", "/auth/password-reset", {"email": "ann@example.com"})
    uid, reset_token = last_link("http://").rstrip("/").split("/")[-2:]
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        done = call(
            stranger,
            "post",
            "/auth/password-reset/confirm",
            {"uid": uid, "token": reset_token, "new_password": NEW_PASSWORD},
        )

    assert done.status_code == 204
    assert [with_token(client_for, tenant_a, token) for token in tokens] == [401, 401]
    assert live_tokens(tenant_a) == []


def test_a_password_change_revokes_tokens_unless_kept(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    make_user(tenant_a, "ann@example.com")
    session = client_for(tenant_a)
    sign_in(session, "ann@example.com")
    first = make_token(session, "first")

    with django_capture_on_commit_callbacks(execute=True):
        changed = call(
            session,
            "post",
            "/me/password",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        )
    assert changed.status_code == 204
    assert with_token(client_for, tenant_a, first) == 401
    assert live_tokens(tenant_a) == []

    second = make_token(session, "second")
    with django_capture_on_commit_callbacks(execute=True):
        kept = call(
            session,
            "post",
            "/me/password",
            {
                "current_password": NEW_PASSWORD,
                "new_password": "yet another passphrase",
                "keep_access_tokens": True,
            },
        )
    assert kept.status_code == 204
    assert with_token(client_for, tenant_a, second) == 200
    assert live_tokens(tenant_a) == ["second"]


def test_the_password_page_revokes_tokens_unless_the_box_is_ticked(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    make_user(tenant_a, "ann@example.com")
    page = client_for(tenant_a)
    assert (
        page.post(
            "/accounts/login/", {"username": "ann@example.com", "password": PASSWORD}
        ).status_code
        == 302
    )
    api = client_for(tenant_a)
    sign_in(api, "ann@example.com")
    token = make_token(api)

    with django_capture_on_commit_callbacks(execute=True):
        kept = page.post(
            "/accounts/profile/password/",
            {
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "keep_access_tokens": "on",
            },
            follow=True,
        )
    assert "your other sessions are signed out." in kept.content.decode()
    assert with_token(client_for, tenant_a, token) == 200

    with django_capture_on_commit_callbacks(execute=True):
        revoked = page.post(
            "/accounts/profile/password/",
            {"current_password": NEW_PASSWORD, "new_password": "yet another passphrase"},
            follow=True,
        )
    assert "your access tokens are revoked" in revoked.content.decode()
    assert with_token(client_for, tenant_a, token) == 401
    assert live_tokens(tenant_a) == []
