"""The one error envelope: ``{"error": {"code", "message", "details"}, "request_id"}``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from core.errors import DomainError, ErrorKind
from core.request_id import request_id_of

# Each kind of domain failure answers one HTTP status; nothing else in Souk picks a status for
# a DomainError.
KIND_STATUS: dict[ErrorKind, int] = {
    ErrorKind.BAD_REQUEST: 400,
    ErrorKind.INVALID: 422,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.PAYMENT_FAILED: 402,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.TOO_LARGE: 413,
    ErrorKind.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.INTERNAL: 500,
    ErrorKind.UPSTREAM_FAILED: 502,
    ErrorKind.UNAVAILABLE: 503,
}


def http_status(error: DomainError) -> int:
    return KIND_STATUS[error.kind]


def envelope(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(
    request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> JsonResponse:
    body = envelope(code, message, details)
    body["request_id"] = request_id_of(request)
    return JsonResponse(body, status=status)


def wants_json(request: HttpRequest) -> bool:
    """API paths always answer JSON; so does anything that asks for it first."""
    return request.path.startswith("/api/") or request.headers.get("Accept", "").startswith(
        "application/json"
    )


_STATUS_CODES = {405: "method_not_allowed", 403: "forbidden", 404: "not_found", 400: "bad_request"}


class ApiErrorEnvelopeMiddleware:
    """A failure on an API path that did not come from our handlers (ninja's 405, Django's
    CSRF 403) is rewritten into the envelope, so API clients only ever parse one shape."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code = _STATUS_CODES.get(response.status_code, "error")
            rewritten = error_response(
                request, response.status_code, code, response.reason_phrase or code
            )
            if "Allow" in response:
                rewritten["Allow"] = response["Allow"]
            return rewritten
        return response
