from enum import StrEnum

from core.errors import DomainError


class AccountErrorCode(StrEnum):
    HANDOFF_INVALID = "handoff_invalid"


class AccountError(DomainError):
    pass
