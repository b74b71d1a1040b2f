from enum import StrEnum

from core.errors import DomainError


class LicensingErrorCode(StrEnum):
    LICENSE_NOT_FOUND = "license_not_found"
    MACHINE_NOT_FOUND = "machine_not_found"
    POLICY_NOT_FOUND = "policy_not_found"
    INVALID_FINGERPRINT = "invalid_fingerprint"
    TOO_MANY_MACHINES = "too_many_machines"
    LICENSE_NOT_ACTIVE = "license_not_active"
    ACTIVATION_RATE_LIMITED = "activation_rate_limited"
    INVALID_POLICY = "invalid_policy"
    INVALID_LICENSE_CHANGE = "invalid_license_change"
    INVALID_USAGE = "invalid_usage"
    PROVISIONING_FAILED = "provisioning_failed"


class LicensingError(DomainError):
    pass
