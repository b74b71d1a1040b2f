from enum import StrEnum

from core.errors import DomainError


class DeadlineErrorCode(StrEnum):
    UNKNOWN_TASK = "deadline_unknown_task"
    INVALID_KEY = "deadline_invalid_key"
    INVALID_TIME = "deadline_invalid_time"
    INVALID_PAYLOAD = "deadline_invalid_payload"


class DeadlineError(DomainError):
    pass
