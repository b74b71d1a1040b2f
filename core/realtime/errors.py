from enum import StrEnum

from core.errors import DomainError


class RealtimeErrorCode(StrEnum):
    # Socket error frames ({"type": "error", "code": ...}).
    BAD_FRAME = "bad_frame"
    FRAME_TOO_LARGE = "frame_too_large"
    RATE_LIMITED = "rate_limited"
    UNKNOWN_TOPIC = "unknown_topic"
    NOT_ALLOWED = "not_allowed"
    TOO_MANY_SUBSCRIPTIONS = "too_many_subscriptions"
    NOT_SUBSCRIBED = "not_subscribed"
    EVENT_NOT_RELAYED = "event_not_relayed"
    UNAVAILABLE = "unavailable"


class RealtimeError(DomainError):
    pass
