"""Secrets at rest survive a key rotation: the old key keeps decrypting while listed, the
rotation command re-encrypts every stored secret under the new key, and a key list that cannot
read a stored secret changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from core import crypto
from core.integrations.models import SellerIntegration
from tests.catalog_helpers import make_seller

OLD_KEY = "old-" + "o" * 40
NEW_KEY = "new-" + "n" * 40


def _store_secret(tenant, secret: str) -> int:
    seller = make_seller(tenant, "acme")
    with schema_context(tenant.schema_name):
        row = SellerIntegration.objects.create(
            seller=seller, signing_secret_encrypted=crypto.encrypt(secret)
        )
    return row.pk


def _stored(tenant, pk: int) -> str:
    with schema_context(tenant.schema_name):
        return SellerIntegration.objects.get(pk=pk).signing_secret_encrypted


def test_rotation_re_encrypts_stored_secrets_under_the_new_key(tenant_a, settings):
    settings.SOUK_ENCRYPTION_KEY = OLD_KEY
    pk = _store_secret(tenant_a, "whsec-of-acme")
    before = _stored(tenant_a, pk)

    settings.SOUK_ENCRYPTION_KEY = f"{NEW_KEY},{OLD_KEY}"
    with schema_context(tenant_a.schema_name):
        assert crypto.decrypt(before) == "whsec-of-acme"  # the old key still reads it
    call_command("rotate_encryption_key")
    after = _stored(tenant_a, pk)

    settings.SOUK_ENCRYPTION_KEY = NEW_KEY  # the old key is dropped
    with schema_context(tenant_a.schema_name):
        assert after != before
        assert crypto.decrypt(after) == "whsec-of-acme"
        with pytest.raises(crypto.InvalidToken):
            crypto.decrypt(before)


def test_rotation_without_the_old_key_changes_nothing(tenant_a, settings):
    settings.SOUK_ENCRYPTION_KEY = OLD_KEY
    pk = _store_secret(tenant_a, "whsec-of-acme")
    before = _stored(tenant_a, pk)

    settings.SOUK_ENCRYPTION_KEY = NEW_KEY
    with pytest.raises(CommandError, match="readable by none of the configured keys"):
        call_command("rotate_encryption_key")

    assert _stored(tenant_a, pk) == before


def test_secrets_do_not_decrypt_in_another_marketplace(tenant_a, tenant_b, settings):
    settings.SOUK_ENCRYPTION_KEY = OLD_KEY
    pk = _store_secret(tenant_a, "whsec-of-acme")
    with schema_context(tenant_b.schema_name), pytest.raises(crypto.InvalidToken):
        crypto.decrypt(_stored(tenant_a, pk))
