"""Operator and staff sessions end after an absolute age and after idling; buyers keep theirs.
Reset links die after hours, not days. The clock is moved by ageing the session's own stamps
(and, for reset tokens, Django's token clock), never by sleeping."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.contrib.auth.tokens import default_token_generator
from django_tenants.utils import schema_context

from core.accounts import session_policy
from tests.accounts_helpers import call, make_user, sign_in, signed_in_operator


def _age_session(client, tenant, **seconds_ago: int) -> None:
    with schema_context(tenant.schema_name):
        session = client.session
        now = int(time.time())
        if "started" in seconds_ago:
            session[session_policy.STARTED_KEY] = now - seconds_ago["started"]
        if "last_seen" in seconds_ago:
            session[session_policy.LAST_SEEN_KEY] = now - seconds_ago["last_seen"]
        session.save()


def test_an_operator_session_ends_after_its_maximum_age(client_for, tenant_a, settings):
    settings.SOUK_PRIVILEGED_SESSION_MAX_AGE = 12 * 3600
    client, _ = signed_in_operator(client_for, tenant_a)
    assert call(client, "get", "/operator/users").status_code == 200

    _age_session(client, tenant_a, started=12 * 3600 - 60, last_seen=10)
    assert call(client, "get", "/operator/users").status_code == 200

    _age_session(client, tenant_a, started=12 * 3600 + 1, last_seen=10)
    assert call(client, "get", "/operator/users").status_code == 401
    # Signed out for good: the session is gone, not just refused once.
    assert call(client, "get", "/me").status_code == 401


def test_an_idle_operator_session_ends_and_the_page_asks_to_sign_in(client_for, tenant_a, settings):
    settings.SOUK_PRIVILEGED_SESSION_IDLE_TIMEOUT = 30 * 60
    client, _ = signed_in_operator(client_for, tenant_a)
    _age_session(client, tenant_a, started=3600, last_seen=29 * 60)
    assert call(client, "get", "/me").status_code == 200
    # That request counted as activity: the idle clock starts again.
    _age_session(client, tenant_a, last_seen=31 * 60)

    page = client.get("/operator/users/")

    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")
    assert call(client, "get", "/me").status_code == 401


def test_activity_keeps_an_operator_signed_in(client_for, tenant_a, settings):
    settings.SOUK_PRIVILEGED_SESSION_IDLE_TIMEOUT = 30 * 60
    client, _ = signed_in_operator(client_for, tenant_a)
    _age_session(client, tenant_a, last_seen=29 * 60)
    assert call(client, "get", "/me").status_code == 200

    with schema_context(tenant_a.schema_name):
        last_seen = client.session[session_policy.LAST_SEEN_KEY]
    assert int(time.time()) - last_seen < 5


def test_a_buyer_session_is_not_cut_short(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    sign_in(client, "ann@example.com")
    _age_session(client, tenant_a, started=3 * 86400, last_seen=86400)

    assert call(client, "get", "/me").status_code == 200


def test_a_reset_link_expires_after_two_hours(tenant_a, settings, monkeypatch):
    assert settings.PASSWORD_RESET_TIMEOUT == 2 * 3600
    user = make_user(tenant_a, "ann@example.com")
    issued_at = datetime.now()
    monkeypatch.setattr(default_token_generator, "_now", lambda: issued_at)
    with schema_context(tenant_a.schema_name):
        token = default_token_generator.make_token(user)

        monkeypatch.setattr(
            default_token_generator, "_now", lambda: issued_at + timedelta(hours=1, minutes=59)
        )
        assert default_token_generator.check_token(user, token)
        monkeypatch.setattr(
            default_token_generator, "_now", lambda: issued_at + timedelta(hours=2, minutes=1)
        )
        assert not default_token_generator.check_token(user, token)


def test_an_idle_staff_console_session_ends(staff_client, settings):
    settings.SOUK_PRIVILEGED_SESSION_IDLE_TIMEOUT = 30 * 60
    assert staff_client.get("/console/").status_code == 200
    session = staff_client.session
    session[session_policy.LAST_SEEN_KEY] = int(time.time()) - 31 * 60
    session.save()

    response = staff_client.get("/console/")

    assert response.status_code == 302
    assert "/console/login/" in response["Location"]
