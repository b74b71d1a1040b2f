from enum import StrEnum

from core.errors import DomainError


class RecommendationErrorCode(StrEnum):
    PRODUCT_NOT_FOUND = "product_not_found"


class RecommendationError(DomainError):
    pass
