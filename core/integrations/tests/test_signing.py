"""The signature scheme of every call Souk makes to a seller's systems (webhooks and modules'
calls): HMAC-SHA256 over ``timestamp.body``, several ``v1=`` values allowed, a tolerance
against replays. Pure functions, no database."""

from __future__ import annotations

import pytest

from core.integrations.signing import compute_signature, signature_header, verify_signature

SECRET = "whsec_test"
BODY = b'{"event":"account.provision"}'


def test_verify_signature_accepts_the_signed_body_within_the_tolerance():
    header = signature_header(SECRET, 1_000_000, BODY)

    assert header == f"v1={compute_signature(SECRET, 1_000_000, BODY)}"
    assert verify_signature(SECRET, "1000000", BODY, header, now=1_000_000) is True
    assert verify_signature(SECRET, 1_000_000, BODY.decode(), header, now=1_000_299) is True
    assert verify_signature(SECRET, "1000000", BODY, f"v0=abc, {header}", now=1_000_000) is True


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "now"),
    [
        ("whsec_other", "1000000", BODY, 1_000_000),  # another secret
        (SECRET, "1000000", BODY.replace(b"provision", b"provisiom"), 1_000_000),  # tampered
        (SECRET, "1000001", BODY, 1_000_001),  # another timestamp
        (SECRET, "1000000", BODY, 1_000_301),  # replayed after the tolerance
        (SECRET, "1000000", BODY, 999_699),  # from the future
        (SECRET, "not-a-time", BODY, 1_000_000),
        (SECRET, None, BODY, 1_000_000),
    ],
)
def test_verify_signature_refuses_tampering_other_secrets_and_stale_timestamps(
    secret, timestamp, body, now
):
    header = signature_header(SECRET, 1_000_000, BODY)

    assert verify_signature(secret, timestamp, body, header, now=now) is False


def test_verify_signature_refuses_missing_or_malformed_headers():
    assert verify_signature(SECRET, "1000000", BODY, None, now=1_000_000) is False
    assert verify_signature(SECRET, "1000000", BODY, "", now=1_000_000) is False
    assert verify_signature(SECRET, "1000000", BODY, "v1=", now=1_000_000) is False
    assert verify_signature("", "1000000", BODY, "v1=00", now=1_000_000) is False
