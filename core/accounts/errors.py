from enum import StrEnum

from core.errors import DomainError


class AccountErrorCode(StrEnum):
    HANDOFF_INVALID = "handoff_invalid"
    INVALID_EMAIL = "invalid_email"
    EMAIL_TAKEN = "email_taken"
    WEAK_PASSWORD = "weak_password"
    INVALID_NAME = "invalid_name"
    INVALID_CREDENTIALS = "invalid_credentials"
    ACCOUNT_SUSPENDED = "account_suspended"
    VERIFICATION_INVALID = "verification_invalid"
    RESET_INVALID = "reset_invalid"
    OTP_INVALID = "otp_invalid"
    NO_PENDING_LOGIN = "no_pending_login"
    TWO_FACTOR_REQUIRED = "two_factor_required"
    TWO_FACTOR_ALREADY_ENABLED = "two_factor_already_enabled"
    TWO_FACTOR_NOT_ENABLED = "two_factor_not_enabled"
    INVALID_SCOPE = "invalid_scope"
    TOKEN_NAME_TAKEN = "token_name_taken"
    TOKEN_NOT_FOUND = "token_not_found"
    USER_NOT_FOUND = "user_not_found"
    CANNOT_MODERATE_SELF = "cannot_moderate_self"
    ALREADY_IN_STATE = "already_in_state"
    PASSWORD_INCORRECT = "password_incorrect"
    INVALID_TOKEN_NAME = "invalid_token_name"
    INVALID_EXPIRY = "invalid_expiry"
    FORBIDDEN_ROLE = "forbidden_role"
    REASON_REQUIRED = "reason_required"
    INSUFFICIENT_SCOPE = "insufficient_scope"
    EMAIL_RESERVED = "email_reserved"
    NOT_FOR_SUPPORT_AGENTS = "not_for_support_agents"
    PERMISSION_DENIED = "permission_denied"


class AccountError(DomainError):
    pass
