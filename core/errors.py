"""The base of every domain error. Each app has an ``errors.py`` with its own code enum and a
subclass; the API maps them all to one envelope."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class DomainError(Exception):
    """A failure the caller can act on. ``status`` is the HTTP status the API answers with."""

    status: int = 400

    def __init__(
        self,
        code: StrEnum,
        message: str,
        *,
        details: Any = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        # Extra response headers, e.g. Retry-After on 429.
        self.headers = headers or {}
        if status is not None:
            self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!s}, {self.message!r})"
