from enum import StrEnum

from core.errors import DomainError, ErrorKind


class ConsultingErrorCode(StrEnum):
    NOT_FOUND = "consulting_not_found"
    INVALID_AVAILABILITY = "invalid_availability"
    INVALID_POLICY = "invalid_policy"
    INVALID_SESSION_TYPE = "invalid_session_type"
    SLOT_UNAVAILABLE = "slot_unavailable"
    SLOT_TAKEN = "slot_taken"
    SESSION_FULL = "session_full"
    CANCELLATION_CLOSED = "cancellation_closed"
    RESCHEDULE_CLOSED = "reschedule_closed"
    NOT_CANCELLABLE = "not_cancellable"
    FILE_REFUSED = "file_refused"
    FILE_TOO_LARGE = "file_too_large"
    BOOKING_NOT_OPEN = "booking_not_open"
    INVALID_NOTE = "invalid_note"
    INVALID_FOLLOW_UP = "invalid_follow_up"
    NOT_YOURS = "not_yours"
    NO_SHOW_NOT_YET = "no_show_not_yet"
    NO_SHOW_CLOSED = "no_show_closed"
    NO_SHOW_REPORTED = "no_show_reported"
    INVALID_REBOOK_OFFER = "invalid_rebook_offer"
    REBOOK_OFFER_UNAVAILABLE = "rebook_offer_unavailable"


class ConsultingError(DomainError):
    """Raised with a code and a kind (core.errors.ErrorKind); the API maps the kind to a
    status, so nothing here names one."""


def not_found(message: str = "No such booking.") -> ConsultingError:
    return ConsultingError(ConsultingErrorCode.NOT_FOUND, message, kind=ErrorKind.NOT_FOUND)


def invalid(code: ConsultingErrorCode, field: str, message: str) -> ConsultingError:
    return ConsultingError(code, message, details={"field": field}, kind=ErrorKind.INVALID)


def conflict(code: ConsultingErrorCode, message: str) -> ConsultingError:
    return ConsultingError(code, message, kind=ErrorKind.CONFLICT)
