from enum import StrEnum

from core.errors import DomainError, ErrorKind


class DigitalErrorCode(StrEnum):
    NOT_FOUND = "digital_not_found"
    FILE_TOO_LARGE = "file_too_large"
    INVALID_FILE = "invalid_digital_file"
    DOWNLOAD_LIMIT = "download_limit_reached"
    DAILY_DOWNLOAD_LIMIT = "daily_download_limit"
    RESET_NOT_ALLOWED = "download_reset_not_allowed"
    COPY_BEING_PREPARED = "copy_being_prepared"
    INVALID_TERMS = "invalid_digital_terms"


class DigitalError(DomainError):
    """Raised with a code and a kind (core.errors.ErrorKind); the API maps the kind to a
    status, so nothing here names one."""


def not_found(message: str = "No such file.") -> DigitalError:
    return DigitalError(DigitalErrorCode.NOT_FOUND, message, kind=ErrorKind.NOT_FOUND)


def invalid(code: DigitalErrorCode, field: str, message: str) -> DigitalError:
    return DigitalError(code, message, details={"field": field}, kind=ErrorKind.INVALID)
