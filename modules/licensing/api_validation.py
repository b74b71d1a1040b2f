"""The API the seller's software calls, under ``/api/v1/licenses/``. No user and no token:
the licence key is the credential.

- ``POST /validate`` always answers 200 with ``valid`` and a ``code`` (see
  ``services/validation.py``), except 429 when a rate limit refuses the call.
- ``POST /activate`` (201 new, 200 already active), ``POST /deactivate``, ``POST /heartbeat``
  answer errors in the usual envelope (404 license_not_found / machine_not_found, 409
  license_not_active / too_many_machines, 429 activation_rate_limited).
- ``POST /file`` issues an offline licence file; ``GET /public-key`` publishes the key that
  verifies them. The key travels in the body, never in a URL that access logs would keep.

Rate limits (per marketplace, module settings): every call counts against its client IP's
bucket (``validations_per_ip_per_minute``; an IPv6 client per /64) and its key's
(``validations_per_key_per_minute``), and only a call both admit counts against the API's
per-marketplace bucket, so one client looping cannot lock every installed copy out. These
replace the API's generic anonymous-IP limit, which would otherwise cap a marketplace below
its own licensing setting.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from core import ratelimit
from core.accounts.throttles import rate
from modules.licensing.keys import normalise_key
from modules.licensing.models import Machine, Policy
from modules.licensing.schemas_validation import (
    ActivateIn,
    ActivationOut,
    DeactivationOut,
    LicenseFileIn,
    LicenseFileOut,
    MachineIn,
    MachineOut,
    PublicKeyOut,
    ValidateIn,
    ValidationOut,
)
from modules.licensing.services import activation, offline
from modules.licensing.services.validation import (
    Validation,
    licensing_settings,
    machine_state,
    validate_license,
)

# An empty throttle list: the limits below are applied by each handler instead.
validation_router = Router(throttle=[])


def _throttle(request: HttpRequest, key: str | None = None) -> None:
    """The caller's buckets (its IP's, then its licence key's), then the marketplace's."""
    settings = licensing_settings()
    buckets = [
        ratelimit.Bucket(
            scope="licensing_ip",
            key=ratelimit.client_ip_bucket_key(request),
            rate=ratelimit.Rate(limit=settings.validations_per_ip_per_minute, period_seconds=60),
        )
    ]
    if key is not None:
        buckets.append(
            ratelimit.Bucket(
                scope="licensing_key",
                key=normalise_key(key) or key.strip(),
                rate=ratelimit.Rate(
                    limit=settings.validations_per_key_per_minute, period_seconds=60
                ),
            )
        )
    buckets.append(ratelimit.Bucket(scope="api_tenant", key="all", rate=rate("api_tenant")))
    ratelimit.check_in_order(*buckets)


def _ip(request: HttpRequest) -> str | None:
    address = ratelimit.client_ip(request)
    return None if address == "unknown" else address


def _validation_out(result: Validation) -> dict[str, Any]:
    return {
        "valid": result.is_valid,
        "code": str(result.code),
        "detail": result.detail,
        "license": result.license,
        "machine": result.machine,
    }


def _machine_out(machine: Machine, policy: Policy) -> MachineOut:
    state = machine_state(machine, policy, now=timezone.now())
    return MachineOut.model_validate(state, from_attributes=True)


@validation_router.post(
    "/validate", response=ValidationOut, summary="Validate a licence key (always 200)"
)
def validate(request: HttpRequest, payload: ValidateIn) -> dict[str, Any]:
    _throttle(request, payload.key)
    scope = payload.scope
    fingerprint = payload.fingerprint or (scope.fingerprint if scope else None)
    entitlements = payload.entitlements or (scope.entitlements if scope else [])
    result = validate_license(
        key=payload.key,
        fingerprint=fingerprint,
        entitlements=[code for code in entitlements if code],
        ip_address=_ip(request),
    )
    return _validation_out(result)


@validation_router.post(
    "/activate",
    response={200: ActivationOut, 201: ActivationOut},
    summary="Activate a licence on a machine",
)
def activate(request: HttpRequest, payload: ActivateIn) -> Status[ActivationOut]:
    _throttle(request, payload.key)
    result = activation.activate_machine(
        key=payload.key,
        fingerprint=payload.fingerprint,
        name=payload.name.strip(),
        platform=payload.platform.strip(),
        ip_address=_ip(request),
    )
    body = ActivationOut(
        machine=_machine_out(result.machine, result.policy),
        machines=result.machines,
        max_machines=result.max_machines,
    )
    return Status(201 if result.is_new else 200, body)


@validation_router.post(
    "/deactivate", response=DeactivationOut, summary="Deactivate a machine, freeing its seat"
)
def deactivate(request: HttpRequest, payload: MachineIn) -> dict[str, int]:
    _throttle(request, payload.key)
    remaining = activation.deactivate_machine(key=payload.key, fingerprint=payload.fingerprint)
    return {"machines": remaining}


@validation_router.post("/heartbeat", response=MachineOut, summary="A machine's heartbeat")
def heartbeat(request: HttpRequest, payload: MachineIn) -> MachineOut:
    _throttle(request, payload.key)
    machine, policy = activation.record_heartbeat(
        key=payload.key, fingerprint=payload.fingerprint, ip_address=_ip(request)
    )
    return _machine_out(machine, policy)


@validation_router.post(
    "/file", response=LicenseFileOut, summary="An offline licence file for an activated machine"
)
def license_file(request: HttpRequest, payload: LicenseFileIn) -> dict[str, Any]:
    _throttle(request, payload.key)
    issued = offline.issue_license_file(
        key=payload.key, fingerprint=payload.fingerprint, ip_address=_ip(request)
    )
    return {
        "license_file": issued.text,
        "signing_key_id": issued.signing_key_id,
        "valid_until": issued.valid_until,
    }


@validation_router.get(
    "/public-key", response=PublicKeyOut, summary="The key that verifies offline licence files"
)
def public_key(request: HttpRequest) -> dict[str, Any]:
    _throttle(request)
    key = offline.signing_key()
    return {
        "signing_key_id": key.pk,
        "algorithm": "Ed25519",
        "public_key_pem": key.public_key_pem,
    }
