from enum import StrEnum

from core.errors import DomainError


class AutomodErrorCode(StrEnum):
    DECISION_NOT_FOUND = "decision_not_found"
    ALREADY_DECIDED = "already_decided"
    INVALID_SETTINGS = "invalid_settings"
    REASON_REQUIRED = "reason_required"


class AutomodError(DomainError):
    pass
