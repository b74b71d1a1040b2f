from enum import StrEnum

from core.errors import DomainError


class ReviewErrorCode(StrEnum):
    REVIEW_NOT_FOUND = "review_not_found"
    LINE_NOT_FOUND = "line_not_found"
    LINE_NOT_REVIEWABLE = "line_not_reviewable"
    ALREADY_REVIEWED = "already_reviewed"
    OWN_SALE = "own_sale"
    INVALID_REVIEW = "invalid_review"
    EDIT_WINDOW_CLOSED = "edit_window_closed"
    REVIEW_HIDDEN = "review_hidden"
    ALREADY_REPLIED = "already_replied"
    REPLY_NOT_FOUND = "reply_not_found"
    INVALID_REPLY = "invalid_reply"
    REASON_REQUIRED = "reason_required"
    INVALID_TRANSITION = "invalid_transition"
    INVALID_REPORT = "invalid_report"
    ALREADY_REPORTED = "already_reported"
    CANNOT_REPORT_OWN = "cannot_report_own"
    NO_OPEN_REPORTS = "no_open_reports"


class ReviewError(DomainError):
    pass
