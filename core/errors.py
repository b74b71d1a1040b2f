"""The base of every domain error. Each app has an ``errors.py`` with its own code enum and a
subclass; the API maps them all to one envelope.

An error says what kind of failure it is (``ErrorKind``), never an HTTP status: services know
nothing of HTTP. ``core.envelope.http_status`` maps a kind to its status, once, for the API
(``api/errors.py``) and the pages alike."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    # The request cannot be acted on as sent (a bad token, a malformed reference).
    BAD_REQUEST = "bad_request"
    # Input that breaks a rule; ``details["field"]`` names the field when one is to blame.
    INVALID = "invalid"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    # The object is not in a state that allows this (already done, taken, changed meanwhile).
    CONFLICT = "conflict"
    PAYMENT_FAILED = "payment_failed"
    TOO_LARGE = "too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    # A provider or partner system failed or answered nonsense.
    UPSTREAM_FAILED = "upstream_failed"
    # Souk cannot do it right now (capacity); try again later.
    UNAVAILABLE = "unavailable"
    # An invariant of ours broke; a bug, not the caller's doing.
    INTERNAL = "internal"


class DomainError(Exception):
    """A failure the caller can act on: a stable ``code`` (the app's enum), a message for
    people, optional ``details``, and its ``kind``."""

    kind: ErrorKind = ErrorKind.BAD_REQUEST

    def __init__(
        self,
        code: StrEnum,
        message: str,
        *,
        details: Any = None,
        kind: ErrorKind | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        # Extra response headers, e.g. Retry-After when rate limited.
        self.headers = headers or {}
        if kind is not None:
            self.kind = kind

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!s}, {self.kind!s}, {self.message!r})"
