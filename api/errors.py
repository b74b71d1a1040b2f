"""Every failure of every API answers the one envelope (see ``core.envelope``)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from api.parsers import UnsupportedMediaType
from api.throttles import refused as throttle_refusal
from core.envelope import error_response, http_status
from core.errors import DomainError

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _field_name(location: list[Any] | tuple[Any, ...]) -> str:
    """ninja locations look like ("body", "payload", "slug"); callers want "slug"."""
    parts = [str(part) for part in location]
    if len(parts) >= 2 and parts[0] == "body":
        parts = parts[2:] or parts[1:]
    elif parts and parts[0] in {"query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(parts)


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "field": _field_name(error.get("loc", ())),
            "location": str(error.get("loc", ("body",))[0]),
            "message": error.get("msg", "Invalid value."),
            "type": error.get("type", "value_error"),
        }
        for error in errors
    ]


def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = error_response(request, http_status(exc), str(exc.code), exc.message, exc.details)
    for name, value in exc.headers.items():
        response[name] = value
    return response


def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = validation_details(exc.errors)
    named = ", ".join(sorted({d["field"] for d in details if d["field"]}))
    message = f"Invalid input: {named}." if named else "Invalid input."
    return error_response(request, 422, "validation_error", message, details)


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, Throttled) and (refusal := throttle_refusal.get()) is not None:
        return on_domain_error(request, refusal)
    if isinstance(exc.__cause__, UnsupportedMediaType):
        # ninja wraps whatever the body parser raises in a 400 "Cannot parse request body".
        exc = exc.__cause__
    status = exc.status_code
    code = _HTTP_CODES.get(status, "error")
    message = str(exc)
    if status == 400 and message.startswith("Cannot parse request body"):
        code, message = "malformed_json", "The request body is not valid JSON."
    response = error_response(request, status, code, message)
    if isinstance(exc, AuthenticationError) and status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 404, "not_found", "Not found.")


def on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 403, "forbidden", "You may not do this.")


def on_too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 413, "payload_too_large", "The request body is too large.")


def on_unreadable_body(request: HttpRequest, exc: Exception) -> HttpResponse:
    """Django raises these when ``request.POST``/``FILES`` is read: a multipart body without a
    boundary or cut short, too many fields or files, a client that hung up."""
    logger.info("unreadable request body: %s", exc)
    return error_response(request, 400, "bad_request", "The request body could not be read.")


def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    """A safety net: every input field's limit should match its column (see
    ``core.schemas.model_max_length``), so reaching this is a missing limit, logged to fix."""
    logger.warning("database refused a value from an API request: %s", exc)
    return error_response(
        request, 422, "validation_error", "A value is too long or out of range.", []
    )


def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled error in API view", exc_info=exc)
    return error_response(
        request, 500, "internal_error", "Something went wrong on our side; it has been logged."
    )


def install_error_handlers(api: NinjaAPI) -> None:
    api.add_exception_handler(DomainError, on_domain_error)  # type: ignore[arg-type]
    api.add_exception_handler(ValidationError, on_validation_error)  # type: ignore[arg-type]
    api.add_exception_handler(HttpError, on_http_error)  # type: ignore[arg-type]
    api.add_exception_handler(Http404, on_not_found)  # type: ignore[arg-type]
    api.add_exception_handler(PermissionDenied, on_permission_denied)  # type: ignore[arg-type]
    api.add_exception_handler(RequestDataTooBig, on_too_big)  # type: ignore[arg-type]
    for unreadable in (MultiPartParserError, BadRequest, SuspiciousOperation, UnreadablePostError):
        api.add_exception_handler(unreadable, on_unreadable_body)  # type: ignore[arg-type]
    api.add_exception_handler(DataError, on_data_error)  # type: ignore[arg-type]
    api.add_exception_handler(Exception, on_unexpected)  # type: ignore[arg-type]
