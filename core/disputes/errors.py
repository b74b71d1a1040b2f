from enum import StrEnum

from core.errors import DomainError, ErrorKind


class DisputeErrorCode(StrEnum):
    DISPUTE_NOT_FOUND = "dispute_not_found"
    NOT_DISPUTABLE = "not_disputable"
    CLAIM_WINDOW_CLOSED = "claim_window_closed"
    ALREADY_DISPUTED = "already_disputed"
    INVALID_STATE = "invalid_dispute_state"
    INVALID_SPLIT = "invalid_split"
    APPEAL_NOT_ALLOWED = "appeal_not_allowed"
    SAME_OPERATOR = "same_operator"
    INVALID_EVIDENCE = "invalid_evidence"
    EVIDENCE_TOO_LARGE = "evidence_too_large"
    FORBIDDEN = "dispute_forbidden"


class DisputeError(DomainError):
    kind = ErrorKind.CONFLICT


def not_found() -> DisputeError:
    return DisputeError(
        DisputeErrorCode.DISPUTE_NOT_FOUND, "No such dispute.", kind=ErrorKind.NOT_FOUND
    )
