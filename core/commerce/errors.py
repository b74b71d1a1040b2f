from enum import StrEnum

from core.errors import DomainError, ErrorKind


class CommerceErrorCode(StrEnum):
    PRODUCT_NOT_FOUND = "product_not_found"
    NOT_PURCHASABLE = "not_purchasable"
    CURRENCY_NOT_ALLOWED = "currency_not_allowed"
    CURRENCY_MISMATCH = "currency_mismatch"
    NOT_PRICED = "not_priced"
    PLAN_REQUIRED = "plan_required"
    INVALID_QUANTITY = "invalid_quantity"
    OUT_OF_STOCK = "out_of_stock"
    CART_EMPTY = "cart_empty"
    CART_LINE_NOT_FOUND = "cart_line_not_found"
    DISCOUNT_INVALID = "discount_invalid"
    DISCOUNT_EXPIRED = "discount_expired"
    DISCOUNT_EXHAUSTED = "discount_exhausted"
    DISCOUNT_NOT_APPLICABLE = "discount_not_applicable"
    OFFER_NOT_FOUND = "offer_not_found"
    OFFER_UNAVAILABLE = "offer_unavailable"
    BUNDLE_NOT_FOUND = "bundle_not_found"
    INVALID_BUNDLE = "invalid_bundle"
    INVALID_DISCOUNT = "invalid_discount"
    INVALID_TAX_RULE = "invalid_tax_rule"
    INVALID_ADDRESS = "invalid_address"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    REQUEST_IN_PROGRESS = "request_in_progress"
    PAYMENT_DECLINED = "payment_declined"
    PAYMENT_REQUIRES_ACTION = "payment_requires_action"
    PAYMENT_NOT_PENDING = "payment_not_pending"
    ORDER_NOT_FOUND = "order_not_found"
    INVALID_TRANSITION = "invalid_transition"
    INVALID_REFUND = "invalid_refund"
    ESCROW_INSUFFICIENT = "escrow_insufficient"
    TOTAL_CHANGED = "total_changed"


class CommerceError(DomainError):
    pass


def field_error(
    code: CommerceErrorCode, field: str, message: str, **details: object
) -> CommerceError:
    """A 422 naming the offending input field, like the API's validation errors."""
    return CommerceError(code, message, details={"field": field, **details}, kind=ErrorKind.INVALID)
