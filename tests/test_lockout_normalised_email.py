"""The account lock-out keys on the e-mail as sign-in reads it (NFKC, trimmed, lower-cased):
full-width and upper-case spellings of one address are one account and one bucket."""

from __future__ import annotations

import pytest
from django.core import mail

from core.accounts.validation import normalise_email
from tests.accounts_helpers import PASSWORD, call, make_user, sign_in


def full_width(text: str) -> str:
    """The full-width form of ASCII text (U+FF01...), which NFKC folds back to ASCII."""
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


FULL_WIDTH = full_width("ann") + "@" + full_width("example.com")
FULL_WIDTH_UPPER = full_width("ANN@EXAMPLE.COM")
MIXED = " Ann@" + full_width("EXAMPLE") + ".com "


@pytest.fixture
def tight_rates(settings):
    settings.SOUK_RATES = {
        "login_ip": "100/m",
        "login_account": "3/m",
        "password_reset_ip": "100/m",
        "password_reset_email": "2/h",
    }


def test_every_spelling_of_an_address_is_one_account():
    assert {normalise_email(e) for e in (FULL_WIDTH, FULL_WIDTH_UPPER, MIXED)} == {
        "ann@example.com"
    }


def test_spelling_variants_share_one_lockout(
    client_for, tenant_a, tight_rates, django_capture_on_commit_callbacks
):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    # Each variant signs in to the same account (the right password works with any of them).
    assert sign_in(client_for(tenant_a), FULL_WIDTH_UPPER).json()["status"] == "signed_in"

    failures = [sign_in(client, e, "wrong guess").status_code for e in (FULL_WIDTH, MIXED)]
    failures.append(sign_in(client, FULL_WIDTH_UPPER, "wrong guess").status_code)
    with django_capture_on_commit_callbacks(execute=True):
        plain = sign_in(client, "ann@example.com", PASSWORD)
        variant = sign_in(client, FULL_WIDTH, PASSWORD)

    assert failures == [401, 401, 401]
    assert plain.status_code == 429 and variant.status_code == 429
    assert plain.json()["error"]["details"]["scope"] == "login_account"
    # The owner hears about it once, at the address the account has.
    notices = [m for m in mail.outbox if "Too many attempts" in m.subject]
    assert [m.to for m in notices] == [["ann@example.com"]]


def test_a_successful_sign_in_with_a_variant_clears_the_accounts_failures(
    client_for, tenant_a, tight_rates
):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)
    for _ in range(2):
        assert sign_in(client, "ann@example.com", "wrong guess").status_code == 401

    assert sign_in(client_for(tenant_a), FULL_WIDTH).json()["status"] == "signed_in"

    # A fresh allowance of three: two more failures and then the right password get in.
    again = [sign_in(client, "ann@example.com", "wrong guess").status_code for _ in range(2)]
    assert again == [401, 401]
    assert sign_in(client_for(tenant_a), "ann@example.com").json()["status"] == "signed_in"


def test_password_reset_variants_share_one_bucket(
    client_for, tenant_a, tight_rates, django_capture_on_commit_callbacks
):
    make_user(tenant_a, "ann@example.com")
    client = client_for(tenant_a)

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            call(client, "post", "/auth/password-reset", {"email": email}).status_code
            for email in (FULL_WIDTH, MIXED, "ann@example.com")
        ]

    assert answers == [202, 202, 429]
    assert len([m for m in mail.outbox if m.to == ["ann@example.com"]]) == 2
