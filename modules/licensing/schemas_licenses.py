"""Input schemas of the licence-management API (buyers' and sellers' licences, software set-up).
Ranges the services check themselves are left to them, so the error names the field with
the marketplace's own message."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema
from pydantic import JsonValue

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


# --- answers (the shapes modules.licensing.presenters_licenses builds) --------------------------


class MachineOut(Schema):
    id: int
    fingerprint: str
    name: str
    platform: str
    last_heartbeat_at: datetime | None
    activated_at: datetime


class LicensedProductOut(Schema):
    id: int
    name: str
    slug: str


class LicenseSellerOut(Schema):
    slug: str
    business_name: str


class LicensePolicyOut(Schema):
    id: int
    name: str
    is_floating: bool
    is_heartbeat_required: bool
    heartbeat_interval_seconds: int
    entitlements: list[str]


class BuyerAccountOut(Schema):
    """The account the seller provisioned for the buyer, with its credentials (JSON when the
    seller sent an object, else text; null when none or unreadable)."""

    status: str
    status_label: str
    external_account_id: str
    credentials: JsonValue


class SellerAccountOut(Schema):
    """The provisioned account as its seller sees it: progress, never the credentials."""

    status: str
    status_label: str
    external_account_id: str
    attempts: int
    last_error: str


class LicenseOut(Schema):
    id: int
    key: str
    status: str
    status_reason: str
    product: LicensedProductOut
    seller: LicenseSellerOut
    policy: LicensePolicyOut
    seat: int
    max_activations: int
    subscription_id: int | None
    expires_at: datetime | None
    created_at: datetime
    machines: list[MachineOut]


class BuyerLicenseOut(LicenseOut):
    account: BuyerAccountOut | None


class BuyerLicensePageOut(Schema):
    items: list[BuyerLicenseOut]
    next_cursor: str | None


class LicenseBuyerOut(Schema):
    id: int
    email: str
    name: str


class MetricUsageOut(Schema):
    metric: str
    total: int
    events: int
    last_at: str | None


class SellerLicenseOut(LicenseOut):
    """``usage`` (metered usage per metric) is on a single licence only, not in lists."""

    buyer: LicenseBuyerOut
    order_line_id: int | None
    max_activations_override: int | None
    account: SellerAccountOut | None
    usage: list[MetricUsageOut] | None = None


class SellerLicensePageOut(Schema):
    items: list[SellerLicenseOut]
    next_cursor: str | None


class ResetActivationsOut(Schema):
    deactivated: int
    license: SellerLicenseOut


class PolicyOut(Schema):
    id: int
    name: str
    max_activations: int
    is_floating: bool
    duration_days: int | None
    is_heartbeat_required: bool
    heartbeat_interval_seconds: int
    on_missed_heartbeat: str
    entitlements: list[str]
    is_license_per_seat: bool
    is_default: bool


class SoftwareOut(Schema):
    license_type: str
    provisioning: str
    provisioning_url: str
    deprovisioning_url: str
    integration_notes: str
    trial_days: int
    default_policy_id: int | None
    policies: list[PolicyOut]
