"""The seller's signing secret: one per seller, made on first use, encrypted at rest
(``core/crypto.py``), signing every call Souk makes to the seller's systems."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from core import crypto
from core.integrations.models import SellerIntegration
from core.sellers.models import Seller

SECRET_PREFIX = "whsec_"


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signing_secret(*, seller_id: int) -> str:
    """The seller's secret, made on first use."""
    integration = SellerIntegration.objects.filter(seller_id=seller_id).first()
    if integration is None:
        integration, _ = SellerIntegration.objects.get_or_create(
            seller_id=seller_id,
            defaults={"signing_secret_encrypted": crypto.encrypt(_new_secret())},
        )
    return crypto.decrypt(integration.signing_secret_encrypted)


@transaction.atomic
def rotate_signing_secret(*, seller: Seller) -> str:
    """A new secret, used from the next call on; the old one stops verifying at once."""
    secret = _new_secret()
    integration, created = SellerIntegration.objects.select_for_update().get_or_create(
        seller=seller, defaults={"signing_secret_encrypted": crypto.encrypt(secret)}
    )
    if not created:
        integration.signing_secret_encrypted = crypto.encrypt(secret)
        integration.rotated_at = timezone.now()
        integration.save(update_fields=["signing_secret_encrypted", "rotated_at"])
    return secret
