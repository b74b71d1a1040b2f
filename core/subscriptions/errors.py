from enum import StrEnum

from core.errors import DomainError, ErrorKind


class SubscriptionErrorCode(StrEnum):
    SUBSCRIPTION_NOT_FOUND = "subscription_not_found"
    PRODUCT_NOT_FOUND = "product_not_found"
    RECURRING_PRICE_NOT_FOUND = "recurring_price_not_found"
    PAYMENT_METHOD_NOT_FOUND = "payment_method_not_found"
    INVALID_RECURRING_PRICE = "invalid_recurring_price"
    ALREADY_CANCELLED = "already_cancelled"
    NOT_CANCELLING = "not_cancelling"
    PERIOD_OVER = "period_over"
    SAME_PLAN = "same_plan"
    PAST_DUE = "past_due"
    PAYMENT_DECLINED = "payment_declined"


class SubscriptionError(DomainError):
    pass


def not_found() -> SubscriptionError:
    return SubscriptionError(
        SubscriptionErrorCode.SUBSCRIPTION_NOT_FOUND,
        "No such subscription.",
        kind=ErrorKind.NOT_FOUND,
    )


def field_error(
    code: SubscriptionErrorCode, field: str, message: str, **details: object
) -> SubscriptionError:
    """A 422 naming the offending input field, like the API's validation errors."""
    return SubscriptionError(
        code, message, details={"field": field, **details}, kind=ErrorKind.INVALID
    )


def already_cancelled() -> SubscriptionError:
    return SubscriptionError(
        SubscriptionErrorCode.ALREADY_CANCELLED,
        "This subscription has ended.",
        kind=ErrorKind.CONFLICT,
    )
