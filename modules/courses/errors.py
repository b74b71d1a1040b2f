from enum import StrEnum

from core.errors import DomainError, ErrorKind


class CourseErrorCode(StrEnum):
    NOT_FOUND = "course_not_found"
    NOT_ENROLLED = "not_enrolled"
    LESSON_LOCKED = "lesson_locked"
    INVALID_COURSE = "invalid_course"
    INVALID_VIDEO = "invalid_video"
    INVALID_PROGRESS = "invalid_progress"
    INVALID_QUIZ = "invalid_quiz"
    INVALID_ANSWER = "invalid_answer"
    ATTEMPT_LIMIT = "quiz_attempt_limit"
    COOLDOWN = "quiz_cooldown"
    ATTEMPT_CLOSED = "quiz_attempt_closed"
    NOT_COMPLETE = "course_not_complete"
    INVALID_MESSAGE = "invalid_course_message"
    INVALID_PASS = "invalid_course_pass"


class CourseError(DomainError):
    """Raised with a code and a kind (core.errors.ErrorKind); the API maps the kind to a
    status, so nothing here names one."""


def not_found(message: str = "No such course.") -> CourseError:
    return CourseError(CourseErrorCode.NOT_FOUND, message, kind=ErrorKind.NOT_FOUND)


def invalid(code: CourseErrorCode, field: str, message: str) -> CourseError:
    return CourseError(code, message, details={"field": field}, kind=ErrorKind.INVALID)


def refused(code: CourseErrorCode, message: str) -> CourseError:
    """The action cannot happen now (locked lesson, cooldown, attempt limit): 409."""
    return CourseError(code, message, kind=ErrorKind.CONFLICT)
