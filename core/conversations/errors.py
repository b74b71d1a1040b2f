from enum import StrEnum

from core.errors import DomainError, ErrorKind


class ConversationErrorCode(StrEnum):
    CONVERSATION_NOT_FOUND = "conversation_not_found"
    MESSAGE_NOT_FOUND = "message_not_found"
    SELLER_NOT_FOUND = "seller_not_found"
    PRODUCT_NOT_FOUND = "product_not_found"
    ORDER_NOT_FOUND = "order_not_found"
    CANNOT_MESSAGE_YOURSELF = "cannot_message_yourself"
    EMPTY_MESSAGE = "empty_message"
    MESSAGE_TOO_LONG = "message_too_long"
    CONTACT_DETAILS_NOT_ALLOWED = "contact_details_not_allowed"
    EDIT_WINDOW_CLOSED = "edit_window_closed"
    NOT_YOUR_MESSAGE = "not_your_message"
    BLOCKED = "blocked"
    CONVERSATION_ARCHIVED = "conversation_archived"
    ATTACHMENT_TOO_LARGE = "attachment_too_large"
    ATTACHMENT_TYPE_NOT_ALLOWED = "attachment_type_not_allowed"
    ATTACHMENT_NOT_FOUND = "attachment_not_found"
    INVALID_ROLE = "invalid_role"
    REPORT_NOT_FOUND = "report_not_found"
    ALREADY_RESOLVED = "already_resolved"


class ConversationError(DomainError):
    pass


def not_found(code: ConversationErrorCode, message: str) -> ConversationError:
    return ConversationError(code, message, kind=ErrorKind.NOT_FOUND)


def invalid(code: ConversationErrorCode, field: str, message: str) -> ConversationError:
    return ConversationError(code, message, details={"field": field}, kind=ErrorKind.INVALID)
