"""Offline licence files: signed with the marketplace's own Ed25519 key, verifiable with the
published public key by a function that needs no Django, and worthless once any byte changes
or with another marketplace's key."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core import crypto
from modules.licensing.models import LicenseStatus, SigningKey
from modules.licensing.offline_format import InvalidLicenseFile, verify_license_file
from modules.licensing.tests.helpers import (
    ENTITLEMENTS,
    make_licensing_shop,
    make_licensing_tenant,
)
from modules.licensing.tests.validation_helpers import (
    add_machine,
    machines_of,
    make_license,
    make_policy,
    post,
)


def _public_key(client):
    response = client.get("/api/v1/licenses/public-key")
    assert response.status_code == 200, response.content
    return response.json()


def _issue(client, key, fingerprint="laptop-1"):
    response = post(client, "/file", {"key": key, "fingerprint": fingerprint})
    assert response.status_code == 200, response.content
    return response.json()


def test_a_licence_file_verifies_with_the_published_key(shop, client_for):
    license = make_license(shop, expires_at=timezone.now() + timedelta(days=365))
    add_machine(shop.tenant, license, "laptop-1")
    client = client_for(shop.tenant)

    issued = _issue(client, license.key)
    published = _public_key(client)
    payload = verify_license_file(issued["license_file"], published["public_key_pem"])

    assert published["algorithm"] == "Ed25519"
    assert published["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert issued["signing_key_id"] == published["signing_key_id"]
    issued_at = datetime.fromisoformat(payload["issued_at"])
    assert abs(issued_at - timezone.now()) < timedelta(seconds=10)
    assert payload == {
        "format": "souk-license-file/1",
        "signing_key_id": published["signing_key_id"],
        "license_id": license.pk,
        "key_sha256": hashlib.sha256(license.key.encode()).hexdigest(),
        "product": {"id": shop.product.pk, "name": "Swift Editor"},
        "entitlements": ENTITLEMENTS,
        "max_machines": 2,
        "license_expires_at": license.expires_at.isoformat(timespec="seconds"),
        "fingerprint": "laptop-1",
        "issued_at": payload["issued_at"],
        "valid_until": (issued_at + timedelta(days=30)).isoformat(timespec="seconds"),
    }
    assert datetime.fromisoformat(issued["valid_until"]) == issued_at + timedelta(days=30)
    # The key itself is not in the file.
    assert license.key not in issued["license_file"]
    assert license.key not in _unb64(issued["license_file"].split(".")[0]).decode()


def test_any_changed_character_breaks_the_file(shop, client_for):
    license = make_license(shop)
    add_machine(shop.tenant, license, "laptop-1")
    client = client_for(shop.tenant)
    text = _issue(client, license.key)["license_file"]
    public_key_pem = _public_key(client)["public_key_pem"]
    verify_license_file(text, public_key_pem)

    for position, original in enumerate(text):
        for replacement in {"A", "B", "a", "0", "-", "_", "."} - {original}:
            changed = text[:position] + replacement + text[position + 1 :]
            with pytest.raises(InvalidLicenseFile):
                verify_license_file(changed, public_key_pem)
    with pytest.raises(InvalidLicenseFile):
        verify_license_file(text + "A", public_key_pem)
    with pytest.raises(InvalidLicenseFile):
        verify_license_file(text[:-1], public_key_pem)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_any_changed_byte_of_the_payload_or_signature_breaks_the_file(shop, client_for):
    license = make_license(shop)
    add_machine(shop.tenant, license, "laptop-1")
    client = client_for(shop.tenant)
    text = _issue(client, license.key)["license_file"]
    public_key_pem = _public_key(client)["public_key_pem"]
    body, signature = (_unb64(part) for part in text.split("."))

    for position in range(len(body)):
        for flip in (0x01, 0x80):
            changed = bytearray(body)
            changed[position] ^= flip
            with pytest.raises(InvalidLicenseFile):
                verify_license_file(f"{_b64(changed)}.{_b64(signature)}", public_key_pem)
    for position in range(len(signature)):
        for flip in (0x01, 0x80):
            changed = bytearray(signature)
            changed[position] ^= flip
            with pytest.raises(InvalidLicenseFile):
                verify_license_file(f"{_b64(body)}.{_b64(changed)}", public_key_pem)


def test_a_file_of_one_marketplace_fails_with_another_marketplaces_key(
    shop, make_tenant, client_for
):
    other = make_licensing_tenant(make_tenant, "other-licence-market")
    other_shop = make_licensing_shop(other)
    license = make_license(shop)
    add_machine(shop.tenant, license, "laptop-1")
    other_license = make_license(other_shop)
    add_machine(other, other_license, "laptop-1")

    text = _issue(client_for(shop.tenant), license.key)["license_file"]
    other_text = _issue(client_for(other), other_license.key)["license_file"]
    own_key = _public_key(client_for(shop.tenant))["public_key_pem"]
    other_key = _public_key(client_for(other))["public_key_pem"]

    assert own_key != other_key
    with pytest.raises(InvalidLicenseFile, match="signature does not match"):
        verify_license_file(text, other_key)
    with pytest.raises(InvalidLicenseFile, match="signature does not match"):
        verify_license_file(other_text, own_key)
    assert verify_license_file(other_text, other_key)["license_id"] == other_license.pk
    # And a key of one marketplace is not found on the other.
    refused = post(client_for(other), "/file", {"key": license.key, "fingerprint": "laptop-1"})
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "license_not_found"


def test_a_file_lapses_and_belongs_to_its_machine(make_tenant, client_for):
    tenant = make_licensing_tenant(
        make_tenant, module_config={"licensing": {"offline_file_days": 7}}
    )
    shop = make_licensing_shop(tenant)
    license = make_license(shop)
    add_machine(tenant, license, "laptop-1")
    client = client_for(tenant)
    issued = _issue(client, license.key)
    public_key_pem = _public_key(client)["public_key_pem"]
    valid_until = datetime.fromisoformat(issued["valid_until"])

    payload = verify_license_file(
        issued["license_file"],
        public_key_pem,
        now=valid_until - timedelta(seconds=1),
        fingerprint="laptop-1",
    )

    assert valid_until - datetime.fromisoformat(payload["issued_at"]) == timedelta(days=7)
    with pytest.raises(InvalidLicenseFile, match="lapsed"):
        verify_license_file(issued["license_file"], public_key_pem, now=valid_until)
    with pytest.raises(InvalidLicenseFile, match="another machine"):
        verify_license_file(issued["license_file"], public_key_pem, fingerprint="desktop-9")


def test_a_file_does_not_outlive_its_licence(shop, client_for):
    expires_at = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    license = make_license(shop, expires_at=expires_at)
    add_machine(shop.tenant, license, "laptop-1")

    issued = _issue(client_for(shop.tenant), license.key)

    assert datetime.fromisoformat(issued["valid_until"]) == expires_at


def test_no_file_for_a_machine_that_is_not_activated_or_a_licence_not_in_use(shop, client_for):
    strict = make_license(shop)
    add_machine(shop.tenant, strict, "laptop-1")
    suspended = make_license(shop, status=LicenseStatus.SUSPENDED)
    add_machine(shop.tenant, suspended, "laptop-1")
    client = client_for(shop.tenant)

    other_machine = post(client, "/file", {"key": strict.key, "fingerprint": "desktop-9"})
    not_active = post(client, "/file", {"key": suspended.key, "fingerprint": "laptop-1"})

    assert other_machine.status_code == 404
    assert other_machine.json()["error"]["code"] == "machine_not_found"
    assert other_machine.json()["error"]["details"]["code"] == "FINGERPRINT_SCOPE_MISMATCH"
    assert not_active.status_code == 409
    assert not_active.json()["error"]["code"] == "license_not_active"
    assert not_active.json()["error"]["details"]["code"] == "SUSPENDED"


def test_a_floating_licence_takes_a_seat_for_the_file(shop, client_for):
    license = make_license(shop, make_policy(shop, is_floating=True, max_activations=1))

    issued = _issue(client_for(shop.tenant), license.key, fingerprint="laptop-1")
    refused = post(
        client_for(shop.tenant), "/file", {"key": license.key, "fingerprint": "laptop-2"}
    )

    assert issued["license_file"]
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "too_many_machines"
    assert machines_of(shop.tenant, license) == ["laptop-1"]


def test_the_signing_key_is_made_once_and_stored_encrypted(shop, client_for):
    client = client_for(shop.tenant)

    first = _public_key(client)
    second = _public_key(client)

    assert first == second
    with schema_context(shop.tenant.schema_name):
        [stored] = SigningKey.objects.all()
        assert stored.is_active
        assert "PRIVATE KEY" not in stored.private_key_encrypted
        assert crypto.decrypt(stored.private_key_encrypted).startswith(
            "-----BEGIN PRIVATE KEY-----"
        )


def test_the_verifier_needs_no_django():
    """Sellers copy offline_format.py into their software: it must import on its own."""
    source = Path(__file__).resolve().parents[1] / "offline_format.py"
    script = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('offline_format', {str(source)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "assert not [name for name in sys.modules if name.startswith('django')]\n"
        "print(module.FORMAT)\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "souk-license-file/1"


def test_the_file_payload_is_compact_sorted_json(shop, client_for):
    license = make_license(shop)
    add_machine(shop.tenant, license, "laptop-1")

    text = _issue(client_for(shop.tenant), license.key)["license_file"]
    raw = _unb64(text.split(".")[0]).decode()

    assert raw == json.dumps(json.loads(raw), separators=(",", ":"), sort_keys=True)
