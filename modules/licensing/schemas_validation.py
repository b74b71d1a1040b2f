"""Request and response bodies of the API the seller's software calls (validate, activate,
deactivate, heartbeat, offline files, public key)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints

from core.schemas import StrictSchema, model_max_length
from modules.licensing.models import Machine

Fingerprint = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=model_max_length(Machine, "fingerprint")
    ),
]
EntitlementCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]
LicenseKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ScopeIn(StrictSchema):
    """Keygen's shape: ``{"key": ..., "scope": {"fingerprint": ..., "entitlements": [...]}}``."""

    fingerprint: Fingerprint | None = None
    entitlements: list[EntitlementCode] = Field(default_factory=list, max_length=50)


class ValidateIn(StrictSchema):
    key: LicenseKey
    fingerprint: Fingerprint | None = None
    entitlements: list[EntitlementCode] = Field(default_factory=list, max_length=50)
    # An alternative to the two fields above; they win when both are given.
    scope: ScopeIn | None = None


class MachineIn(StrictSchema):
    key: LicenseKey
    fingerprint: Fingerprint


class ActivateIn(MachineIn):
    name: str = Field("", max_length=model_max_length(Machine, "name"))
    platform: str = Field("", max_length=model_max_length(Machine, "platform"))


class LicenseStateOut(Schema):
    id: int
    status: str
    product_id: int
    expires_at: datetime | None
    entitlements: list[str]
    max_machines: int
    machines: int
    is_floating: bool
    is_heartbeat_required: bool
    heartbeat_interval_seconds: int


class MachineOut(Schema):
    id: int
    fingerprint: str
    name: str
    platform: str
    activated_at: datetime
    last_heartbeat_at: datetime | None
    heartbeat: str  # not_required | not_started | alive | dead
    heartbeat_due_by: datetime | None


class ValidationOut(Schema):
    valid: bool
    code: str
    detail: str
    license: LicenseStateOut | None
    machine: MachineOut | None


class ActivationOut(Schema):
    machine: MachineOut
    machines: int
    max_machines: int


class DeactivationOut(Schema):
    machines: int


class LicenseFileIn(MachineIn):
    pass


class LicenseFileOut(Schema):
    license_file: str
    signing_key_id: int
    valid_until: datetime


class PublicKeyOut(Schema):
    signing_key_id: int
    algorithm: str
    public_key_pem: str
