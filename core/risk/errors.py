from enum import StrEnum

from core.errors import DomainError


class RiskErrorCode(StrEnum):
    CHECKOUT_BLOCKED = "checkout_blocked"
    ASSESSMENT_NOT_FOUND = "risk_assessment_not_found"
    ALREADY_DECIDED = "risk_review_already_decided"
    INVALID_SETTINGS = "invalid_risk_settings"


class RiskError(DomainError):
    pass
