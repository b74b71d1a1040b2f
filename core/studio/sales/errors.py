from enum import StrEnum

from core.errors import DomainError


class StudioSalesErrorCode(StrEnum):
    CUSTOMER_NOT_FOUND = "customer_not_found"
    INVALID_NOTE = "invalid_note"


class StudioSalesError(DomainError):
    pass
