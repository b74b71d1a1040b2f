from enum import StrEnum

from core.errors import DomainError


class TenantErrorCode(StrEnum):
    INVALID_SLUG = "invalid_slug"
    RESERVED_SLUG = "reserved_slug"
    SLUG_TAKEN = "slug_taken"
    INVALID_DOMAIN = "invalid_domain"
    DOMAIN_TAKEN = "domain_taken"
    INVALID_EMAIL = "invalid_email"
    INVALID_PASSWORD = "invalid_password"
    INVALID_BRANDING = "invalid_branding"
    UNKNOWN_PLAN = "unknown_plan"
    UNKNOWN_MODULE = "unknown_module"
    MODULE_NOT_IN_PLAN = "module_not_in_plan"
    MODULE_DEPENDENCY_MISSING = "module_dependency_missing"
    MODULE_HAS_DEPENDENTS = "module_has_dependents"
    MODULE_CONFLICT = "module_conflict"
    INVALID_MODULE_CONFIG = "invalid_module_config"
    TEMPLATE_SCHEMA_MISSING = "template_schema_missing"
    PROVISIONING_FAILED = "provisioning_failed"
    TENANT_NOT_FOUND = "tenant_not_found"
    PLATFORM_TENANT_PROTECTED = "platform_tenant_protected"
    DOMAIN_NOT_FOUND = "domain_not_found"
    PRIMARY_DOMAIN_REQUIRED = "primary_domain_required"
    CONFIRMATION_MISMATCH = "confirmation_mismatch"
    ALREADY_IN_STATE = "already_in_state"
    REASON_REQUIRED = "reason_required"
    INVALID_NAME = "invalid_name"
    INVALID_CURRENCY = "invalid_currency"
    INVALID_TIME_ZONE = "invalid_time_zone"
    DELETION_PENDING = "deletion_pending"
    NOT_SCHEDULED_FOR_DELETION = "not_scheduled_for_deletion"
    AT_CAPACITY = "at_capacity"
    OWNER_VERIFICATION_INVALID = "owner_verification_invalid"
    SUPPORT_ACCOUNT_CONFLICT = "support_account_conflict"


class TenantError(DomainError):
    pass
