from enum import StrEnum

from core.errors import DomainError, ErrorKind


class GigsErrorCode(StrEnum):
    GIG_NOT_FOUND = "gig_not_found"
    ORDER_NOT_FOUND = "order_not_found"
    DELIVERY_NOT_FOUND = "delivery_not_found"
    INVALID_PACKAGES = "invalid_packages"
    INVALID_EXTRAS = "invalid_extras"
    INVALID_QUESTIONS = "invalid_questions"
    INVALID_FAQ = "invalid_faq"
    INVALID_QUOTE = "invalid_quote"
    INVALID_ANSWERS = "invalid_answers"
    INVALID_DELIVERY = "invalid_delivery"
    NO_ARTIFACT = "no_artifact"
    CHECKLIST_INCOMPLETE = "checklist_incomplete"
    REVISIONS_EXHAUSTED = "revisions_exhausted"
    WRONG_STATE = "wrong_state"
    NOT_VERY_LATE = "not_very_late"
    FILE_LOCKED = "file_locked"
    FILE_REFUSED = "file_refused"  # its content is not an allowed type, or it is too large


class GigsError(DomainError):
    """Raised with a code and a kind (core.errors.ErrorKind); the API maps the kind to a
    status, so nothing here names one."""


def invalid(code: GigsErrorCode, field: str, message: str) -> GigsError:
    """Bad input, naming the field to blame (``details["field"]``, like every app)."""
    return GigsError(code, message, details={"field": field}, kind=ErrorKind.INVALID)


def not_found(code: GigsErrorCode, message: str) -> GigsError:
    return GigsError(code, message, kind=ErrorKind.NOT_FOUND)


def wrong_state(message: str, status: str) -> GigsError:
    return GigsError(
        GigsErrorCode.WRONG_STATE, message, details={"status": status}, kind=ErrorKind.CONFLICT
    )
