"""Accounts: sign-up, verification, sign-in with and without a second factor, password reset,
profile, deletion; bad input answered field by field with nothing half-saved."""

from __future__ import annotations

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from core.accounts.models import Role, User
from tests.accounts_helpers import (
    PASSWORD,
    call,
    current_code,
    enrol_two_factor,
    last_link,
    make_user,
    sign_in,
)


def test_sign_up_creates_a_buyer_signs_in_and_mails_a_verification_link(
    client_for, tenant_a, django_capture_on_commit_callbacks
):
    client = client_for(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = call(
            client,
            "post",
            "/auth/signup",
            {"email": " Ann@Example.COM ", "password": PASSWORD, "full_name": "Ann  Lee"},
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["full_name"], body["role"]) == (
        "ann@example.com",
        "Ann Lee",
        "buyer",
    )
    assert body["is_email_verified"] is False
    assert call(client, "get", "/me").json()["email"] == "ann@example.com"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Alpha Market] Confirm your e-mail address"
    with schema_context(tenant_a.schema_name):
        user = User.objects.get(email="ann@example.com")
        assert user.password.startswith("md5$") or user.password.startswith("argon2")
        assert PASSWORD not in user.password


def test_verification_link_verifies_once_and_only_on_its_marketplace(
    client_for, tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call(
            client_for(tenant_a),
            "post",
            "/auth/signup",
            {"email": "ann@example.com", "password": PASSWORD},
        )
    token = last_link("http://").rstrip("/").split("/")[-1]
    make_user(tenant_b, "ann@example.com")  # same e-mail, same id space, other marketplace

    on_b = call(client_for(tenant_b), "post", "/auth/verify-email", {"token": token})
    on_a = call(client_for(tenant_a), "post", "/auth/verify-email", {"token": token})

    assert on_b.status_code == 400 and on_b.json()["error"]["code"] == "verification_invalid"
    assert on_a.status_code == 200 and on_a.json()["is_email_verified"] is True
    with schema_context(tenant_b.schema_name):
        assert User.objects.get(email="ann@example.com").email_verified_at is None


def test_tampered_verification_token_is_refused(client_for, tenant_a):
    response = call(client_for(tenant_a), "post", "/auth/verify-email", {"token": "abc:def:ghi"})
    assert response.json()["error"]["code"] == "verification_invalid"


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "invalid_email", "email"),
        ({"email": "ann\u202e@example.com", "password": PASSWORD}, "invalid_email", "email"),
        ({"email": "ann@example.com", "password": "password"}, "weak_password", "password"),
        ({"email": "ann@example.com", "password": "ann@example.com"}, "weak_password", "password"),
        (
            {"email": "ann@example.com", "password": PASSWORD, "full_name": "Ann\u202eecil"},
            "invalid_name",
            "full_name",
        ),
        (
            {"email": "ann@example.com", "password": PASSWORD, "full_name": "A\u200bnn"},
            "invalid_name",
            "full_name",
        ),
    ],
)
def test_bad_sign_up_input_is_refused_by_field_and_saves_nothing(
    client_for, tenant_a, payload, code, field
):
    response = call(client_for(tenant_a), "post", "/auth/signup", payload)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["details"]["field"] == field
    with schema_context(tenant_a.schema_name):
        assert not User.objects.exclude(role=Role.OPERATOR).exists()  # only the owner
    assert mail.outbox == []


def test_huge_and_malformed_payloads_are_refused(client_for, tenant_a):
    client = client_for(tenant_a)
    huge = call(client, "post", "/auth/signup", {"email": "a@b.co", "password": "x" * 2_000_000})
    too_long = call(client, "post", "/auth/signup", {"email": "a@b.co", "password": "x" * 300})
    assert huge.status_code == 413
    assert (
        too_long.status_code == 422
        and too_long.json()["error"]["details"][0]["field"] == "password"
    )


def test_duplicate_sign_up_is_a_conflict(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com")
    response = call(
        client_for(tenant_a),
        "post",
        "/auth/signup",
        {"email": "ANN@example.com", "password": PASSWORD},
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "email_taken"


def test_login_and_logout(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com", full_name="Ann")
    client = client_for(tenant_a)

    wrong = sign_in(client, "ann@example.com", "not the password")
    right = sign_in(client, "ANN@example.com")

    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_credentials")
    assert right.json() == {"status": "signed_in", "user": right.json()["user"]}
    assert right.json()["user"]["full_name"] == "Ann"
    assert call(client, "get", "/me").status_code == 200
    assert call(client, "post", "/auth/logout").status_code == 204
    assert call(client, "get", "/me").status_code == 401


def test_login_with_a_second_factor_needs_the_code(client_for, tenant_a):
    user = make_user(tenant_a, "op@example.com", role=Role.OPERATOR)
    device, _ = enrol_two_factor(tenant_a, user)
    client = client_for(tenant_a)

    first = sign_in(client, "op@example.com")
    assert first.json() == {"status": "otp_required", "user": None}
    assert call(client, "get", "/me").status_code == 401  # not signed in yet

    bad = call(client, "post", "/auth/login/otp", {"code": "000000"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "otp_invalid"

    with schema_context(tenant_a.schema_name):
        device.refresh_from_db()
        device.throttling_failure_count = 0  # the wrong code above started django-otp's throttle
        device.save()
        code = current_code(device)
    ok = call(client, "post", "/auth/login/otp", {"code": code})
    assert ok.json()["status"] == "signed_in"
    assert call(client, "get", "/me").json()["has_two_factor"] is True


def test_a_replayed_code_and_an_expired_code_are_refused(client_for, tenant_a):
    user = make_user(tenant_a, "op@example.com", role=Role.OPERATOR)
    device, _ = enrol_two_factor(tenant_a, user)
    with schema_context(tenant_a.schema_name):
        code = current_code(device)
        stale = current_code(device, offset_steps=-10)

    first = client_for(tenant_a)
    sign_in(first, "op@example.com")
    assert call(first, "post", "/auth/login/otp", {"code": code}).status_code == 200

    replay = client_for(tenant_a)
    sign_in(replay, "op@example.com")
    assert (
        call(replay, "post", "/auth/login/otp", {"code": code}).json()["error"]["code"]
        == "otp_invalid"
    )
    expired = client_for(tenant_a)
    sign_in(expired, "op@example.com")
    assert (
        call(expired, "post", "/auth/login/otp", {"code": stale}).json()["error"]["code"]
        == "otp_invalid"
    )


def test_a_backup_code_works_once(client_for, tenant_a):
    user = make_user(tenant_a, "op@example.com", role=Role.OPERATOR)
    _, backup_codes = enrol_two_factor(tenant_a, user)
    assert len(backup_codes) == 10 and len(set(backup_codes)) == 10

    once = client_for(tenant_a)
    sign_in(once, "op@example.com")
    assert call(once, "post", "/auth/login/otp", {"code": backup_codes[0]}).status_code == 200
    twice = client_for(tenant_a)
    sign_in(twice, "op@example.com")
    assert call(twice, "post", "/auth/login/otp", {"code": backup_codes[0]}).status_code == 400


def test_the_code_step_needs_the_password_step(client_for, tenant_a):
    response = call(client_for(tenant_a), "post", "/auth/login/otp", {"code": "123456"})
    assert response.json()["error"]["code"] == "no_pending_login"


def test_totp_enrolment_through_the_api(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    sign_in(client, "ann@example.com")

    started = call(client, "post", "/me/two-factor/totp").json()
    assert started["otpauth_url"].startswith("otpauth://totp/")
    assert started["qr_svg"].lstrip().startswith("<?xml") or "<svg" in started["qr_svg"]

    from django_otp.plugins.otp_totp.models import TOTPDevice

    with schema_context(tenant_a.schema_name):
        device = TOTPDevice.objects.get(confirmed=False)
        code = current_code(device)
    confirmed = call(client, "post", "/me/two-factor/totp/confirm", {"code": code})
    assert len(confirmed.json()["backup_codes"]) == 10
    assert call(client, "get", "/me").json()["has_two_factor"] is True
    again = call(client, "post", "/me/two-factor/totp")
    assert again.json()["error"]["code"] == "two_factor_already_enabled"


def test_operators_cannot_turn_two_factor_off(client_for, tenant_a):
    user = make_user(tenant_a, "op@example.com", role=Role.OPERATOR)
    enrol_two_factor(tenant_a, user)
    client = client_for(tenant_a)
    with schema_context(tenant_a.schema_name):  # sessions live in the tenant's schema
        client.force_login(user)
    response = call(client, "delete", "/me/two-factor", {"password": PASSWORD})
    assert response.json()["error"]["code"] == "two_factor_required"


def test_password_reset_flow(client_for, tenant_a, django_capture_on_commit_callbacks):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        unknown = call(client, "post", "/auth/password-reset", {"email": "nobody@example.com"})
        known = call(client, "post", "/auth/password-reset", {"email": "ann@example.com"})
    assert unknown.status_code == known.status_code == 202  # no way to probe for accounts
    assert len(mail.outbox) == 1
    uid, token = last_link("http://").rstrip("/").split("/")[-2:]

    weak = call(
        client,
        "post",
        "/auth/password-reset/confirm",
        {"uid": uid, "token": token, "new_password": "123"},
    )
    done = call(
        client,
        "post",
        "/auth/password-reset/confirm",
        {"uid": uid, "token": token, "new_password": "a brand new passphrase"},
    )
    reused = call(
        client,
        "post",
        "/auth/password-reset/confirm",
        {"uid": uid, "token": token, "new_password": "another new passphrase"},
    )

    assert weak.json()["error"]["code"] == "weak_password"
    assert done.status_code == 204
    assert reused.json()["error"]["code"] == "reset_invalid"
    assert (
        sign_in(client, "ann@example.com", "a brand new passphrase").json()["status"] == "signed_in"
    )


def test_profile_update_and_password_change_ends_other_sessions(client_for, tenant_a):
    make_user(tenant_a, "ann@example.com")
    mine, other = client_for(tenant_a), client_for(tenant_a)
    sign_in(mine, "ann@example.com")
    sign_in(other, "ann@example.com")

    renamed = call(mine, "patch", "/me", {"full_name": "  Ann   Lee "})
    changed = call(
        mine,
        "post",
        "/me/password",
        {"current_password": PASSWORD, "new_password": "a brand new passphrase"},
    )

    assert renamed.json()["full_name"] == "Ann Lee"
    assert changed.status_code == 204
    assert call(mine, "get", "/me").status_code == 200
    assert call(other, "get", "/me").status_code == 401


def test_account_deletion_anonymises_and_ends_access(client_for, tenant_a):
    user = make_user(tenant_a, "ann@example.com", full_name="Ann")
    client = client_for(tenant_a)
    sign_in(client, "ann@example.com")
    token = call(client, "post", "/me/tokens", {"name": "cli", "scopes": ["read"]}).json()["token"]

    refused = call(client, "delete", "/me", {"password": "wrong password"})
    deleted = call(client, "delete", "/me", {"password": PASSWORD})

    assert refused.json()["error"]["code"] == "password_incorrect"
    assert deleted.status_code == 204
    with schema_context(tenant_a.schema_name):
        row = User.objects.get(pk=user.pk)  # kept for orders and the ledger
        assert (row.email, row.full_name, row.is_active) == (
            f"deleted-{user.pk}@deleted.invalid",
            "",
            False,
        )
        assert not row.has_usable_password()
    assert sign_in(client, "ann@example.com").status_code == 401
    bearer = client_for(tenant_a)
    assert call(bearer, "get", "/me", Authorization=f"Bearer {token}").status_code == 401
