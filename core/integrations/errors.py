from enum import StrEnum

from core.errors import DomainError


class IntegrationErrorCode(StrEnum):
    INVALID_WEBHOOK = "invalid_webhook"
    UNSAFE_URL = "unsafe_url"


class IntegrationError(DomainError):
    pass
