from enum import StrEnum

from core.errors import DomainError


class SetupErrorCode(StrEnum):
    LEGAL_PAGE_TOO_LONG = "legal_page_too_long"
    INVALID_ORDER = "invalid_category_order"


class SetupError(DomainError):
    pass
