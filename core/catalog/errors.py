from enum import StrEnum

from core.errors import DomainError


class CatalogErrorCode(StrEnum):
    PRODUCT_NOT_FOUND = "product_not_found"
    CATEGORY_NOT_FOUND = "category_not_found"
    INVALID_PRODUCT = "invalid_product"
    INVALID_PRICE = "invalid_price"
    INVALID_CATEGORY = "invalid_category"
    CATEGORY_IN_USE = "category_in_use"
    PRODUCT_TYPE_NOT_ALLOWED = "product_type_not_allowed"
    INVALID_TRANSITION = "invalid_transition"
    REASON_REQUIRED = "reason_required"
    SELLER_NOT_ALLOWED = "seller_not_allowed"
    INVALID_CSV = "invalid_csv"
    INVALID_QUERY = "invalid_query"
    TOO_MANY = "too_many"


class CatalogError(DomainError):
    pass
