"""Licences as the API and the pages show them: to the buyer who holds one (with the
credentials of their own provisioned account) and to the seller who sold it (with its buyer
and usage, never the buyer's credentials)."""

from __future__ import annotations

import json
from typing import Any

from core.crypto import InvalidToken, decrypt
from modules.licensing import selectors
from modules.licensing.models import License, Machine, Policy, ProvisionedAccount, SoftwareDetails


def machine_dict(machine: Machine) -> dict[str, Any]:
    return {
        "id": machine.pk,
        "fingerprint": machine.fingerprint,
        "name": machine.name,
        "platform": machine.platform,
        "last_heartbeat_at": machine.last_heartbeat_at,
        "activated_at": machine.activated_at,
    }


def credentials_of(account: ProvisionedAccount) -> Any:
    """The buyer-facing credentials (stored encrypted; JSON when the seller sent an object)."""
    if not account.credentials_encrypted:
        return None
    try:
        text = decrypt(account.credentials_encrypted)
    except InvalidToken:  # written under another key: nothing a buyer can use
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def account_dict(account: ProvisionedAccount | None, *, with_credentials: bool) -> Any:
    if account is None:
        return None
    body: dict[str, Any] = {
        "status": account.status,
        "status_label": account.get_status_display(),
        "external_account_id": account.external_account_id,
    }
    if with_credentials:
        body["credentials"] = credentials_of(account)
    else:
        body["attempts"] = account.attempts
        body["last_error"] = account.last_error
    return body


def _common(license: License) -> dict[str, Any]:
    policy = license.policy
    return {
        "id": license.pk,
        "key": license.key,
        "status": license.status,
        "status_reason": license.status_reason,
        "product": {
            "id": license.product_id,
            "name": license.product.name,
            "slug": license.product.slug,
        },
        "seller": {"slug": license.seller.slug, "business_name": license.seller.business_name},
        "policy": {
            "id": policy.pk,
            "name": policy.name,
            "is_floating": policy.is_floating,
            "is_heartbeat_required": policy.is_heartbeat_required,
            "heartbeat_interval_seconds": policy.heartbeat_interval_seconds,
            "entitlements": list(policy.entitlements),
        },
        "seat": license.seat,
        "max_activations": selectors.max_activations_of(license),
        "subscription_id": license.subscription_id,
        "expires_at": license.expires_at,
        "created_at": license.created_at,
        "machines": [machine_dict(machine) for machine in license.machines.all()],
    }


def buyer_license_dict(license: License) -> dict[str, Any]:
    account = selectors.provisioned_account(license)
    return {**_common(license), "account": account_dict(account, with_credentials=True)}


def seller_license_dict(license: License, *, with_usage: bool = False) -> dict[str, Any]:
    account = selectors.provisioned_account(license)
    body = {
        **_common(license),
        "buyer": {
            "id": license.buyer_id,
            "email": license.buyer.email,
            "name": license.buyer.full_name,
        },
        "order_line_id": license.order_line_id,
        "max_activations_override": license.max_activations,
        "account": account_dict(account, with_credentials=False),
    }
    if with_usage:
        body["usage"] = [
            {"metric": row.metric, "total": row.total, "events": row.events, "last_at": row.last_at}
            for row in selectors.usage_summary(license)
        ]
    return body


def policy_dict(policy: Policy, *, default_policy_id: int | None) -> dict[str, Any]:
    return {
        "id": policy.pk,
        "name": policy.name,
        "max_activations": policy.max_activations,
        "is_floating": policy.is_floating,
        "duration_days": policy.duration_days,
        "is_heartbeat_required": policy.is_heartbeat_required,
        "heartbeat_interval_seconds": policy.heartbeat_interval_seconds,
        "on_missed_heartbeat": policy.on_missed_heartbeat,
        "entitlements": list(policy.entitlements),
        "is_license_per_seat": policy.is_license_per_seat,
        "is_default": policy.pk == default_policy_id,
    }


def software_dict(details: SoftwareDetails | None, policies: list[Policy]) -> dict[str, Any]:
    default_id = details.default_policy_id if details else None
    return {
        "license_type": details.license_type if details else "one_time",
        "provisioning": details.provisioning if details else "manual",
        "provisioning_url": details.provisioning_url if details else "",
        "deprovisioning_url": details.deprovisioning_url if details else "",
        "integration_notes": details.integration_notes if details else "",
        "trial_days": details.trial_days if details else 0,
        "default_policy_id": default_id,
        "policies": [policy_dict(policy, default_policy_id=default_id) for policy in policies],
    }
