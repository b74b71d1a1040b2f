"""Key rotation for secrets at rest (``core.crypto``): every ``*_encrypted`` column of every
tenant schema re-encrypted under the newest ``SOUK_ENCRYPTION_KEY``."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django_tenants.utils import schema_context

from core import crypto
from tenants.models import Tenant

BATCH_SIZE = 500


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Tenant models with columns holding ``core.crypto`` tokens, found by the field suffix."""
    tenant_apps = set(settings.TENANT_APPS)
    found: list[tuple[type[models.Model], list[str]]] = []
    for model in apps.get_models():
        config = apps.get_app_config(model._meta.app_label)
        if config.name not in tenant_apps:
            continue
        names = [
            field.name
            for field in model._meta.concrete_fields
            if field.name.endswith(crypto.ENCRYPTED_FIELD_SUFFIX)
        ]
        if names:
            found.append((model, names))
    return found


def rotate_encrypted_secrets(*, tenant: Tenant) -> int:
    """Re-encrypts the tenant's secrets under the first configured key; returns how many
    values were rewritten. Idempotent: running it twice rewrites the same values again, each
    still readable. A value no configured key decrypts raises ``InvalidToken`` and the
    tenant's batch is rolled back, so a wrong key list changes nothing."""
    rewritten = 0
    with schema_context(tenant.schema_name), transaction.atomic():
        for model, names in encrypted_fields():
            batch: list[models.Model] = []
            for row in model._default_manager.only("pk", *names).iterator(chunk_size=BATCH_SIZE):
                for name in names:
                    value = getattr(row, name)
                    if value:
                        setattr(row, name, crypto.rotate(value))
                        rewritten += 1
                batch.append(row)
                if len(batch) >= BATCH_SIZE:
                    model._default_manager.bulk_update(batch, names)
                    batch = []
            if batch:
                model._default_manager.bulk_update(batch, names)
    return rewritten
