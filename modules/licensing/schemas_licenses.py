"""Input schemas of the licence-management API (buyers' and sellers' licences, software set-up).
Ranges the services check themselves are left to them, so the error names the field with
the marketplace's own message."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from core.accounts.models import User
from core.schemas import StrictSchema, model_max_length
from modules.licensing.models import (
    License,
    LicenseStatus,
    LicenseType,
    MissedHeartbeat,
    Policy,
    Provisioning,
    SoftwareDetails,
)
from modules.licensing.schemas_validation import EntitlementCode


class LicenseListQuery(Schema):
    limit: int = 25
    cursor: str | None = None
    status: LicenseStatus | None = None
    product_id: int | None = None


class SellerLicenseListQuery(LicenseListQuery):
    buyer_email: str | None = Field(None, max_length=model_max_length(User, "email"))


class SoftwareIn(StrictSchema):
    license_type: LicenseType = LicenseType.ONE_TIME
    provisioning: Provisioning = Provisioning.MANUAL
    provisioning_url: str = Field(
        "", max_length=model_max_length(SoftwareDetails, "provisioning_url")
    )
    deprovisioning_url: str = Field(
        "", max_length=model_max_length(SoftwareDetails, "deprovisioning_url")
    )
    integration_notes: str = Field(
        "", max_length=model_max_length(SoftwareDetails, "integration_notes")
    )
    trial_days: int = 0


class PolicyIn(StrictSchema):
    name: str = Field(max_length=model_max_length(Policy, "name"))
    max_activations: int = 1
    is_floating: bool = False
    duration_days: int | None = None
    is_heartbeat_required: bool = False
    heartbeat_interval_seconds: int = 3600
    on_missed_heartbeat: MissedHeartbeat = MissedHeartbeat.DEACTIVATE
    entitlements: list[EntitlementCode] = Field(default_factory=list, max_length=100)
    is_license_per_seat: bool = False
    is_default: bool = False


class SuspendIn(StrictSchema):
    reason: str = Field(min_length=1, max_length=model_max_length(License, "status_reason"))


class ReinstateIn(StrictSchema):
    reason: str = Field("", max_length=model_max_length(License, "status_reason"))


class ExtendIn(StrictSchema):
    days: int | None = Field(None, description="Days more, from the current end (or now)")
    expires_at: datetime | None = Field(None, description="Or the new end")


class MaxActivationsIn(StrictSchema):
    max_activations: int | None = Field(description="This licence's limit; null: the policy's")
