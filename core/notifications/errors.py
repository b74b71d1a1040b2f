from enum import StrEnum

from core.errors import DomainError, ErrorKind


class NotificationErrorCode(StrEnum):
    UNKNOWN_TYPE = "unknown_notification_type"
    UNKNOWN_CHANNEL = "unknown_channel"
    CRITICAL_LOCKED = "critical_notification_locked"
    NOT_FOUND = "notification_not_found"
    INVALID_TIME_ZONE = "invalid_time_zone"
    INVALID_QUIET_HOURS = "invalid_quiet_hours"
    INVALID_SUBSCRIPTION = "invalid_push_subscription"
    INVALID_PHONE = "invalid_phone_number"
    INVALID_DIGEST_HOUR = "invalid_digest_hour"


class NotificationError(DomainError):
    kind = ErrorKind.INVALID


def not_found() -> NotificationError:
    return NotificationError(
        NotificationErrorCode.NOT_FOUND, "No such notification.", kind=ErrorKind.NOT_FOUND
    )
